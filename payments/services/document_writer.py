"""Write an invoice or a credit memo with its lines, totals and readable number, in the caller's transaction."""

from dataclasses import dataclass

from orders.models import OrderSummary
from payments.calculations import LineAmounts, document_totals
from payments.models import CreditMemo, CreditMemoLine, Invoice, InvoiceLine

NUMBER_PREFIX = {Invoice: "INV", CreditMemo: "CM"}
LINE_MODEL = {Invoice: InvoiceLine, CreditMemo: CreditMemoLine}
PARENT_FIELD = {Invoice: "invoice", CreditMemo: "credit_memo"}


@dataclass(frozen=True)
class LineSource:
    order_item_summary: object
    amounts: LineAmounts
    links: dict  # change_order_item / fulfillment_order_line


def document_number(model, pk: int) -> str:
    return f"{NUMBER_PREFIX[model]}-{pk:06d}"


def write_document(model, summary: OrderSummary, sources: list[LineSource], **fields):
    totals = document_totals((source.amounts for source in sources), summary.tax_locale_type)
    document = model.objects.create(
        order_summary=summary, currency=summary.currency, tax_locale_type=summary.tax_locale_type, **totals, **fields
    )
    document.number = document_number(model, document.pk)
    model.objects.filter(pk=document.pk).update(number=document.number)
    line_model = LINE_MODEL[model]
    line_model.objects.bulk_create(
        [
            line_model(
                **{PARENT_FIELD[model]: document},
                order_item_summary=source.order_item_summary,
                type=source.order_item_summary.type,
                name=source.order_item_summary.name,
                quantity=source.amounts.quantity,
                charge_amount=source.amounts.charge_amount,
                adjustment_amount=source.amounts.adjustment_amount,
                tax_amount=source.amounts.tax_amount,
                total_amount=source.amounts.total_amount,
                total_amount_with_tax=source.amounts.total_with_tax(summary.tax_locale_type),
                **source.links,
            )
            for source in sources
        ]
    )
    return document
