"""Netting (docs/money.md, rule 7): where nothing was captured, a credit memo pays the open invoices of its
summary instead of waiting for a refund that has nothing to come from. No money moves; the memo's and
the invoices' balances go down together, recorded as CreditMemoAppliedToInvoice rows.

Called, under the summary's lock, whenever one of the two documents is made and by the settling pass.
"""

from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from orders.models import OrderSummary
from orders.models.fields import MoneySum
from orders.money import ZERO
from payments.models import CreditMemo, CreditMemoAppliedToInvoice, Invoice, OrderPaymentSummary

from .ensure_funds import pending_capture_total
from .locks import bump_version


def nothing_captured(summary: OrderSummary) -> bool:
    """No captured funds to refund from, and no capture under way."""
    sums = OrderPaymentSummary.objects.filter(order_summary=summary).aggregate(
        net=MoneySum(F("captured_amount") - F("refunded_amount") - F("pending_refund_amount")),
        pending=MoneySum("pending_capture_amount"),
    )
    return (sums["net"] or ZERO) <= 0 and (sums["pending"] or ZERO) <= 0


def net_documents(summary: OrderSummary) -> Decimal:
    """Apply the credit memos' balances to the open invoices, oldest first, when nothing was captured.
    The caller holds the summary's lock. Returns the amount netted."""
    memos = list(CreditMemo.objects.select_for_update().filter(order_summary=summary, balance__gt=0).order_by("id"))
    if not memos:
        return ZERO
    invoices = list(Invoice.objects.select_for_update().filter(order_summary=summary, balance__gt=0).order_by("id"))
    if not invoices or not nothing_captured(summary):
        return ZERO
    rows = []
    netted = ZERO
    for invoice in invoices:
        due = invoice.balance - pending_capture_total(invoice)
        for memo in memos:
            amount = min(due, memo.balance)
            if amount <= 0:
                continue
            memo.balance -= amount
            invoice.balance -= amount
            due -= amount
            netted += amount
            rows.append(CreditMemoAppliedToInvoice(credit_memo=memo, invoice=invoice, amount=amount))
    if not rows:
        return ZERO
    CreditMemoAppliedToInvoice.objects.bulk_create(rows)
    now = timezone.now()
    for document in (*memos, *invoices):
        document.last_modified = now
    CreditMemo.objects.bulk_update(memos, ["balance", "last_modified"])
    Invoice.objects.bulk_update(invoices, ["balance", "last_modified"])
    bump_version(summary.pk)
    return netted
