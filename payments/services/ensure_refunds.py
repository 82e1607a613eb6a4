"""Ensure refunds (DOMAIN.md §3.8): give back a credit memo's balance and/or excess funds, paying fee
invoices out of it first.

`prepare_ensure_refunds` runs under the summary's lock: it pays the fee invoices at once and reserves
each refund as pending (its funds taken from the payment, its idempotency key set). The refunds are
sent after that transaction commits (payments.services.movements).
"""

from collections import defaultdict
from collections.abc import Hashable, Mapping
from decimal import Decimal

from django.contrib.auth.models import User

from orders.db import get_row, get_rows, update_row
from orders.errors import InvalidInput, InvalidState
from orders.models import ApiClient, OrderSummary
from orders.money import ZERO, round_money
from payments.allocation import InsufficientFunds, Source, exact_else_smallest_sufficient, plan_refunds
from payments.funds import funds_position
from payments.models import (
    BackgroundOperation,
    CreditMemo,
    Invoice,
    OperationType,
    OrderPaymentSummary,
    Payment,
    PaymentStatus,
    Refund,
)

from . import operation_input
from .locks import bump_version, lock_payment_summaries
from .movements import Prepared, insert_with_keys, update_rows
from .operation_input import EnsureRefundsInput
from .operation_queue import check_sequences, queue_operation, summary_for_submit
from .payment_funds import apply_to_invoice, take_funds


def prepare_ensure_refunds(operation: BackgroundOperation, summary: OrderSummary) -> Prepared:
    data = EnsureRefundsInput.from_stored(operation.input)
    currency = summary.currency
    memo = None
    if data.credit_memo_id:
        memo_id = data.credit_memo_id
        memo = get_row(CreditMemo, memo_id, where={"order_summary_id": summary.pk}, lock=True)
        if memo is None:
            raise InvalidInput(f"Credit memo {memo_id} does not belong to this order summary.", field="creditMemoId")
    payment_summaries = lock_payment_summaries(summary)
    # In the order of their ids (as locked): the fee invoices are paid from the payments in that order.
    by_id: dict[Hashable, OrderPaymentSummary] = {ops.pk: ops for ops in payment_summaries}
    excess = operation_input.money(data.excess_funds_amount, currency, "excessFundsAmount")
    fee_invoices = _fee_invoices(summary, data.invoices_to_pay)
    steps = operation_input.sequences(data.sequences, {ops.pk for ops in payment_summaries}, currency)
    allow_partial = data.allow_partial

    if excess > 0:
        available_excess = funds_position(summary).total_excess_funds_amount
        if excess > available_excess:
            raise InvalidState(
                f"Excess funds of {excess} {currency} were asked for; the order summary has {available_excess}.",
                field="excessFundsAmount",
            )
    memo_amount = memo.balance if memo else ZERO
    total = memo_amount + excess
    fees = sum((invoice.balance for invoice in fee_invoices), ZERO)
    if total <= 0 and not fee_invoices:
        # The memo is settled already (or its refund is under way): asking again changes nothing.
        return Prepared(_outcome(memo, currency, excess=ZERO, fees_paid=ZERO, refunded=ZERO, shortfall=ZERO))
    if fees > total:
        raise InvalidState(f"The fee invoices ({fees}) exceed what is refunded ({total}).", field="invoicesToPay")

    refund_total = total - fees
    try:
        plan = plan_refunds(
            refund_total,
            [Source(ops.pk, ops.available_to_refund_amount) for ops in payment_summaries],
            steps,
            allow_partial,
        )
    except InsufficientFunds as exc:
        raise InvalidState(
            f"{exc.needed} {currency} is to be refunded; the payment methods have {exc.available} available."
        ) from None

    payments: defaultdict[Hashable, list[Payment]] = defaultdict(list)
    for payment in get_rows(
        Payment,
        where={"order_payment_summary_id": [ops.pk for ops in payment_summaries], "status": PaymentStatus.PROCESSED},
        lock=True,
        no_key=True,
    ):
        payments[payment.order_payment_summary_id].append(payment)
    available: dict[Hashable, Decimal] = {
        p.pk: p.available_to_refund_amount for group in payments.values() for p in group
    }
    fee_invoice_ids = [invoice.pk for invoice in fee_invoices]

    # The memo is settled before the excess; fees are paid out of the memo first.
    memo_for_fees = min(fees, memo_amount)
    memo_left = memo_amount - memo_for_fees
    memo_refunded = ZERO
    reserved: list[tuple[Refund, Payment]] = []
    for ops_id, amount in plan.refunds:
        group = payments[ops_id]
        chosen = dict(exact_else_smallest_sufficient([Source(p.pk, available[p.pk]) for p in group], amount))
        for payment in group:
            taken = chosen.get(payment.pk)
            if not taken:
                continue
            memo_part = min(memo_left, taken)
            memo_left -= memo_part
            memo_refunded += memo_part
            reserved.append(_refund(by_id[ops_id], payment, taken, memo if memo_part else None, memo_part, operation))
            available[payment.pk] -= taken
    refunds = [refund for refund, _ in reserved]
    insert_with_keys(refunds, "refund")
    # Each payment is refunded at most once here (one allocation per payment summary, one per payment in it).
    for refund, payment in reserved:
        take_funds(
            payment, refund.amount, exclude_invoice_ids=fee_invoice_ids, refund=refund, background_operation=operation
        )
        payment.pending_refund_amount += refund.amount
        ops = by_id[payment.order_payment_summary_id]
        ops.pending_refund_amount += refund.amount
        ops.balance_amount -= refund.from_balance_amount
    update_rows([payment for _, payment in reserved], ["balance", "pending_refund_amount"])
    update_rows([by_id[ops_id] for ops_id, _ in plan.refunds], ["pending_refund_amount", "balance_amount"])

    fees_paid = _pay_fee_invoices(fee_invoices, payments, by_id, available, memo, operation)
    if reserved or fees_paid:
        # Refunds reserved (the funds position counts them from now) or fee invoices paid.
        bump_version(summary.pk)
    if memo is not None:
        memo.balance -= min(fees_paid, memo_amount) + memo_refunded
        update_row(memo, ["balance"])
    outcome = _outcome(
        memo, currency, excess=excess, fees_paid=fees_paid, refunded=plan.refund_amount, shortfall=plan.shortfall
    )
    return Prepared(outcome, refunds=refunds)


def _outcome(
    memo: CreditMemo | None,
    currency: str,
    *,
    excess: Decimal,
    fees_paid: Decimal,
    refunded: Decimal,
    shortfall: Decimal,
) -> dict[str, str | None]:
    return {
        "creditMemoId": str(memo.pk) if memo else None,
        "excessFundsAmount": str(round_money(excess, currency)),
        "feeInvoicesPaidAmount": str(round_money(fees_paid, currency)),
        "refundAmount": str(round_money(refunded, currency)),
        "shortfall": str(round_money(shortfall, currency)),
    }


def _fee_invoices(summary: OrderSummary, ids: tuple[int, ...]) -> list[Invoice]:
    found = {inv.pk: inv for inv in Invoice.objects.select_for_update().filter(pk__in=ids, order_summary=summary)}
    for index, pk in enumerate(ids):
        if pk not in found:
            raise InvalidInput(f"Invoice {pk} does not belong to this order summary.", field=f"invoicesToPay[{index}]")
    return [found[pk] for pk in sorted(set(ids))]


def _refund(
    ops: OrderPaymentSummary,
    payment: Payment,
    amount: Decimal,
    memo: CreditMemo | None,
    memo_part: Decimal,
    operation: BackgroundOperation,
) -> tuple[Refund, Payment]:
    """A pending refund of `amount` from the payment, not yet inserted: its funds are taken once it is."""
    refund = Refund(
        order_payment_summary=ops,
        payment=payment,
        amount=amount,
        currency=payment.currency,
        credit_memo=memo,
        credit_memo_amount=memo_part,
        from_balance_amount=min(payment.balance, amount),
        background_operation=operation,
    )
    return refund, payment


def _pay_fee_invoices(
    fee_invoices: list[Invoice],
    payments: Mapping[Hashable, list[Payment]],
    by_id: dict[Hashable, OrderPaymentSummary],
    available: dict[Hashable, Decimal],
    memo: CreditMemo | None,
    operation: BackgroundOperation,
) -> Decimal:
    """Keep part of the captured funds as payment of the fee invoices, instead of refunding it."""
    everyone = [p for ops_id in by_id for p in payments.get(ops_id, ())]
    by_payment: dict[Hashable, Payment] = {p.pk: p for p in everyone}
    paid = ZERO
    for invoice in fee_invoices:
        chosen = exact_else_smallest_sufficient([Source(p.pk, available[p.pk]) for p in everyone], invoice.balance)
        for payment_id, taken in chosen:
            payment = by_payment[payment_id]
            ops = by_id[payment.order_payment_summary_id]
            from_balance = take_funds(payment, taken, exclude_invoice_ids=[invoice.pk], background_operation=operation)
            update_row(payment, ["balance"])
            ops.balance_amount -= from_balance
            update_row(ops, ["balance_amount"])
            apply_to_invoice(payment, invoice, taken, credit_memo=memo, background_operation=operation)
            available[payment_id] -= taken
            paid += taken
    return paid


def submit_ensure_refunds(
    summary_id: int,
    data: EnsureRefundsInput,
    *,
    client: ApiClient | None = None,
    user: User | None = None,
    retry_of: BackgroundOperation | None = None,
) -> BackgroundOperation:
    summary = summary_for_submit(summary_id)
    memo_id = data.credit_memo_id
    if memo_id is not None and not CreditMemo.objects.filter(pk=memo_id, order_summary=summary).exists():
        raise InvalidInput(f"Credit memo {memo_id} does not belong to this order summary.", field="creditMemoId")
    excess = operation_input.money(data.excess_funds_amount, summary.currency, "excessFundsAmount")
    if memo_id is None and excess == 0:
        raise InvalidInput("Name a credit memo or an excess funds amount to refund.", field="creditMemoId")
    invoice_ids = data.invoices_to_pay
    known = set(Invoice.objects.filter(pk__in=invoice_ids, order_summary=summary).values_list("pk", flat=True))
    for index, pk in enumerate(invoice_ids):
        if pk not in known:
            raise InvalidInput(f"Invoice {pk} does not belong to this order summary.", field=f"invoicesToPay[{index}]")
    check_sequences(summary, data.sequences)
    return queue_operation(
        summary, OperationType.ENSURE_REFUNDS, data.stored(), client=client, user=user, retry_of=retry_of
    )
