"""Adjust service against the database: the §6 example in its three modes, what is written."""

from decimal import Decimal as D

import pytest

from orders.calculations.inputs import AdjustInput, AdjustItemInput
from orders.errors import InvalidInput, InvalidState
from orders.models import ChangeType, ItemChangeType, Order, OrderItemSummaryChange
from orders.services.adjust import preview_adjust, submit_adjust
from orders.services.cancel import submit_cancel
from tests.builders import address, ingest, item, items_by_sku, mark_captured, order_body, set_fulfillment_state
from tests.change_builders import assert_rebuilds, change

pytestmark = pytest.mark.django_db


def example():
    """§6: 3 × 50.00, tax 10 % (15.00), 2 allocated, 1 fulfilled: pre 1, in 1, post 1."""
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", 3, "50.00", rate=10)],
                }
            ]
        )
    )
    x = set_fulfillment_state(items_by_sku(summary)["X"], allocated=2, fulfilled=1)
    summary.refresh_from_db()
    return summary, x


def request(x, amount="-45.00", mode="Disallowed", adjustment_type="AmountWithoutTax"):
    adjust = AdjustItemInput(x.pk, adjustment_type, D(amount), "Price Match", "matched a competitor")
    return AdjustInput((adjust,), mode)


def phase_totals(result):
    return {
        phase: (order.total_amount, order.total_tax_amount)
        for phase, pk in result.change_orders
        for order in [Order.objects.get(pk=pk)]
    }


def test_worked_example_disallowed():
    summary, x = example()
    preview = preview_adjust(summary.pk, request(x))
    # totalAmount 45.00, tax 4.50, grand total 49.50
    assert (preview.balances.total_amount, preview.balances.total_tax_amount, preview.balances.grand_total_amount) == (
        D("45.00"),
        D("4.50"),
        D("49.50"),
    )
    assert preview.change_order_for_phase("Pre") is None

    result = submit_adjust(summary.pk, request(x), actor=None)
    assert vars(result.balances) == vars(preview.balances)
    # pre -22.50 (tax -2.25), post -22.50 (tax -2.25)
    assert phase_totals(result) == {"Pre": (D("-22.50"), D("-2.25")), "Post": (D("-22.50"), D("-2.25"))}
    assert result.change_order_for_phase("In") is None
    pre = Order.objects.get(pk=result.change_order_for_phase("Pre"))
    assert pre.change_type == ChangeType.ADJUST and pre.fulfillment_phase == "Pre" and pre.reason == "Price Match"
    delta = pre.items.get()
    assert (delta.quantity, delta.line_amount, delta.adjustment_amount, delta.adjustment_tax_amount) == (
        0,
        0,
        D("-22.50"),
        D("-2.25"),
    )
    rows = OrderItemSummaryChange.objects.filter(order_item_summary=x).order_by("id")
    assert [(r.change_type, r.is_pre_fulfillment, r.reason_text) for r in rows] == [
        (ItemChangeType.PRODUCT_ADJUSTMENT, True, "matched a competitor"),
        (ItemChangeType.PRODUCT_ADJUSTMENT, False, "matched a competitor"),
    ]
    x.refresh_from_db()
    # 150.00 - 45.00 = 105.00; 15.00 - 4.50 = 10.50
    assert x.total_price == D("105.00") and x.total_tax_amount == D("10.50")
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("115.50")
    assert_rebuilds(summary)


def test_worked_example_in_fulfillment():
    summary, x = example()
    result = submit_adjust(summary.pk, request(x, mode="InFulfillment"), actor=None)
    each = (D("-15.00"), D("-1.50"))
    assert phase_totals(result) == {"Pre": each, "In": each, "Post": each}


def test_worked_example_pre_fulfillment():
    summary, x = example()
    result = submit_adjust(summary.pk, request(x, mode="PreFulfillment"), actor=None)
    assert phase_totals(result) == {"Pre": (D("-30.00"), D("-3.00")), "Post": (D("-15.00"), D("-1.50"))}


def test_captured_discount_shows_excess_and_credit():
    summary, x = example()
    mark_captured(summary, "165.00")
    result = preview_adjust(summary.pk, request(x))
    # grand total 165.00 - 49.50 = 115.50; credit (post part) 22.50 + 2.25 = 24.75;
    # excess 165.00 - 115.50 - 24.75 = 24.75 (the pre part, already captured); refundable 24.75 + 24.75
    assert result.balances.total_excess_funds_amount == D("24.75")
    assert result.balances.total_refundable_amount == D("49.50")


def test_every_unit_in_fulfillment_is_refused_with_disallowed_and_writes_nothing():
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", 2, "50.00", rate=10)],
                }
            ]
        )
    )
    x = set_fulfillment_state(items_by_sku(summary)["X"], allocated=2)
    with pytest.raises(InvalidState) as refused:
        submit_adjust(summary.pk, request(x, amount="-5.00"), actor=None)
    assert refused.value.errors[0].field == "adjustItems[0].orderItemSummaryId"
    assert not Order.objects.filter(order_summary=summary).exists()


def test_discount_above_the_units_price_is_refused():
    summary, x = example()
    # Disallowed spreads over 2 of 3 units: 100.00
    with pytest.raises(InvalidInput) as refused:
        submit_adjust(summary.pk, request(x, amount="-100.01"), actor=None)
    assert refused.value.errors[0].field == "adjustItems[0].amount"
    assert not Order.objects.filter(order_summary=summary).exists()


def test_cancel_after_adjust_prorates_the_discount():
    summary, x = example()
    submit_adjust(summary.pk, request(x), actor=None)
    # the one unit available to cancel carries a third of every amount:
    # line 150.00 / 3 = 50.00, tax 5.00, discount -45.00 / 3 = -15.00, its tax -1.50
    result = submit_cancel(summary.pk, [change(x.pk, 1)], actor=None)
    assert result.balances.total_amount == D("35.00")
    assert result.balances.total_tax_amount == D("3.50")
    assert_rebuilds(summary)
