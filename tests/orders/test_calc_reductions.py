"""Cancel and simple return calculations on pure states (DOMAIN.md §3.1, §3.2, §6)."""

from decimal import Decimal as D

import pytest

from orders.calculations.reductions import plan_cancel, plan_return
from orders.calculations.state import DELIVERY_CHARGE, Amounts, Quantities, SummaryState
from orders.errors import InvalidInput, InvalidState
from orders.models import DEFAULT_REASON_CODES
from tests.change_builders import change, pure_item, worked_example_state
from tests.orders.plan_replay import apply_plan

REASONS = frozenset(DEFAULT_REASON_CODES)


def changes_by_item(plan):
    return {c.item_id: c for co in plan.change_orders for c in co.changes}


def test_worked_example_cancel_one_a_with_shipping_reduction():
    state = worked_example_state()
    plan = plan_cancel(state, [change(1, 1, shipping=True)], reason_codes=REASONS)
    b = plan.balances
    # A: 80.00 × 1/2 = 40.00, tax 6.40 × 1/2 = 3.20; r = 40 / (80 + 20) = 0.4
    # delivery 10.00 × 0.4 = 4.00, tax 0.80 × 0.4 = 0.32
    assert b.total_adjusted_product_amount == D("40.00")
    assert b.total_adjusted_product_tax_amount == D("3.20")
    assert b.total_adj_product_amt_with_tax == D("43.20")
    assert b.total_adjusted_delivery_amount == D("4.00")
    assert b.total_adjusted_delivery_tax_amount == D("0.32")
    assert b.total_adj_delivery_amt_with_tax == D("4.32")
    assert b.total_amount == D("44.00")
    assert b.total_tax_amount == D("3.52")
    assert b.grand_total_amount == D("47.52")
    assert b.total_fee_amount == 0 and b.total_fee_tax_amount == 0
    assert plan.grand_total_reduction == D("47.52")
    assert plan.added_outstanding_credit == 0

    (change_order,) = plan.change_orders
    assert change_order.change_type == "Cancel"
    by_item = changes_by_item(plan)
    assert by_item[1].quantity == D(-1)
    assert by_item[1].amounts == Amounts(D("-40.00"), D("-3.20"))
    assert by_item[1].quantities == Quantities(canceled=D(1))
    # The delivery charge keeps its quantity: it is only reduced, not removed whole.
    assert by_item[3].quantity == 0
    assert by_item[3].amounts == Amounts(D("-4.00"), D("-0.32"))

    after = apply_plan(state, plan)
    # 110.00 - 44.00 = 66.00; 8.80 - 3.52 = 5.28; grand total 71.28
    assert sum(i.amounts.price for i in after.items) == D("66.00")
    assert sum(i.amounts.tax for i in after.items) == D("5.28")
    assert after.item(3).amounts == Amounts(D("6.00"), D("0.48"))
    assert after.item(1).quantities.canceled == D(1)


def test_cancel_without_shipping_reduction_leaves_the_delivery_charge():
    plan = plan_cancel(worked_example_state(), [change(1, 1)], reason_codes=REASONS)
    assert set(changes_by_item(plan)) == {1}
    # 40.00 + 3.20
    assert plan.balances.grand_total_amount == D("43.20")
    assert plan.balances.total_adjusted_delivery_amount == 0


def test_items_of_one_request_share_one_shipping_ratio():
    # A 1 of 2 (40.00) and B 1 of 1 (20.00) flagged: r = 60 / 100 = 0.6 -> 6.00 and 0.48
    plan = plan_cancel(
        worked_example_state(), [change(1, 1, shipping=True), change(2, 1, shipping=True)], reason_codes=REASONS
    )
    assert changes_by_item(plan)[3].amounts == Amounts(D("-6.00"), D("-0.48"))
    # 60.00 + 6.00 = 66.00; 4.80 + 0.48 = 5.28
    assert plan.balances.total_amount == D("66.00")
    assert plan.balances.total_tax_amount == D("5.28")


def test_only_flagged_items_count_towards_the_shipping_ratio():
    # A 1 (40.00) flagged, B (20.00) not: r = 40 / 100 -> 4.00 / 0.32
    plan = plan_cancel(worked_example_state(), [change(1, 1, shipping=True), change(2, 1)], reason_codes=REASONS)
    assert changes_by_item(plan)[3].amounts == Amounts(D("-4.00"), D("-0.32"))


def test_last_products_of_the_group_take_the_whole_delivery_charge_and_its_quantity():
    plan = plan_cancel(worked_example_state(), [change(1, 2, shipping=True), change(2, 1)], reason_codes=REASONS)
    charge = changes_by_item(plan)[3]
    assert charge.amounts == Amounts(D("-10.00"), D("-0.80"))
    assert charge.quantity == D(-1)
    assert charge.quantities == Quantities(canceled=D(1))
    # everything: 110.00 + 8.80
    assert plan.balances.grand_total_amount == D("118.80")


def test_shipping_reduced_twice_leaves_no_cent_when_the_group_empties():
    state = worked_example_state()
    first = plan_cancel(state, [change(1, 1, shipping=True)], reason_codes=REASONS)
    state = apply_plan(state, first)
    # products left: A 40.00 + B 20.00 = 60.00; remove A 40: r = 2/3 -> 6.00 × 2/3 = 4.00, 0.48 × 2/3 = 0.32
    second = plan_cancel(state, [change(1, 1, shipping=True)], reason_codes=REASONS)
    assert changes_by_item(second)[3].amounts == Amounts(D("-4.00"), D("-0.32"))
    state = apply_plan(state, second)
    third = plan_cancel(state, [change(2, 1, shipping=True)], reason_codes=REASONS)
    # the remaining 2.00 and 0.16 go whole
    assert changes_by_item(third)[3].amounts == Amounts(D("-2.00"), D("-0.16"))
    state = apply_plan(state, third)
    assert all(item.amounts.is_zero for item in state.items)


def test_duplicate_change_items_are_combined():
    plan = plan_cancel(worked_example_state(), [change(1, 1), change(1, 1)], reason_codes=REASONS)
    (only,) = plan.change_orders[0].changes
    assert only.quantity == D(-2)
    assert only.amounts == Amounts(D("-80.00"), D("-6.40"))


def test_combined_quantity_above_available_is_refused_on_the_last_entry():
    with pytest.raises(InvalidState) as refused:
        plan_cancel(worked_example_state(), [change(1, 1), change(1, 2)], reason_codes=REASONS)
    assert refused.value.errors[0].field == "changeItems[1].quantity"


def test_return_of_fulfilled_units_prorates_discounts_and_owes_credit():
    # 3 × 30.00 = 90.00, tax 7.20, discount -9.00 tax -0.72; all fulfilled
    item = pure_item(1, 3, "30.00", adjustment="-9.00", adjustment_tax="-0.72", allocated="3", fulfilled="3")
    state = SummaryState("USD", "Net", (item,))
    plan = plan_return(state, [change(1, 1)], reason_codes=REASONS)
    (returned,) = plan.change_orders[0].changes
    # 90/3 = 30.00, 7.20/3 = 2.40, -9/3 = -3.00, -0.72/3 = -0.24 (the discount delta is positive)
    assert returned.amounts == Amounts(D("-30.00"), D("-2.40"), D("3.00"), D("0.24"))
    assert returned.quantities == Quantities(return_initiated=D(1), returned=D(1))
    assert returned.is_pre_fulfillment is False
    # 27.00 + 2.16 = 29.16 comes off the grand total and is owed back
    assert plan.balances.grand_total_amount == D("29.16")
    assert plan.added_outstanding_credit == D("29.16")


def test_worked_example_return_one_a_without_shipping_reduction():
    state = worked_example_state(a_fulfilled="2", b_fulfilled="1", charge_fulfilled="1")
    plan = plan_return(state, [change(1, 1)], reason_codes=REASONS)
    # 40.00 + 3.20 tax = 43.20, all of it credit
    assert plan.change_orders[0].totals == Amounts(D("-40.00"), D("-3.20"))
    assert plan.balances.grand_total_amount == D("43.20")
    assert plan.added_outstanding_credit == D("43.20")


def test_return_with_shipping_reduction_of_the_whole_group_returns_the_charge_too():
    state = worked_example_state(a_fulfilled="2", b_fulfilled="1", charge_fulfilled="1")
    plan = plan_return(state, [change(1, 2, shipping=True), change(2, 1)], reason_codes=REASONS)
    charge = changes_by_item(plan)[3]
    assert charge.quantities == Quantities(return_initiated=D(1), returned=D(1))
    assert plan.added_outstanding_credit == D("118.80")


def test_gross_locale_grand_total_is_the_amount():
    # Gross: 2 × 54.00 = 108.00 with 8 % VAT inside: 108 × 8/108 = 8.00
    item = pure_item(1, 2, "54.00", line_tax="8.00")
    plan = plan_cancel(SummaryState("EUR", "Gross", (item,)), [change(1, 1)], reason_codes=REASONS)
    assert plan.balances.total_amount == D("54.00")
    assert plan.balances.total_tax_amount == D("4.00")
    assert plan.balances.grand_total_amount == D("54.00")
    assert plan.balances.total_adj_product_amt_with_tax == D("54.00")


@pytest.mark.parametrize(
    ("request_items", "field"),
    [
        ([change(99, 1)], "changeItems[0].orderItemSummaryId"),
        ([change("abc", 1)], "changeItems[0].orderItemSummaryId"),
        # Issue #13: the delivery charge (3) can be canceled, in whole units only.
        ([change(3, "0.5")], "changeItems[0].quantity"),
        ([change(1, "1.5")], "changeItems[0].quantity"),
        ([change(1, 0)], "changeItems[0].quantity"),
        ([change(1, -1)], "changeItems[0].quantity"),
        ([change(1, "0.001")], "changeItems[0].quantity"),
        ([change(1, 1, reason="Because")], "changeItems[0].reason"),
        ([change(1, 1, text="x" * 256)], "changeItems[0].reasonForChangeText"),
        ([change(1, 1), change(2, 1, reason="")], "changeItems[1].reason"),
        ([], "changeItems"),
    ],
)
def test_bad_input_names_the_field(request_items, field):
    with pytest.raises(InvalidInput) as refused:
        plan_cancel(worked_example_state(), request_items, reason_codes=REASONS)
    assert [e.field for e in refused.value.errors] == [field]


def test_more_than_the_maximum_number_of_change_items_is_refused():
    with pytest.raises(InvalidInput) as refused:
        plan_cancel(worked_example_state(), [change(2, "0.01")] * 101, reason_codes=REASONS, max_items=100)
    assert refused.value.errors[0].field == "changeItems"


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(InvalidInput) as refused:
        plan_cancel(worked_example_state(), [change(99, 1), change(1, -1, reason="?")], reason_codes=REASONS)
    assert [e.field for e in refused.value.errors] == [
        "changeItems[0].orderItemSummaryId",
        "changeItems[1].quantity",
        "changeItems[1].reason",
    ]


def test_cancel_more_than_available_is_a_state_error():
    state = worked_example_state(a_fulfilled="1")
    with pytest.raises(InvalidState) as refused:
        plan_cancel(state, [change(1, 2)], reason_codes=REASONS)
    assert refused.value.errors[0].field == "changeItems[0].quantity"
    assert "Only 1 of this item can be canceled" in refused.value.errors[0].message


def test_return_of_unfulfilled_units_is_a_state_error():
    with pytest.raises(InvalidState) as refused:
        plan_return(worked_example_state(), [change(1, 1)], reason_codes=REASONS)
    assert refused.value.errors[0].field == "changeItems[0].quantity"


def test_unmanaged_summary_refuses_every_change():
    state = SummaryState("USD", "Net", worked_example_state().items, is_managed=False)
    with pytest.raises(InvalidState):
        plan_cancel(state, [change(1, 1)], reason_codes=REASONS)
    with pytest.raises(InvalidState):
        plan_return(state, [change(1, 1)], reason_codes=REASONS)


def test_delivery_charge_type_constant_matches_the_model():
    from orders.models import ItemType

    assert DELIVERY_CHARGE == ItemType.DELIVERY_CHARGE
