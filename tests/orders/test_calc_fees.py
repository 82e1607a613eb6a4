"""Fees on a cancel or return (DOMAIN.md §3.2a), on pure states."""

from decimal import Decimal as D

import pytest

from orders.calculations.reductions import plan_cancel, plan_return
from orders.calculations.state import FEE, Amounts, SummaryState
from orders.errors import InvalidInput
from orders.models import DEFAULT_REASON_CODES
from tests.change_builders import change, fee, pure_item, worked_example_state
from tests.orders.plan_replay import apply_plan

REASONS = frozenset(DEFAULT_REASON_CODES)


def cancel_a_with(*fees, shipping=False):
    return plan_cancel(worked_example_state(), [change(1, 1, shipping=shipping, fees=fees)], reason_codes=REASONS)


@pytest.mark.parametrize(
    ("fee_input", "amounts"),
    [
        # 5.00 pre-tax, 8 % on top = 0.40
        (fee("5.00", "AmountWithoutTax"), Amounts(D("5.00"), D("0.40"))),
        # 5.40 / 1.08 = 5.00, tax 5.40 - 5.00 = 0.40
        (fee("5.40", "AmountWithTax"), Amounts(D("5.00"), D("0.40"))),
        # 10 % of the removed 40.00 and of its 3.20 tax
        (fee("10", "Percentage"), Amounts(D("4.00"), D("0.32"))),
        # 10 % of 43.20 = 4.32; 4.32 / 1.08 = 4.00, tax 0.32
        (fee("10", "PercentageGross"), Amounts(D("4.00"), D("0.32"))),
        # 12.5 % of 40.00 = 5.00, of 3.20 = 0.40
        (fee("12.5", "Percentage"), Amounts(D("5.00"), D("0.40"))),
    ],
)
def test_fee_amount_types(fee_input, amounts):
    plan = cancel_a_with(fee_input)
    (charge,) = plan.fees
    assert charge.amounts == amounts
    assert charge.source_item_id == 1
    assert charge.group_id == 1
    assert plan.balances.total_fee_amount == amounts.line
    assert plan.balances.total_fee_tax_amount == amounts.line_tax


def test_balances_and_the_funds_input_are_before_fees():
    plan = cancel_a_with(fee("5.00"), shipping=True)
    # the reduction of the worked example is unchanged by the fee
    assert plan.balances.grand_total_amount == D("47.52")
    # Issue #12 point 5: fees are taken once, when their invoice is paid out of the refund; the funds
    # position (excess funds) counts the whole reduction 47.52, not 47.52 − (5.00 + 0.40) = 42.12.
    assert plan.grand_total_reduction == D("47.52")


def test_fee_reason_defaults_to_the_change_items_reason():
    plan = plan_cancel(
        worked_example_state(),
        [change(1, 1, reason="Damaged", fees=[fee("1.00"), fee("2.00", reason="Goodwill")])],
        reason_codes=REASONS,
    )
    assert [f.reason for f in plan.fees] == ["Damaged", "Goodwill"]


def test_fees_become_fee_items_in_the_changed_items_group():
    state = worked_example_state()
    plan = plan_cancel(state, [change(1, 1, fees=[fee("5.00")])], reason_codes=REASONS)
    after = apply_plan(state, plan)
    (fee_item,) = [i for i in after.items if i.type == FEE]
    assert fee_item.group_id == 1
    assert fee_item.amounts == Amounts(D("5.00"), D("0.40"))
    assert fee_item.quantity == 1


def test_gross_locale_fee_without_tax_stores_the_tax_inside():
    item = pure_item(1, 2, "54.00", line_tax="8.00", rate="8")
    plan = plan_cancel(SummaryState("EUR", "Gross", (item,)), [change(1, 1, fees=[fee("5.00")])], reason_codes=REASONS)
    # 5.00 net + 0.40 VAT = 5.40 stored (Gross prices include tax)
    assert plan.fees[0].amounts == Amounts(D("5.40"), D("0.40"))


def test_flat_tax_item_uses_tax_over_price_as_its_rate():
    # flat tax 4.00 on 50.00 -> 8 %; the fee 10.00 carries 0.80
    item = pure_item(1, 1, "50.00", rate=None, line_tax="4.00", allocated="1", fulfilled="1")
    plan = plan_return(SummaryState("USD", "Net", (item,)), [change(1, 1, fees=[fee("10.00")])], reason_codes=REASONS)
    assert plan.fees[0].amounts == Amounts(D("10.00"), D("0.80"))
    assert plan.fees[0].tax_rate is None


@pytest.mark.parametrize(
    ("fee_input", "field"),
    [
        (fee("0"), "amount"),
        (fee("-1.00"), "amount"),
        (fee("5.001"), "amount"),
        (fee("101", "Percentage"), "amount"),
        (fee("5.00", "Flat"), "amountType"),
        (fee("5.00", reason="Whim"), "reason"),
        (fee("5.00", description="d" * 256), "description"),
    ],
)
def test_bad_fee_input_names_the_field(fee_input, field):
    with pytest.raises(InvalidInput) as refused:
        cancel_a_with(fee_input)
    assert [e.field for e in refused.value.errors] == [f"changeItems[0].changeItemFees[0].{field}"]
