"""DOMAIN.md §4.3 end to end through the real services: a fulfillment order that ships is invoiced
and its invoice paid by capturing the authorization, with no further call."""

from decimal import Decimal

import pytest

from orders.models import OrderSummaryStatus
from orders.services.fulfillment_status import change_fulfillment_order_status
from payments.models import Invoice, OrderPaymentSummary, PaymentGatewayLog
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db


def test_shipping_the_worked_example_invoices_and_captures_118_80(settings, django_capture_on_commit_callbacks):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    summary = worked_example()
    location = make_location("WH-E2E", latitude="41.88", longitude="-87.62")
    stock("WH-E2E", A=5, B=5)
    items = items_by_sku(summary)
    # The delivery charge follows the group's first fulfillment order by itself.
    (fulfillment_order,) = place(summary, (location, [(items["A"], 2), (items["B"], 1)]))

    with django_capture_on_commit_callbacks(execute=True):
        change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")

    summary.refresh_from_db()
    assert summary.status == OrderSummaryStatus.FULFILLED
    invoice = Invoice.objects.get(fulfillment_order=fulfillment_order)
    # 80.00 + 20.00 + 10.00 charges, 6.40 + 1.60 + 0.80 tax = 118.80, all paid.
    assert invoice.total_amount_with_tax == Decimal("118.80")
    assert invoice.balance == Decimal("0")
    ops = OrderPaymentSummary.objects.get(order_summary=summary)
    assert (ops.captured_amount, ops.balance_amount, ops.available_to_capture_amount) == (
        Decimal("118.80"),
        Decimal("0"),
        Decimal("0"),
    )
    assert PaymentGatewayLog.objects.filter(interaction_type="Capture", status="Success").count() == 1


def test_switched_off_nothing_is_billed(settings, django_capture_on_commit_callbacks):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    summary = worked_example()
    location = make_location("WH-E2E", latitude="41.88", longitude="-87.62")
    stock("WH-E2E", A=5, B=5)
    items = items_by_sku(summary)
    (fulfillment_order,) = place(summary, (location, [(items["A"], 2)]))

    with django_capture_on_commit_callbacks(execute=True):
        change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")

    assert not Invoice.objects.exists()
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == 0
