"""Move funds inside one payment: from its unapplied balance, or back out of the invoices it paid."""

from collections.abc import Collection
from decimal import Decimal
from typing import TypedDict, Unpack

from django.db.models import Max

from orders.db import insert_rows, update_row
from orders.models.fields import MoneySum
from orders.money import ZERO
from payments.models import (
    ApplicationType,
    BackgroundOperation,
    CreditMemo,
    Invoice,
    Payment,
    PaymentAppliedToInvoice,
    Refund,
)


class LedgerLinks(TypedDict, total=False):
    """What a ledger line (a payment applied to or taken back from an invoice) was made for."""

    background_operation: BackgroundOperation
    background_operation_id: int | None
    refund: Refund
    credit_memo: CreditMemo | None


def apply_to_invoice(
    payment: Payment, invoice: Invoice, amount: Decimal, **links: Unpack[LedgerLinks]
) -> PaymentAppliedToInvoice:
    """Record `amount` of the payment as paying the invoice; the caller has taken the funds already."""
    invoice.balance -= amount
    update_row(invoice, ["balance"])
    application = PaymentAppliedToInvoice(
        payment=payment, invoice=invoice, type=ApplicationType.APPLIED, amount=amount, **links
    )
    insert_rows([application])
    return application


def unapply(
    payment: Payment, amount: Decimal, *, exclude_invoice_ids: Collection[int] = (), **links: Unpack[LedgerLinks]
) -> None:
    """Take `amount` back out of what the payment paid, the most recently paid invoice first."""
    if amount <= 0:
        return
    applied = (
        PaymentAppliedToInvoice.objects.filter(payment=payment)
        .exclude(invoice_id__in=exclude_invoice_ids)
        .values("invoice_id")
        .annotate(net=MoneySum("amount"), last=Max("id"))
        .filter(net__gt=0)
        .order_by("-last")
    )
    remaining = amount
    rows = []
    for entry in applied:
        taken = min(entry["net"], remaining)
        rows.append(
            PaymentAppliedToInvoice(
                payment=payment, invoice_id=entry["invoice_id"], type=ApplicationType.UNAPPLIED, amount=-taken, **links
            )
        )
        remaining -= taken
        if remaining == 0:
            break
    if remaining > 0:
        # Guarded by payment_refunds_within_amount: reaching here means the ledger is already wrong.
        raise RuntimeError(f"Payment {payment.pk} has {amount - remaining} applied, {amount} was asked back.")
    PaymentAppliedToInvoice.objects.bulk_create(rows)


def take_funds(
    payment: Payment, amount: Decimal, *, exclude_invoice_ids: Collection[int] = (), **links: Unpack[LedgerLinks]
) -> Decimal:
    """Free `amount` of the payment's captured funds: its unapplied balance first, then by unapplying.
    Returns the part that came from the balance; the caller saves the payment."""
    from_balance = min(payment.balance, amount)
    payment.balance -= from_balance
    unapply(payment, amount - from_balance, exclude_invoice_ids=exclude_invoice_ids, **links)
    return from_balance


def applied_amount(payment: Payment) -> Decimal:
    total: Decimal | None = PaymentAppliedToInvoice.objects.filter(payment=payment).aggregate(total=MoneySum("amount"))[
        "total"
    ]
    return total or ZERO
