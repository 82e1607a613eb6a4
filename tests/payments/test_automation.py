"""Default money automation (§4.3): fulfilled → invoice → ensure funds; return → credit memo →
ensure refunds; cancel with captured funds → refund of the excess; each switchable by a setting."""

from decimal import Decimal as D

import pytest

from orders import outbox
from orders.models import ChangeType, FulfillmentOrder, OrderSummary, ProcessException
from payments import automation
from payments.models import CreditMemo, Invoice
from payments.services.money_follow_ups import refund_excess
from payments.tasks import credit_and_refund
from tests.builders import ingest, worked_example, worked_example_body
from tests.payments.money_builders import change_order, return_one_a, ship_everything

pytestmark = pytest.mark.django_db


def test_fulfilled_order_is_invoiced_and_captured(django_capture_on_commit_callbacks):
    summary = worked_example()
    fulfillment_order = ship_everything(summary)
    with django_capture_on_commit_callbacks(execute=True):
        automation.fulfillment_order_fulfilled(fulfillment_order)
    invoice = Invoice.objects.get(fulfillment_order=fulfillment_order)
    assert invoice.balance == D("0")
    assert summary.payment_summaries.get().captured_amount == D("118.80")
    # Fulfilled again (a duplicate event): the one invoice stays, nothing more is captured.
    with django_capture_on_commit_callbacks(execute=True):
        automation.fulfillment_order_fulfilled(fulfillment_order)
    assert Invoice.objects.count() == 1
    assert summary.payment_summaries.get().captured_amount == D("118.80")


def test_switched_off_by_setting(settings, django_capture_on_commit_callbacks):
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    summary = worked_example()
    with django_capture_on_commit_callbacks(execute=True):
        automation.fulfillment_order_fulfilled(ship_everything(summary))
    assert not Invoice.objects.exists()


def test_invoice_failure_raises_an_invoicing_exception(django_capture_on_commit_callbacks):
    summary = worked_example()
    fulfillment_order = ship_everything(summary)
    FulfillmentOrder.objects.filter(pk=fulfillment_order.pk).update(status="Cancelled", status_category="CANCELLED")
    with django_capture_on_commit_callbacks(execute=True):
        automation.fulfillment_order_fulfilled(fulfillment_order)
    exception = ProcessException.objects.get(order_summary=summary)
    assert exception.category == "Invoicing"
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 1


def test_return_is_credited_and_refunded(django_capture_on_commit_callbacks):
    summary = worked_example()
    with django_capture_on_commit_callbacks(execute=True):
        automation.fulfillment_order_fulfilled(ship_everything(summary))
    change = return_one_a(summary)
    with django_capture_on_commit_callbacks(execute=True):
        # The task the return's hook used to record; outbox messages recorded then still run it.
        outbox.enqueue(credit_and_refund, summary.pk, [change.pk])
    assert CreditMemo.objects.get().balance == D("0")
    assert summary.payment_summaries.get().refunded_amount == D("43.20")


def test_cancel_after_capture_refunds_the_excess(django_capture_on_commit_callbacks):
    body = worked_example_body()
    body["payments"] = [
        {
            "kind": "sale",
            "method": "Visa",
            "gatewayToken": "tok_visa",
            "amount": D("118.80"),
            "gatewayReference": "sale_1",
        }
    ]
    summary = ingest(body)
    # Cancel 1 × A with shipping reduction: 40.00 + 3.20 + 4.00 + 0.32 = 47.52 in excess.
    change_order(
        summary, ChangeType.CANCEL, [("A", "-1", "-40.00", "-3.20"), ("Delivery Charge", "0", "-4.00", "-0.32")]
    )
    # The refund step the demo loader runs (and the task of messages recorded before the API's whole-order
    # cancel went through payments.services.agent_changes).
    with django_capture_on_commit_callbacks(execute=True):
        refund_excess(summary.pk)
    assert summary.payment_summaries.get().refunded_amount == D("47.52")
    with django_capture_on_commit_callbacks(execute=True):
        refund_excess(summary.pk)  # nothing left in excess: nothing happens
    assert summary.payment_summaries.get().refunded_amount == D("47.52")
