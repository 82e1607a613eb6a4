"""A delivery charge taken off a fulfillment order waits for its group's next one; when the group's last
unplaced units are then canceled, no next one comes: the charge rides on the group's open fulfillment order
and is invoiced with it (found by test_money_machine: JPY 325 + 613 + delivery 90)."""

from decimal import Decimal as D

import pytest

from orders.models import FulfillmentOrder, FulfillmentOrderLineItem, ItemType, OrderItemSummary, OrderSummary
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from payments.funds import funds_position
from payments.models import Invoice
from payments.money_check import check_summary
from payments.services.completion import settle_summary
from payments.services.money_follow_ups import invoice_and_capture
from tests.builders import address, ingest, order_body
from tests.change_builders import change
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db


def _product(sku, price):
    return {
        "sku": sku,
        "name": sku,
        "quantity": D(1),
        "unitPrice": D(price),
        "taxes": [{"name": "VAT", "rate": D(0), "amount": D(0)}],
        "adjustments": [],
    }


@pytest.fixture
def order():
    group = {
        "referenceId": "g",
        "deliverTo": address(),
        "deliveryMethod": "Ground",
        "items": [_product("P0", 325), _product("P1", 613)],
        "deliveryCharge": {"amount": D(90), "taxes": []},
    }
    summary = ingest(order_body(currency="JPY", groups=[group]))
    location = make_location(f"WH-{summary.pk}")
    stock(location.external_reference, P0=10, P1=10)
    p0, p1 = OrderItemSummary.objects.filter(order_summary=summary, type=ItemType.PRODUCT).order_by("id")
    charge = OrderItemSummary.objects.get(order_summary=summary, type=ItemType.DELIVERY_CHARGE)
    return summary, location, p0, p1, charge


def _charge_off_first_order(summary, location, p0):
    place(summary, (location, [(p0, 1)]))
    line = FulfillmentOrderLineItem.objects.get(fulfillment_order__order_summary=summary, type=ItemType.DELIVERY_CHARGE)
    cancel_fulfillment_order_items(line.fulfillment_order_id, [LineToCancel(line.pk, D(1))])
    return line.fulfillment_order_id


def test_canceling_the_last_unplaced_units_puts_the_waiting_charge_on_the_open_order(order):
    summary, location, p0, p1, charge = order
    first = _charge_off_first_order(summary, location, p0)
    charge.refresh_from_db()
    assert charge.quantity_allocated == 0  # waiting for P1's fulfillment order

    submit_cancel(summary.pk, [change(p1.pk, 1)], actor=None)

    charge.refresh_from_db()
    assert charge.quantity_allocated == 1
    placed = FulfillmentOrderLineItem.objects.get(fulfillment_order_id=first, order_item_summary=charge, quantity__gt=0)
    assert (placed.quantity, placed.total_line_amount) == (1, 90)
    assert FulfillmentOrder.objects.get(pk=first).grand_total_amount == 325 + 90
    # Shipped: the invoice carries the charge; the customer pays 415, the grand total.
    change_fulfillment_order_status(first, "Fulfilled")
    invoice_and_capture(first, summary.pk)
    settle_summary(summary.pk)
    summary = OrderSummary.objects.get(pk=summary.pk)
    assert summary.grand_total_amount == 415
    invoice = Invoice.objects.get(order_summary=summary)
    assert (invoice.total_amount_with_tax, invoice.balance) == (415, 0)
    assert funds_position(summary).net_captured == 415
    assert check_summary(summary) == []


def test_after_a_rejection_too(order):
    summary, location, p0, p1, _ = order
    first = _charge_off_first_order(summary, location, p0)
    place(OrderSummary.objects.get(pk=summary.pk), (location, [(OrderItemSummary.objects.get(pk=p1.pk), 1)]))
    second = FulfillmentOrder.objects.filter(order_summary=summary).latest("id")
    change_fulfillment_order_status(second.pk, "Rejected")
    settle_summary(summary.pk)

    submit_cancel(summary.pk, [change(p1.pk, 1)], actor=None)

    assert FulfillmentOrder.objects.get(pk=first).grand_total_amount == 415
    change_fulfillment_order_status(first, "Fulfilled")
    invoice_and_capture(first, summary.pk)
    settle_summary(summary.pk)
    summary = OrderSummary.objects.get(pk=summary.pk)
    assert funds_position(summary).net_captured == summary.grand_total_amount == 415
    assert check_summary(summary) == []


def test_a_charge_still_waiting_for_unplaced_units_stays_in_the_group(order):
    summary, location, p0, p1, charge = order
    _charge_off_first_order(summary, location, p0)
    p1.refresh_from_db()
    assert p1.quantity_available_to_fulfill == 1
    charge.refresh_from_db()
    assert charge.quantity_allocated == 0
