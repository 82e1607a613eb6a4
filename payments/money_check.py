"""The ledger invariant of issue 12 (docs/money.md, rule 9), checked per order summary.

The database refuses what a single row can break (check constraints, unique keys, the invoice
triggers); what spans rows is checked here, by `manage.py check_money`, at the end of every reliability
test and after the demo load. Each check names the rule it holds:

- captured-for-invoices: what capturing took (captures pending or processed) is never more than what
  was invoiced less what credit memos netted away — we capture for invoices only;
- invoice-paid-by-its-records: each invoice's total − balance is what payments applied to it plus what
  credit memos netted into it, never more than its total;
- funds-accounted: per payment summary, captured − refunded − pending refunds is its unapplied balance
  plus what its payments applied to invoices (every captured cent is applied, unapplied or refunded);
- memo-from-post-fulfillment-reductions: each credit memo's total is the reduction of its change
  orders, and those are returns or post-fulfillment adjustments; together the memos never credit
  more than the post-fulfillment reductions;
- settled-once: no change order is both on a credit memo and on an invoice, no change is shared out
  on invoices beyond its own amount;
- invoice-for-shipped-goods: a fulfillment order's invoice is for a Fulfilled fulfillment order;
- paid-what-shipped: once nothing is left to ship and no money is under way (every shipment invoiced), no
  invoice is open, no process exception is active and no supervisor holds an agent's refund, net captured
  equals the grand total (what shipped, less what came back) plus the credit still to be refunded:
  neither excess left behind nor anything unpaid.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    FulfillmentOrder,
    Order,
    OrderSummary,
    ProcessException,
)
from orders.models.fields import MoneySum
from orders.money import ZERO, round_money
from payments.funds import POST_FULFILLMENT_REDUCTION, funds_position
from payments.models import (
    CreditMemo,
    CreditMemoAppliedToInvoice,
    CreditMemoChangeOrder,
    Invoice,
    InvoiceChangeOrder,
    InvoiceChangeShare,
    OrderPaymentSummary,
    Payment,
    PaymentAppliedToInvoice,
    PaymentKind,
    PaymentStatus,
)

# Sums of 4-place decimals on SQLite are floats: compare with less than any currency's minor unit.
SLACK = Decimal("0.00005")


_M = TypeVar("_M", bound=Model)


def _sum(queryset: QuerySet[_M], expression: str = "amount") -> Decimal:
    total: Decimal = queryset.aggregate(total=MoneySum(expression))["total"] or ZERO
    return total


def check_summary(summary: OrderSummary) -> list[str]:
    """What breaks the invariant on this summary, one line per break (empty when it holds)."""
    from payments.services.completion import _busy, held_by_a_person, left_to_ship

    problems: list[str] = []

    def m(amount: Decimal) -> str:
        return str(round_money(amount, summary.currency))

    invoices = list(Invoice.objects.filter(order_summary=summary).select_related("fulfillment_order"))
    netted: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        CreditMemoAppliedToInvoice.objects.filter(invoice__order_summary=summary)
        .values("invoice_id")
        .annotate(total=MoneySum("amount"))
    ):
        netted[row["invoice_id"]] = row["total"]
    applied: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        PaymentAppliedToInvoice.objects.filter(invoice__order_summary=summary, type="Applied")
        .values("invoice_id")
        .annotate(total=MoneySum("amount"))
    ):
        applied[row["invoice_id"]] = row["total"]

    invoiced = sum((invoice.total_amount_with_tax for invoice in invoices), ZERO)
    all_netted = sum(netted.values(), ZERO)
    captured = _sum(
        Payment.objects.filter(
            order_payment_summary__order_summary=summary,
            kind=PaymentKind.CAPTURE,
            status__in=[PaymentStatus.PENDING, PaymentStatus.PROCESSED],
        )
    )
    if captured > invoiced - all_netted + SLACK:
        problems.append(
            f"captured-for-invoices: captures of {m(captured)} exceed what was invoiced ({m(invoiced)}) "
            f"less what was netted ({m(all_netted)})"
        )

    for invoice in invoices:
        paid = invoice.total_amount_with_tax - invoice.balance
        if abs(paid - applied[invoice.pk] - netted[invoice.pk]) > SLACK:
            problems.append(
                f"invoice-paid-by-its-records: {invoice.number} shows {m(paid)} paid; payments applied "
                f"{m(applied[invoice.pk])}, credit memos netted {m(netted[invoice.pk])}"
            )
        fulfillment_order = invoice.fulfillment_order
        if fulfillment_order is not None and fulfillment_order.status_category != "CLOSED":
            problems.append(
                f"invoice-for-shipped-goods: {invoice.number} bills {fulfillment_order.number}, which "
                f"is {fulfillment_order.status}"
            )

    for ops in OrderPaymentSummary.objects.filter(order_summary=summary):
        net = ops.captured_amount - ops.refunded_amount - ops.pending_refund_amount
        placed = ops.balance_amount + _sum(PaymentAppliedToInvoice.objects.filter(payment__order_payment_summary=ops))
        if abs(net - placed) > SLACK:
            problems.append(
                f"funds-accounted: {ops.display_name} holds {m(net)} net captured; {m(ops.balance_amount)} "
                f"unapplied and {m(placed - ops.balance_amount)} applied"
            )

    post_reductions = -_sum(
        Order.objects.filter(POST_FULFILLMENT_REDUCTION, order_summary=summary), "grand_total_amount"
    )
    memos = list(CreditMemo.objects.filter(order_summary=summary).prefetch_related("change_order_links__change_order"))
    credited = ZERO
    for memo in memos:
        orders = [link.change_order for link in memo.change_order_links.all()]
        reduction = -sum((order.grand_total_amount for order in orders), ZERO)
        credited += memo.total_amount_with_tax
        if abs(reduction - memo.total_amount_with_tax) > SLACK:
            problems.append(
                f"memo-from-post-fulfillment-reductions: {memo.number} credits "
                f"{m(memo.total_amount_with_tax)}, its change orders reduce {m(reduction)}"
            )
        for order in orders:
            if not order.is_post_fulfillment_reduction:
                problems.append(
                    f"memo-from-post-fulfillment-reductions: {memo.number} credits change order "
                    f"{order.pk} ({order.change_type}, {order.fulfillment_phase or '-'}), settled as "
                    "excess funds"
                )
    if credited > post_reductions + SLACK:
        problems.append(
            f"memo-from-post-fulfillment-reductions: credit memos of {m(credited)} exceed the "
            f"post-fulfillment reductions ({m(post_reductions)})"
        )

    both = set(
        CreditMemoChangeOrder.objects.filter(credit_memo__order_summary=summary).values_list(
            "change_order_id", flat=True
        )
    ) & set(InvoiceChangeOrder.objects.filter(invoice__order_summary=summary).values_list("change_order_id", flat=True))
    for pk in sorted(both):
        problems.append(f"settled-once: change order {pk} is on a credit memo and on an invoice")
    shares = (
        InvoiceChangeShare.objects.filter(invoice__order_summary=summary)
        .values(
            "change_order_item_id",
            "change_order_item__line_amount",
            "change_order_item__adjustment_amount",
        )
        .annotate(line=MoneySum("line_amount"), adjustment=MoneySum("adjustment_amount"))
    )
    for share in shares:
        if (
            share["line"] < share["change_order_item__line_amount"] - SLACK
            or share["adjustment"] < share["change_order_item__adjustment_amount"] - SLACK
        ):
            problems.append(
                f"settled-once: change item {share['change_order_item_id']} is billed on invoices beyond its own amount"
            )

    # A shipped fulfillment order not invoiced yet: its billing is a follow-up still on its way.
    unbilled = FulfillmentOrder.objects.filter(
        order_summary=summary, status_category="CLOSED", invoice__isnull=True, grand_total_amount__gt=0
    ).exists()
    if (
        not left_to_ship(summary.pk)
        and summary.is_managed
        and not _busy(summary)
        and not unbilled
        and not any(invoice.balance > 0 for invoice in invoices)
        and not held_by_a_person(summary)
        and not ProcessException.objects.filter(
            order_summary=summary, status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES
        ).exists()
    ):
        position = funds_position(summary)
        # Kept: the grand total (what shipped, less what came back), plus the credit still to refund.
        kept = summary.grand_total_amount + position.outstanding_credit
        if abs(position.net_captured - kept) > SLACK:
            problems.append(
                f"paid-what-shipped: nothing is left to ship and {m(position.net_captured)} is captured "
                f"net; the grand total {m(summary.grand_total_amount)} and the credit still to refund "
                f"{m(position.outstanding_credit)} make {m(kept)}"
            )
    return problems


def check_money(summary_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """{summary id: its breaks} for every summary (or those named) that breaks the invariant."""
    summaries = OrderSummary.objects.filter(Q(pk__in=summary_ids) if summary_ids is not None else Q()).order_by("pk")
    found: dict[int, list[str]] = {}
    for summary in summaries.iterator(chunk_size=500):
        problems = check_summary(summary)
        if problems:
            found[summary.pk] = problems
    return found
