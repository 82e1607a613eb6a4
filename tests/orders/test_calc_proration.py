from decimal import Decimal as D

from orders.calculations.proration import prorated, split_by_units
from orders.calculations.state import Amounts


def test_share_of_each_amount_is_rounded_half_up():
    amounts = Amounts(D("100.00"), D("8.25"), D("-10.00"), D("-0.83"))
    share = prorated(amounts, D(1), D(3), "USD")
    # 100/3 = 33.333 -> 33.33; 8.25/3 = 2.75; -10/3 = -3.333 -> -3.33; -0.83/3 = -0.2767 -> -0.28
    assert share == Amounts(D("33.33"), D("2.75"), D("-3.33"), D("-0.28"))


def test_last_units_take_the_whole_remainder():
    amounts = Amounts(D("66.67"), D("5.50"), D("-6.67"), D("-0.55"))
    assert prorated(amounts, D(2), D(2), "USD") == amounts


def test_zero_decimal_currency_rounds_to_whole_yen():
    # 1000 JPY / 3 = 333.33 -> 333; 80 JPY / 3 = 26.67 -> 27
    assert prorated(Amounts(D("1000"), D("80")), D(1), D(3), "JPY") == Amounts(D("333"), D("27"))


def test_split_by_units_gives_the_remainder_to_the_last_group():
    # -10.00 over 1, 1, 1 units: -3.33, -3.33, then -10.00 + 6.66 = -3.34
    assert split_by_units(D("-10.00"), [D(1), D(1), D(1)], "USD") == [D("-3.33"), D("-3.33"), D("-3.34")]


def test_split_by_units_skips_empty_groups_and_the_last_non_empty_takes_the_rest():
    # -45.00 over pre 1, in 0, post 2: pre round(-15.00), post -45.00 + 15.00 = -30.00
    assert split_by_units(D("-45.00"), [D(1), D(0), D(2)], "USD") == [D("-15.00"), D(0), D("-30.00")]
    assert split_by_units(D("-45.00"), [D(0), D(3), D(0)], "USD") == [D(0), D("-45.00"), D(0)]


def test_split_by_units_of_nothing_is_nothing():
    assert split_by_units(D("-5.00"), [D(0), D(0)], "USD") == [D(0), D(0)]


def _taxed_item(canceled, amounts, basis=None):
    from orders.calculations.state import ItemState, Quantities

    return ItemState(
        id=1,
        type="Order Product",
        group_id=1,
        unit_price=D("0.48"),
        quantities=Quantities(ordered=D(4), canceled=D(canceled)),
        amounts=amounts,
        tax_rate=D(5),
        basis_amounts=basis,
        basis_quantity=D(4) if basis is not None else None,
    )


def test_canceling_a_unit_never_adds_tax_when_a_discount_rounds_the_other_way():
    # 4 × 0.48 at 5 %, discount -1.70: tax 0.10, discount tax -0.09 (found by test_calc_properties).
    # §3.1 alone, unit by unit: tax removed 0.03, 0.02, 0.03, 0.02; discount tax removed -0.02, -0.03, -0.02,
    # -0.02, so the second unit's cancel would add a cent of tax (0.02 - 0.03). The discount tax's share
    # waits instead: -0.02, -0.02, -0.03, -0.02, and each cancel removes 0.01, 0.00, 0.00, 0.00 of tax.
    from orders.calculations.proration import unit_reduction

    basis = Amounts(D("1.92"), D("0.10"), D("-1.70"), D("-0.09"))
    first = unit_reduction(_taxed_item(0, basis), D(1), "USD")
    assert first == Amounts(D("0.48"), D("0.03"), D("-0.43"), D("-0.02"))
    after_one = Amounts(D("1.44"), D("0.07"), D("-1.27"), D("-0.07"))
    second = unit_reduction(_taxed_item(1, after_one, basis), D(1), "USD")
    assert second == Amounts(D("0.48"), D("0.02"), D("-0.42"), D("-0.02"))
    assert second.tax == D("0.00")
    # Two at once remove what one and one remove.
    assert unit_reduction(_taxed_item(0, basis), D(2), "USD") == first + second
    after_two = after_one - second
    third = unit_reduction(_taxed_item(2, after_two, basis), D(1), "USD")
    assert third == Amounts(D("0.48"), D("0.03"), D("-0.43"), D("-0.03"))
    assert unit_reduction(_taxed_item(3, after_two - third, basis), D(1), "USD") == after_two - third
