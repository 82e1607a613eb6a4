"""The `data` of the payments app's events, rendered as the API renders these records (see
orders/event_data.py), and the one-line calls its services make to record them."""

from orders.event_data import as_json
from orders.events import record_event
from orders.models import EventType
from payments.api.money_serializers import InvoiceSerializer
from payments.api.summary_detail import SummaryPaymentSerializer, SummaryRefundSerializer
from payments.models import Invoice, Payment, PaymentStatus, Refund, RefundStatus


def invoice_data(invoice_id: int) -> dict[str, object]:
    """As GET /commerce/invoices/{id} renders it."""
    invoice = Invoice.objects.prefetch_related("lines", "change_order_links").get(pk=invoice_id)
    return as_json(InvoiceSerializer(invoice).data)


def emit_invoice_created(invoice: Invoice) -> None:
    """After its lines, change-order links and any netting are written."""
    record_event(invoice.order_summary_id, EventType.INVOICE_CREATED, invoice_data(invoice.pk))


def emit_capture_settled(payment: Payment, summary_id: int) -> None:
    """payment.captured or payment.capture_failed, with the payment as the order summary lists it."""
    event_type = (
        EventType.PAYMENT_CAPTURED if payment.status == PaymentStatus.PROCESSED else EventType.PAYMENT_CAPTURE_FAILED
    )
    record_event(summary_id, event_type, as_json(SummaryPaymentSerializer(payment).data))


def emit_refund_settled(refund: Refund, summary_id: int) -> None:
    event_type = EventType.REFUND_SUCCEEDED if refund.status == RefundStatus.PROCESSED else EventType.REFUND_FAILED
    record_event(summary_id, event_type, as_json(SummaryRefundSerializer(refund).data))
