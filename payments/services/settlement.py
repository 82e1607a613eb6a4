"""Settle a pending capture or refund with the gateway's answer: once, whoever answers first.

Both functions are idempotent: a movement that is no longer pending is left alone, so the task that
sent it, a redelivered copy of that task and the reconciliation can all call them.
"""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from orders.db import Lock, lock_rows, update_row
from orders.errors import NotFound
from orders.models import ACTIVE_PROCESS_EXCEPTION_STATUSES, OrderSummary, ProcessException
from orders.money import ZERO, round_money
from payments.event_data import emit_capture_settled, emit_refund_settled
from payments.gateway import GatewayOutcome, GatewayResult
from payments.models import (
    AuthorizationReversal,
    CreditMemo,
    Invoice,
    OrderPaymentSummary,
    Payment,
    PaymentAppliedToInvoice,
    PaymentAuthorization,
    PaymentStatus,
    Refund,
    RefundStatus,
    ReversalStatus,
)

from .locks import bump_version
from .payment_funds import apply_to_invoice
from .process_exceptions import raise_payment_exception

# What raise_payment_exception reads of the locked summary (35 columns).
SUMMARY_FIELDS = ("id", "active_process_exception_count")


def _summary_id(movement_model: type[Payment | Refund | AuthorizationReversal], pk: int) -> int:
    summary_id: int = (
        movement_model._default_manager.filter(pk=pk)
        .values_list("order_payment_summary__order_summary_id", flat=True)
        .get()
    )
    return summary_id


def _lock(summary_id: int, *locks: Lock) -> list[Any]:
    """The summary and then `locks`, in the order of locks.py, with one statement: the same rows and locks
    as `lock_summary` and a `lock_row` for each (issue 19: a settlement's four lock statements were a
    seventh of a money job's statements)."""
    summary, *rows = lock_rows(Lock(OrderSummary, summary_id, SUMMARY_FIELDS, required=False), *locks)
    if summary is None:
        raise NotFound(f"Order summary {summary_id} does not exist.")
    return [summary, *rows]


def settle_capture(
    payment_id: int, result: GatewayResult, *, summary_id: int | None = None, known: Payment | None = None
) -> Payment:
    """`summary_id` and `known` (the payment as the caller loaded it: only its links are read, which never
    change) spare the reads that find them. Joins the caller's transaction when there is one."""
    if summary_id is None:
        summary_id = _summary_id(Payment, payment_id)
    with transaction.atomic(savepoint=False):
        if known is None:
            known = Payment.objects.only("order_payment_summary_id", "target_invoice_id").get(pk=payment_id)
        locks = [Lock(OrderPaymentSummary, known.order_payment_summary_id, no_key=True)]
        if known.target_invoice_id:
            locks.append(Lock(Invoice, known.target_invoice_id))
        ops: OrderPaymentSummary
        payment: Payment
        summary, ops, *rest, payment = _lock(summary_id, *locks, Lock(Payment, payment_id, no_key=True))
        invoice = rest[0] if rest else None
        if payment.status != PaymentStatus.PENDING or not result.is_final:
            return payment
        ops.pending_capture_amount -= payment.amount
        if result.outcome is GatewayOutcome.SUCCESS:
            bump_version(summary_id)
            payment.status = PaymentStatus.PROCESSED
            payment.gateway_reference = result.reference
            payment.processed_at = timezone.now()
            applied = min(invoice.balance, payment.amount) if invoice is not None else ZERO
            payment.balance = payment.amount - applied
            update_row(payment, ["status", "gateway_reference", "processed_at", "balance"])
            if invoice is not None and applied > 0:
                apply_to_invoice(payment, invoice, applied, background_operation_id=payment.background_operation_id)
            ops.captured_amount += payment.amount
            ops.balance_amount += payment.balance
        else:
            payment.status = PaymentStatus.FAILED
            payment.save(update_fields=["status"])
            raise_payment_exception(
                summary,
                message=f"Capture of {round_money(payment.amount, payment.currency)} {payment.currency} "
                f"on {ops.display_name} failed: {result.result_code}",
                description=f"{result.message} Idempotency key {payment.idempotency_key}; "
                f"invoice {invoice.number if invoice else '-'}.",
                attached_to=payment.background_operation or payment,
            )
        update_row(ops, ["pending_capture_amount", "captured_amount", "balance_amount"])
        emit_capture_settled(payment, summary_id)
    return payment


def settle_refund(
    refund_id: int, result: GatewayResult, *, summary_id: int | None = None, known: Refund | None = None
) -> Refund:
    """As settle_capture: `known` is the refund as the caller loaded it (only its links are read)."""
    if summary_id is None:
        summary_id = _summary_id(Refund, refund_id)
    with transaction.atomic(savepoint=False):
        if known is None:
            known = Refund.objects.only("order_payment_summary_id", "credit_memo_id", "payment_id").get(pk=refund_id)
        locks = [Lock(OrderPaymentSummary, known.order_payment_summary_id, no_key=True)]
        if known.credit_memo_id:
            locks.append(Lock(CreditMemo, known.credit_memo_id))
        ops: OrderPaymentSummary
        payment: Payment
        refund: Refund
        summary, ops, *rest, payment, refund = _lock(
            summary_id, *locks, Lock(Payment, known.payment_id, no_key=True), Lock(Refund, refund_id, no_key=True)
        )
        memo = rest[0] if rest else None
        if refund.status != RefundStatus.PENDING or not result.is_final:
            return refund
        payment.pending_refund_amount -= refund.amount
        ops.pending_refund_amount -= refund.amount
        # Either way the funds position moves: the refund is final, or its reservation is given back.
        bump_version(summary_id)
        if result.outcome is GatewayOutcome.SUCCESS:
            refund.status = RefundStatus.PROCESSED
            refund.gateway_reference = result.reference
            refund.processed_at = timezone.now()
            payment.refunded_amount += refund.amount
            ops.refunded_amount += refund.amount
        else:
            # Give the reservation back: the funds to the payment, the credit to the memo.
            refund.status = RefundStatus.FAILED
            payment.balance += refund.from_balance_amount
            ops.balance_amount += refund.from_balance_amount
            PaymentAppliedToInvoice.objects.filter(refund=refund).delete()
            if memo:
                memo.balance += refund.credit_memo_amount
                update_row(memo, ["balance"])
            raise_payment_exception(
                summary,
                message=f"Refund of {round_money(refund.amount, refund.currency)} {refund.currency} "
                f"to {ops.display_name} failed: "
                f"{result.result_code}",
                description=f"{result.message} Idempotency key {refund.idempotency_key}.",
                attached_to=refund.background_operation or refund,
            )
        update_row(refund, ["status", "gateway_reference", "processed_at"])
        update_row(payment, ["pending_refund_amount", "refunded_amount", "balance"])
        update_row(ops, ["pending_refund_amount", "refunded_amount", "balance_amount"])
        emit_refund_settled(refund, summary_id)
    return refund


def settle_reversal(
    reversal_id: int,
    result: GatewayResult,
    *,
    summary_id: int | None = None,
    known: AuthorizationReversal | None = None,
) -> AuthorizationReversal:
    """As settle_capture. A reversal that succeeds keeps its amount in the payment summary's
    AuthorizationReversalAmount (reserved when it was planned) and moves the version; one that fails gives
    it back and raises a payment process exception (the settling pass tries again later, under a new key)."""
    if summary_id is None:
        summary_id = _summary_id(AuthorizationReversal, reversal_id)
    with transaction.atomic(savepoint=False):
        if known is None:
            known = AuthorizationReversal.objects.only("order_payment_summary_id").get(pk=reversal_id)
        ops: OrderPaymentSummary
        reversal: AuthorizationReversal
        summary, ops, reversal = _lock(
            summary_id,
            Lock(OrderPaymentSummary, known.order_payment_summary_id, no_key=True),
            Lock(AuthorizationReversal, reversal_id, no_key=True),
        )
        if reversal.status != ReversalStatus.PENDING or not result.is_final:
            return reversal
        if result.outcome is GatewayOutcome.SUCCESS:
            reversal.status = ReversalStatus.PROCESSED
            reversal.gateway_reference = result.reference
            reversal.processed_at = timezone.now()
            bump_version(summary_id)
        else:
            reversal.status = ReversalStatus.FAILED
            ops.authorization_reversal_amount -= reversal.amount
            update_row(ops, ["authorization_reversal_amount"])
            # Attached to the authorization: the retries of one failing reversal make one exception.
            authorization = PaymentAuthorization(pk=reversal.authorization_id)
            if not ProcessException.objects.filter(
                order_summary_id=summary_id,
                status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES,
                attached_to_type=ContentType.objects.get_for_model(PaymentAuthorization),
                attached_to_id=str(authorization.pk),
            ).exists():
                raise_payment_exception(
                    summary,
                    message=f"Reversal of {round_money(reversal.amount, reversal.currency)} {reversal.currency} of "
                    "the authorization on "
                    f"{ops.display_name} failed: {result.result_code}",
                    description=f"{result.message} Idempotency key {reversal.idempotency_key}. The unused "
                    "authorization is released again on the next settling pass (retried).",
                    attached_to=authorization,
                )
        update_row(reversal, ["status", "gateway_reference", "processed_at"])
    return reversal
