"""Invoice what a fulfillment order shipped (create-invoice, create-multiple-invoices).

The rules (docs/money.md, rule 2 and 3):
- A fulfillment order is invoiced once it has shipped (status Fulfilled, category CLOSED) and never
  before, so an invoiced fulfillment order can no longer be rejected or have a line canceled: CLOSED is
  final. A database trigger refuses an invoice for a fulfillment order that is not CLOSED, and a
  CLOSED fulfillment order that has an invoice leaving CLOSED or losing units.
- At most one invoice per fulfillment order (a unique key), and creating it is idempotent: whoever
  comes second (the API, the automation, a retried task) gets the invoice that exists.
- The invoice bills the amounts on the lines (§3.4) plus the in-fulfillment changes of those units:
  discounts given while the units were allocated (adjust in InFulfillment mode). (A cancel's shipping
  reduction of a delivery charge on an open fulfillment order reaches that line with the cancel.) Such a
  change is shared, as §3.1 prorates, over the units of its item that were on fulfillment orders open when it was made;
  each invoice takes its units' share of what no invoice has taken yet, so the shares never add up to
  more than the change and what the customer is captured for is the current price. Units that left a
  fulfillment order after the change (a rejected order, a canceled line) are placed again at the
  price before it, and their part of the change stays with the funds position as excess funds, which
  is refunded once nothing is left to ship (payments.services.completion).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn

from django.db import transaction
from django.db.models import Q

from orders.errors import FieldError, InvalidState, NotFound
from orders.models import (
    ChangeType,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentPhase,
    OrderKind,
    OrderSummary,
)
from orders.models import OrderItem as ChangeItem
from orders.models.fields import MoneySum
from orders.models.fulfillment import FulfillmentOrderStatusCategory
from orders.money import ZERO, prorate
from payments import errors as codes
from payments.calculations import LineAmounts, fulfillment_line_amounts
from payments.event_data import emit_invoice_created
from payments.models import Invoice, InvoiceChangeShare

from .document_writer import LineSource, write_document
from .locks import lock_summary
from .netting import net_documents

# Change items billed with the units they changed while those were on an open fulfillment order. (A cancel's
# shipping reduction of a placed delivery charge is on the delivery charge's line already: the cancel moves
# it there, orders.services.fulfillment_cancel.settle_line_residues.)
IN_FULFILLMENT_CHANGE = Q(order__change_type=ChangeType.ADJUST, order__fulfillment_phase=FulfillmentPhase.IN)


@dataclass(frozen=True)
class InvoiceResult:
    invoice: Invoice
    created: bool


def invoice_fulfillment_order(fulfillment_order_id: int | str) -> InvoiceResult:
    """The fulfillment order's invoice: made now, or the one that exists (`created` says which)."""
    summary_id = (
        FulfillmentOrder.objects.filter(pk=fulfillment_order_id).values_list("order_summary_id", flat=True).first()
    )
    if summary_id is None:
        raise NotFound(f"Fulfillment order {fulfillment_order_id} does not exist.")
    with transaction.atomic():
        summary = lock_summary(summary_id)
        fulfillment_order = FulfillmentOrder.objects.select_for_update().get(pk=fulfillment_order_id)
        existing = Invoice.objects.filter(fulfillment_order=fulfillment_order).first()
        if existing is not None:
            return InvoiceResult(existing, created=False)
        if fulfillment_order.is_reship:
            _reship(fulfillment_order)
        if fulfillment_order.status_category != FulfillmentOrderStatusCategory.CLOSED:
            _not_fulfilled(fulfillment_order)
        lines = [line for line in fulfillment_order.lines.select_related("order_item_summary") if line.quantity > 0]
        shares = in_fulfillment_shares(summary, fulfillment_order, lines)
        sources: list[LineSource] = []
        for line in lines:
            amounts = fulfillment_line_amounts(line)
            for share in shares.get(line.pk, []):
                amounts = amounts.plus(share.amounts)
            sources.append(LineSource(line.order_item_summary, amounts, {"fulfillment_order_line": line}))
        if not sources or sum(source.amounts.total_with_tax(summary.tax_locale_type) for source in sources) <= 0:
            raise InvalidState(f"Fulfillment order {fulfillment_order.number} has nothing to bill.")
        invoice = write_document(Invoice, summary, sources, fulfillment_order=fulfillment_order)
        # The fulfillment order shows its invoiceId now: it counts as modified for the lists integrations poll.
        fulfillment_order.save(update_fields=["updated_at"])
        if shares:
            by_line = {line.fulfillment_order_line_id: line for line in invoice.lines.all()}
            InvoiceChangeShare.objects.bulk_create(
                [
                    InvoiceChangeShare(
                        invoice=invoice,
                        invoice_line=by_line[line_id],
                        change_order_item_id=share.change_item_id,
                        line_amount=share.amounts.charge_amount,
                        adjustment_amount=share.amounts.adjustment_amount,
                        tax_amount=share.amounts.tax_amount,
                    )
                    for line_id, line_shares in shares.items()
                    for share in line_shares
                ]
            )
        if net_documents(summary):
            invoice.refresh_from_db(fields=["balance"])
        emit_invoice_created(invoice)
        return InvoiceResult(invoice, created=True)


def _not_fulfilled(fulfillment_order: FulfillmentOrder) -> NoReturn:
    message = (
        f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.status}: a fulfillment order is "
        "invoiced once it is Fulfilled."
    )
    raise InvalidState(
        message, errors=[FieldError(message, "fulfillmentOrderId", codes.FULFILLMENT_ORDER_NOT_FULFILLED)]
    )


def _reship(fulfillment_order: FulfillmentOrder) -> NoReturn:
    message = (
        f"Fulfillment order {fulfillment_order.number} reships units at no charge (reshipment "
        f"{fulfillment_order.reshipment}): it is never invoiced."
    )
    raise InvalidState(message, errors=[FieldError(message, "fulfillmentOrderId", codes.RESHIP_NOT_BILLED)])


def create_invoice_for_fulfillment_order(fulfillment_order_id: int | str) -> Invoice:
    return invoice_fulfillment_order(fulfillment_order_id).invoice


@dataclass(frozen=True)
class Share:
    change_item_id: int
    amounts: LineAmounts


def in_fulfillment_shares(
    summary: OrderSummary, fulfillment_order: FulfillmentOrder, lines: Sequence[FulfillmentOrderLineItem]
) -> dict[int, list[Share]]:
    """Per line of the fulfillment order: its share of each in-fulfillment change of its item made while
    the fulfillment order was open (after it was created, before it shipped)."""
    if not lines or fulfillment_order.fulfilled_at is None:
        return {}
    by_item: dict[int | None, list[FulfillmentOrderLineItem]] = {}
    for line in lines:
        by_item.setdefault(line.order_item_summary_id, []).append(line)
    changes = list(
        ChangeItem.objects.filter(
            IN_FULFILLMENT_CHANGE,
            order__kind=OrderKind.CHANGE,
            order__order_summary=summary,
            order_item_summary_id__in=list(by_item),
            order__created_at__gt=fulfillment_order.created_at,
            order__created_at__lt=fulfillment_order.fulfilled_at,
        )
        .select_related("order")
        .order_by("order__created_at", "id")
    )
    if not changes:
        return {}
    # What earlier invoices took of each change: line, adjustment, tax.
    taken: dict[int, tuple[Decimal, Decimal, Decimal]] = {
        row["change_order_item_id"]: (row["line"] or ZERO, row["adjustment"] or ZERO, row["tax"] or ZERO)
        for row in InvoiceChangeShare.objects.filter(change_order_item__in=changes)
        .values("change_order_item_id")
        .annotate(line=MoneySum("line_amount"), adjustment=MoneySum("adjustment_amount"), tax=MoneySum("tax_amount"))
        .order_by()
    }
    currency = summary.currency
    result: dict[int, list[Share]] = {}
    for change in changes:
        when = change.order.created_at
        # The units of the item on fulfillment orders open when the change was made, not invoiced yet.
        open_then = FulfillmentOrderLineItem.objects.filter(
            order_item_summary_id=change.order_item_summary_id,
            fulfillment_order__created_at__lt=when,
            fulfillment_order__reshipment__isnull=True,
        ).exclude(
            Q(fulfillment_order__fulfilled_at__lt=when)
            | Q(fulfillment_order__canceled_at__lt=when)
            | Q(fulfillment_order__rejected_at__lt=when)
            | Q(fulfillment_order__invoice__isnull=False)
        )
        units = sum((line.quantity for line in open_then), ZERO)
        done_line, done_adjustment, done_tax = taken.get(change.pk, (ZERO, ZERO, ZERO))
        left_line = change.line_amount - done_line
        left_adjustment = change.adjustment_amount - done_adjustment
        left_tax = change.line_tax_amount + change.adjustment_tax_amount - done_tax
        for line in by_item[change.order_item_summary_id]:
            if units <= 0:
                break
            part = min(line.quantity, units)
            amounts = LineAmounts(
                ZERO,
                prorate(left_line, part, units, currency),
                prorate(left_adjustment, part, units, currency),
                prorate(left_tax, part, units, currency),
            )
            units -= part
            left_line -= amounts.charge_amount
            left_adjustment -= amounts.adjustment_amount
            left_tax -= amounts.tax_amount
            if amounts.charge_amount or amounts.adjustment_amount or amounts.tax_amount:
                result.setdefault(line.pk, []).append(Share(change.pk, amounts))
    return result


def create_invoices_for_fulfillment_orders(fulfillment_order_ids: Sequence[int | str]) -> list[Invoice]:
    """All or nothing: the API answers one list of invoice ids, in the order asked; a fulfillment order
    invoiced already answers its invoice.

    Summaries are locked in id order, whatever order the ids came in, so two such requests never deadlock.
    """
    summary_of = dict(
        FulfillmentOrder.objects.filter(pk__in=fulfillment_order_ids).values_list("pk", "order_summary_id")
    )
    missing = [pk for pk in fulfillment_order_ids if int(pk) not in summary_of]
    if missing:
        raise NotFound(f"Fulfillment order {missing[0]} does not exist.")
    invoices: dict[int, Invoice] = {}
    with transaction.atomic():
        for pk in sorted({int(pk) for pk in fulfillment_order_ids}, key=lambda pk: (summary_of[pk], pk)):
            invoices[pk] = create_invoice_for_fulfillment_order(pk)
    return [invoices[int(pk)] for pk in fulfillment_order_ids]
