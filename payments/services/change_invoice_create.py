"""Invoice change orders that add to what the customer owes, such as return fees
(create-multiple-change-invoices)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from orders.errors import FieldError, ServiceError
from payments.calculations import change_item_amounts
from payments.event_data import emit_invoice_created
from payments.models import Invoice, InvoiceChangeOrder

from .document_change_orders import load_change_orders, owed_change, refuse
from .document_writer import LineSource, write_document
from .locks import lock_summary
from .netting import net_documents


def create_invoice_from_change_orders(summary_id: int, change_order_ids: Sequence[int | str]) -> Invoice:
    with transaction.atomic():
        summary = lock_summary(summary_id)
        orders = load_change_orders(summary, change_order_ids)
        invoiced = set(
            InvoiceChangeOrder.objects.filter(change_order__in=orders).values_list("change_order_id", flat=True)
        )
        errors = []
        for index, order in enumerate(orders):
            field_name = f"changeOrderIds[{index}]"
            if order.pk in invoiced:
                errors.append(FieldError(f"Change order {order.pk} is already invoiced.", field_name))
            elif owed_change(order) <= 0:
                errors.append(
                    FieldError(
                        f"Change order {order.pk} does not add to the amount owed; it cannot be invoiced.", field_name
                    )
                )
        refuse(errors)
        sources = [
            LineSource(item.order_item_summary, change_item_amounts(item), {"change_order_item": item})
            for order in orders
            for item in order.items.all()
        ]
        invoice = write_document(Invoice, summary, sources)
        InvoiceChangeOrder.objects.bulk_create([InvoiceChangeOrder(invoice=invoice, change_order=o) for o in orders])
        if net_documents(summary):
            invoice.refresh_from_db(fields=["balance"])
        emit_invoice_created(invoice)
    return invoice


@dataclass
class ChangeInvoiceResult:
    order_summary_id: int | str
    invoice_id: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.invoice_id is not None


def create_multiple_change_invoices(
    requests: list[tuple[int, Sequence[int | str]]],
) -> list[ChangeInvoiceResult]:
    """Each (orderSummaryId, changeOrderIds) succeeds or fails on its own transaction."""
    results = []
    for summary_id, change_order_ids in requests:
        result = ChangeInvoiceResult(order_summary_id=summary_id)
        try:
            result.invoice_id = create_invoice_from_change_orders(summary_id, change_order_ids).pk
        except ServiceError as exc:
            result.errors = exc.as_error_list()
        results.append(result)
    return results
