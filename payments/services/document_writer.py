"""Write an invoice or a credit memo with its lines, totals and readable number, in the caller's transaction."""

from dataclasses import dataclass
from typing import Any, TypeVar

from orders.models import OrderItemSummary, OrderSummary
from payments.calculations import LineAmounts, document_totals
from payments.models import CreditMemo, CreditMemoLine, Invoice, InvoiceLine

# An invoice or a credit memo: both are written the same way, each with its own line model.
Document = TypeVar("Document", Invoice, CreditMemo)

NUMBER_PREFIX = {Invoice: "INV", CreditMemo: "CM"}
LINE_MODEL: dict[type[Invoice | CreditMemo], type[InvoiceLine | CreditMemoLine]] = {
    Invoice: InvoiceLine,
    CreditMemo: CreditMemoLine,
}
PARENT_FIELD = {Invoice: "invoice", CreditMemo: "credit_memo"}


@dataclass(frozen=True)
class LineSource:
    # Every billed line names its item summary (the column is nullable for the original order's items only).
    order_item_summary: OrderItemSummary | None
    amounts: LineAmounts
    links: dict[str, Any]  # change_order_item / fulfillment_order_line


def _item(source: LineSource) -> OrderItemSummary:
    item = source.order_item_summary
    assert item is not None, "a billed line names its item summary"
    return item


def document_number(model: type[Invoice | CreditMemo], pk: int) -> str:
    return f"{NUMBER_PREFIX[model]}-{pk:06d}"


def write_document(model: type[Document], summary: OrderSummary, sources: list[LineSource], **fields: Any) -> Document:
    totals = document_totals((source.amounts for source in sources), summary.tax_locale_type)
    document = model.objects.create(
        order_summary=summary, currency=summary.currency, tax_locale_type=summary.tax_locale_type, **totals, **fields
    )
    document.number = document_number(model, document.pk)
    model.objects.filter(pk=document.pk).update(number=document.number)
    line_model = LINE_MODEL[model]
    lines: list[InvoiceLine | CreditMemoLine] = [
        line_model(
            **{PARENT_FIELD[model]: document},
            order_item_summary=source.order_item_summary,
            type=_item(source).type,
            name=_item(source).name,
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
    line_model._default_manager.bulk_create(lines)  # type: ignore[arg-type]  # one model's lines, a union to mypy
    return document
