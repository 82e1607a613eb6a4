"""Invoice what a fulfillment order ships (create-invoice, create-multiple-invoices): one invoice at most
per fulfillment order, billing the amounts frozen on its lines (§3.4)."""

from django.db import transaction

from orders.errors import InvalidState, NotFound
from orders.models import FulfillmentOrder
from orders.models.fulfillment import FulfillmentOrderStatusCategory
from payments.calculations import fulfillment_line_amounts
from payments.models import Invoice

from .document_writer import LineSource, write_document
from .locks import lock_summary

_NOT_INVOICEABLE = (FulfillmentOrderStatusCategory.CANCELLED, FulfillmentOrderStatusCategory.REJECTED)


def create_invoice_for_fulfillment_order(fulfillment_order_id) -> Invoice:
    summary_id = FulfillmentOrder.objects.filter(pk=fulfillment_order_id).values_list("order_summary_id", flat=True)
    summary_id = summary_id.first()
    if summary_id is None:
        raise NotFound(f"Fulfillment order {fulfillment_order_id} does not exist.")
    with transaction.atomic():
        summary = lock_summary(summary_id)
        fulfillment_order = FulfillmentOrder.objects.select_for_update().get(pk=fulfillment_order_id)
        if Invoice.objects.filter(fulfillment_order=fulfillment_order).exists():
            raise InvalidState(f"Fulfillment order {fulfillment_order.number} already has an invoice.")
        if fulfillment_order.status_category in _NOT_INVOICEABLE:
            raise InvalidState(f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.status}.")
        lines = [line for line in fulfillment_order.lines.select_related("order_item_summary") if line.quantity > 0]
        sources = [
            LineSource(line.order_item_summary, fulfillment_line_amounts(line), {"fulfillment_order_line": line})
            for line in lines
        ]
        if not sources or sum(source.amounts.total_with_tax(summary.tax_locale_type) for source in sources) <= 0:
            raise InvalidState(f"Fulfillment order {fulfillment_order.number} has nothing to bill.")
        return write_document(Invoice, summary, sources, fulfillment_order=fulfillment_order)


def create_invoices_for_fulfillment_orders(fulfillment_order_ids: list) -> list[Invoice]:
    """All or nothing: the API answers one list of invoice ids, in the order asked.

    Summaries are locked in id order, whatever order the ids came in, so two such requests never deadlock.
    """
    summary_of = dict(
        FulfillmentOrder.objects.filter(pk__in=fulfillment_order_ids).values_list("pk", "order_summary_id")
    )
    missing = [pk for pk in fulfillment_order_ids if int(pk) not in summary_of]
    if missing:
        raise NotFound(f"Fulfillment order {missing[0]} does not exist.")
    invoices = {}
    with transaction.atomic():
        for pk in sorted({int(pk) for pk in fulfillment_order_ids}, key=lambda pk: (summary_of[pk], pk)):
            invoices[pk] = create_invoice_for_fulfillment_order(pk)
    return [invoices[int(pk)] for pk in fulfillment_order_ids]
