"""Price adjustments (DOMAIN.md §3.5, §6 "Adjust"), on pure states."""

from decimal import Decimal as D

import pytest

from orders.calculations.adjust import plan_adjust
from orders.calculations.inputs import AdjustInput, AdjustItemInput
from orders.calculations.state import DELIVERY_CHARGE, FEE, Amounts, SummaryState
from orders.errors import InvalidInput, InvalidState
from orders.models import DEFAULT_REASON_CODES, FulfillmentPhase, ItemChangeType
from tests.change_builders import pure_item, worked_example_state
from tests.orders.plan_replay import apply_plan

REASONS = frozenset(DEFAULT_REASON_CODES)


def example_state():
    """§6: 3 × 50.00, tax 10 %, 2 allocated, 1 fulfilled: pre 1, in 1, post 1."""
    return SummaryState("USD", "Net", (pure_item(1, 3, "50.00", rate="10", allocated="2", fulfilled="1"),))


def adjust(amount, adjustment_type="AmountWithoutTax", item_id=1, reason="Price Match", description=""):
    return AdjustItemInput(item_id, adjustment_type, D(str(amount)), reason, description)


def plan(state, *items, mode="Disallowed"):
    return plan_adjust(state, AdjustInput(tuple(items), mode), reason_codes=REASONS)


def phases(result):
    return {co.fulfillment_phase: co.totals for co in result.change_orders}


def test_worked_example_disallowed():
    result = plan(example_state(), adjust("-45.00"))
    # 2 units count (pre 1, post 1): -45.00 / 2 = -22.50 each, tax 10 % = -2.25 each
    assert phases(result) == {
        "Pre": Amounts(adjustment=D("-22.50"), adjustment_tax=D("-2.25")),
        "Post": Amounts(adjustment=D("-22.50"), adjustment_tax=D("-2.25")),
    }
    assert result.balances.total_amount == D("45.00")
    assert result.balances.total_tax_amount == D("4.50")
    assert result.balances.grand_total_amount == D("49.50")
    assert result.balances.total_adjusted_product_amount == D("45.00")
    # only the post-fulfillment part is owed back as credit: 22.50 + 2.25
    assert result.added_outstanding_credit == D("24.75")
    assert result.grand_total_reduction == D("49.50")


def test_worked_example_in_fulfillment():
    result = plan(example_state(), adjust("-45.00"), mode="InFulfillment")
    # 3 units: -15.00 (tax -1.50) on each of three change orders
    each = Amounts(adjustment=D("-15.00"), adjustment_tax=D("-1.50"))
    assert phases(result) == {"Pre": each, "In": each, "Post": each}
    assert [co.fulfillment_phase for co in result.change_orders] == ["Pre", "In", "Post"]


def test_worked_example_pre_fulfillment():
    result = plan(example_state(), adjust("-45.00"), mode="PreFulfillment")
    # pre + in = 2 units: -30.00 (tax -3.00); post 1 unit: -15.00 (tax -1.50)
    assert phases(result) == {
        "Pre": Amounts(adjustment=D("-30.00"), adjustment_tax=D("-3.00")),
        "Post": Amounts(adjustment=D("-15.00"), adjustment_tax=D("-1.50")),
    }


def test_phase_and_change_type_values_match_the_models():
    result = plan(example_state(), adjust("-45.00"))
    assert {co.fulfillment_phase for co in result.change_orders} <= set(FulfillmentPhase.values)
    change = result.change_orders[0].changes[0]
    assert change.change_type == ItemChangeType.PRODUCT_ADJUSTMENT
    assert change.is_pre_fulfillment is True
    assert result.change_orders[1].changes[0].is_pre_fulfillment is False
    assert change.quantity == 0


def test_amount_with_tax():
    # -49.50 including 10 %: pre-tax -49.50 / 1.1 = -45.00, tax -4.50
    result = plan(example_state(), adjust("-49.50", "AmountWithTax"))
    assert result.balances.total_amount == D("45.00")
    assert result.balances.total_tax_amount == D("4.50")


def test_percentage_of_price_and_tax():
    # -10 % of 150.00 = -15.00 and of 15.00 tax = -1.50; Disallowed: -7.50 / -0.75 each
    result = plan(example_state(), adjust("-10", "Percentage"))
    assert phases(result)["Pre"] == Amounts(adjustment=D("-7.50"), adjustment_tax=D("-0.75"))
    assert result.balances.grand_total_amount == D("16.50")


def test_remainder_goes_to_the_last_phase():
    # -10.00 over 3 units: -3.33, -3.33, -3.34; tax -1.00: -0.33, -0.33, -0.34
    result = plan(example_state(), adjust("-10.00"), mode="InFulfillment")
    assert [co.totals.adjustment for co in result.change_orders] == [D("-3.33"), D("-3.33"), D("-3.34")]
    assert [co.totals.adjustment_tax for co in result.change_orders] == [D("-0.33"), D("-0.33"), D("-0.34")]


def test_only_phases_with_an_amount_get_a_change_order():
    state = SummaryState("USD", "Net", (pure_item(1, 2, "50.00", rate="10"),))
    result = plan(state, adjust("-20.00"))
    assert [co.fulfillment_phase for co in result.change_orders] == ["Pre"]
    assert result.added_outstanding_credit == 0


def test_several_items_share_the_phase_change_orders():
    state = worked_example_state(a_fulfilled="2")
    # A fulfilled (post), B not (pre); delivery charge pre
    result = plan(state, adjust("-8.00", item_id=1), adjust("-2.00", item_id=2), adjust("-1.00", item_id=3))
    pre, post = result.change_orders
    assert [c.item_id for c in pre.changes] == [2, 3]
    assert [c.item_id for c in post.changes] == [1]
    assert pre.changes[1].change_type == ItemChangeType.DELIVERY_CHARGE_ADJUSTMENT
    # products 8.00 + 2.00, delivery 1.00; tax 8 %: 0.64 + 0.16 and 0.08
    assert result.balances.total_adjusted_product_amount == D("10.00")
    assert result.balances.total_adjusted_product_tax_amount == D("0.80")
    assert result.balances.total_adjusted_delivery_amount == D("1.00")
    assert result.balances.total_adjusted_delivery_tax_amount == D("0.08")
    assert result.balances.grand_total_amount == D("11.88")


def test_gross_locale_amount_without_tax_adds_the_tax_into_the_stored_amount():
    # 2 × 55.00 = 110.00 including 10 % VAT (10.00)
    state = SummaryState("EUR", "Gross", (pure_item(1, 2, "55.00", rate="10", line_tax="10.00"),))
    result = plan(state, adjust("-10.00"))
    # -10.00 net + -1.00 VAT = -11.00 stored; the grand total goes down by the stored amount
    assert result.balances.total_amount == D("11.00")
    assert result.balances.total_tax_amount == D("1.00")
    assert result.balances.grand_total_amount == D("11.00")


def test_discount_up_to_the_price_of_the_units_is_allowed_and_leaves_zero():
    state = example_state()
    # Disallowed: 2 of 3 units at 50.00 = 100.00
    result = plan(state, adjust("-100.00"))
    after = apply_plan(state, result)
    # 150.00 - 100.00 = 50.00 left; tax 15.00 - 10.00 = 5.00
    assert after.item(1).amounts.price == D("50.00")
    assert after.item(1).amounts.tax == D("5.00")


def test_discount_above_the_price_of_the_units_is_refused():
    with pytest.raises(InvalidInput) as refused:
        plan(example_state(), adjust("-100.01"))
    assert refused.value.errors[0].field == "adjustItems[0].amount"
    assert "exceeds the price 100.00" in refused.value.errors[0].message


def test_every_unit_in_fulfillment_with_disallowed_is_a_state_error():
    state = SummaryState("USD", "Net", (pure_item(1, 3, "50.00", allocated="3"),))
    with pytest.raises(InvalidState) as refused:
        plan(state, adjust("-5.00"))
    assert refused.value.errors[0].field == "adjustItems[0].orderItemSummaryId"
    assert "in fulfillment" in refused.value.errors[0].message
    # the same units can be discounted when the mode includes them
    assert plan(state, adjust("-5.00"), mode="InFulfillment").balances.total_amount == D("5.00")


def test_a_canceled_item_cannot_be_adjusted():
    state = SummaryState("USD", "Net", (pure_item(1, 1, "50.00", canceled="1"),))
    with pytest.raises(InvalidState):
        plan(state, adjust("-5.00"))


@pytest.mark.parametrize(
    ("items", "mode", "field"),
    [
        ([adjust("5.00")], "Disallowed", "adjustItems[0].amount"),
        ([adjust("0")], "Disallowed", "adjustItems[0].amount"),
        ([adjust("-5.001")], "Disallowed", "adjustItems[0].amount"),
        ([adjust("-101", "Percentage")], "Disallowed", "adjustItems[0].amount"),
        ([adjust("-5.00", "Fixed")], "Disallowed", "adjustItems[0].adjustmentType"),
        ([adjust("-5.00", reason="Nope")], "Disallowed", "adjustItems[0].reason"),
        ([adjust("-5.00", description="x" * 256)], "Disallowed", "adjustItems[0].description"),
        ([adjust("-5.00", item_id=7)], "Disallowed", "adjustItems[0].orderItemSummaryId"),
        ([adjust("-5.00"), adjust("-1.00")], "Disallowed", "adjustItems[1].orderItemSummaryId"),
        ([adjust("-5.00")], "Sometimes", "allocatedItemsChangeOrderType"),
        ([], "Disallowed", "adjustItems"),
    ],
)
def test_bad_input_names_the_field(items, mode, field):
    with pytest.raises(InvalidInput) as refused:
        plan(example_state(), *items, mode=mode)
    assert [e.field for e in refused.value.errors] == [field]


def test_fee_items_cannot_be_adjusted():
    state = SummaryState("USD", "Net", (pure_item(1, 1, "5.00", item_type=FEE),))
    with pytest.raises(InvalidInput) as refused:
        plan(state, adjust("-1.00"))
    assert refused.value.errors[0].field == "adjustItems[0].orderItemSummaryId"


def test_delivery_charge_adjustment_reports_delivery_balances():
    state = SummaryState("USD", "Net", (pure_item(1, 1, "10.00", item_type=DELIVERY_CHARGE),))
    result = plan(state, adjust("-10.00"))
    # 10.00 + 0.80
    assert result.balances.total_adj_delivery_amt_with_tax == D("10.80")
    assert result.balances.total_adjusted_product_amount == 0


def test_unmanaged_summary_cannot_be_adjusted():
    state = SummaryState("USD", "Net", example_state().items, is_managed=False)
    with pytest.raises(InvalidState):
        plan(state, adjust("-1.00"))
