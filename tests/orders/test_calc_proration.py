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
