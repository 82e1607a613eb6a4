"""The payments app's automation door (DOMAIN.md §4.3): the hooks the order side calls with its change,
some switchable by a setting (OMS_AUTO_*); they record the payment tasks in the outbox (orders/outbox.py), in
the caller's transaction, so the task is promised exactly when the change is committed. Orders must not
import payments: orders/automation.py reaches these through the payments link (orders/payments_link.py,
registered in PaymentsConfig.ready() by payments/orders_link.py). The tasks run
payments.services.money_follow_ups."""

from django.conf import settings

from orders import outbox
from orders.models import FulfillmentOrder


def fulfillment_order_fulfilled(fulfillment_order: FulfillmentOrder) -> None:
    if fulfillment_order.is_reship:
        # Reshipped units bill nothing (issue 15); it may have been the last shipment, so settle.
        order_summary_changed(fulfillment_order.order_summary_id)
        return
    if not settings.OMS_AUTO_INVOICE_AND_CAPTURE:
        return
    from payments.tasks import invoice_and_capture

    outbox.enqueue(invoice_and_capture, fulfillment_order.pk, fulfillment_order.order_summary_id)


def order_summary_changed(summary_id: int) -> None:
    """A change (cancel, return, adjust) was submitted: once it commits, the settling pass looks at the
    summary (a full cancel releases the authorizations; leftover excess with nothing left to ship is
    refunded or reported). Whatever OMS_AUTO_CREDIT_AND_REFUND says: the pass reads it itself."""
    from payments.tasks import settle_order_summary

    outbox.enqueue(settle_order_summary, summary_id)
