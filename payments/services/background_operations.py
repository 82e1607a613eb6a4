"""Run ensure-funds and ensure-refunds background operations.

A submit (`ensure_funds.submit_ensure_funds`, `ensure_refunds.submit_ensure_refunds`) validates the request,
records the operation and enqueues its task once committed (`operation_queue`). The task
calls `run_operation`, which is safe to run any number of times for one operation: the money
movements are planned once (in the transaction that stamps `prepared_at`), sent under their own
idempotency keys, and settled once.
"""

import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from orders.db import get_row, lock_row, update_row
from orders.errors import ServiceError
from orders.models import OrderSummary
from orders.money import round_money
from payments.models import (
    BackgroundOperation,
    OperationStatus,
    OperationType,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)

from .ensure_funds import prepare_ensure_funds
from .ensure_refunds import prepare_ensure_refunds
from .locks import check_managed
from .movements import Call, Movement, Prepared, log_reserved, send_operation_movements, send_reserved
from .process_exceptions import raise_payment_exception

logger = logging.getLogger(__name__)

PREPARE: dict[str, Callable[[BackgroundOperation, OrderSummary], Prepared]] = {
    OperationType.ENSURE_FUNDS: prepare_ensure_funds,
    OperationType.ENSURE_REFUNDS: prepare_ensure_refunds,
}
LABEL: dict[str, str] = {OperationType.ENSURE_FUNDS: "Ensure funds", OperationType.ENSURE_REFUNDS: "Ensure refunds"}


# --- run ----------------------------------------------------------------------------------------

# What of the locked summary preparing an operation reads (the funds position included), and what
# raise_payment_exception reads: a summary has 35 columns, and these reads are a large part of a run.
PREPARE_FIELDS = ("id", "currency", "life_cycle_type", "grand_total_amount")
EXCEPTION_FIELDS = ("id", "active_process_exception_count")


def _lock_summary_of(operation_id: int, fields: tuple[str, ...]) -> OrderSummary | None:
    """The operation's order summary, locked first as every payment service does (one query)."""
    operations = BackgroundOperation._meta.db_table
    return get_row(
        OrderSummary,
        operation_id,
        fields=fields,
        lock=True,
        pk_sql=f"(SELECT order_summary_id FROM {operations} WHERE id = %s)",  # noqa: S608
    )


def _summary_of(summary: OrderSummary | None, operation: BackgroundOperation) -> OrderSummary:
    """The summary locked before the operation was read; it exists when the operation does (PROTECT)."""
    if summary is None:
        raise OrderSummary.DoesNotExist(f"The order summary of background operation {operation.pk} does not exist.")
    return summary


def _mark_running(operation: BackgroundOperation) -> list[str]:
    if operation.status == OperationStatus.RUNNING:
        # Delivered again: after a worker died, or a retry of a failed attempt.
        operation.retry_count += 1
        return ["retry_count"]
    operation.status = OperationStatus.RUNNING
    operation.started_at = timezone.now()
    return ["status", "started_at"]


def _begin(operation_id: int) -> tuple[BackgroundOperation, list[Call] | None] | None:
    """One transaction: the operation marked Running (a redelivery counted) and, the first time, its
    money movements planned and reserved and the log lines of their gateway calls written.

    Returns None when there is nothing to do (no such operation, or final already); else the operation
    and the calls to send, or None for the calls when an earlier delivery prepared them. A refused
    request leaves the operation Complete with its errors (and a process exception).
    """
    try:
        with transaction.atomic():
            summary = _lock_summary_of(operation_id, PREPARE_FIELDS)
            if summary is None:
                return None
            operation = lock_row(BackgroundOperation, operation_id)
            if operation.is_final:
                return None
            update = _mark_running(operation)
            calls = None
            if operation.prepared_at is None:
                check_managed(summary)
                prepared = PREPARE[operation.type](operation, summary)
                operation.prepared_at = timezone.now()
                operation.result = prepared.outcome
                update += ["prepared_at", "result"]
                calls = log_reserved(prepared.captures, prepared.refunds)
                if not calls:
                    update += _complete(operation, captures=[], refunds=[])
            update_row(operation, update)
            return operation, calls
    except ServiceError as exc:
        _refuse(operation_id, exc)
        return BackgroundOperation.objects.get(pk=operation_id), []
    except Exception:
        # The attempt is on record (Running, or one more delivery) before the task retries it.
        _record_attempt(operation_id)
        raise


def _record_attempt(operation_id: int) -> None:
    with transaction.atomic():
        operation = BackgroundOperation.objects.select_for_update().filter(pk=operation_id).first()
        if operation is not None and not operation.is_final:
            operation.save(update_fields=_mark_running(operation))


def _refuse(operation_id: int, exc: ServiceError) -> None:
    """The request cannot be carried out as it stands: a person must look, the job itself is done."""
    with transaction.atomic():
        summary = _lock_summary_of(operation_id, EXCEPTION_FIELDS)
        operation = BackgroundOperation.objects.select_for_update().get(pk=operation_id)
        if operation.is_final:
            return
        summary = _summary_of(summary, operation)
        _mark_running(operation)
        raise_payment_exception(
            summary,
            message=f"{LABEL[operation.type]} could not run: {exc.message}",
            description=f"Background operation {operation.pk}, input {operation.input}.",
            attached_to=operation,
        )
        operation.status = OperationStatus.COMPLETE
        operation.finished_at = timezone.now()
        operation.result = {"success": False, "errors": exc.as_error_list()}
        operation.save(update_fields=["status", "started_at", "retry_count", "finished_at", "result"])


def run_operation(operation_id: int) -> BackgroundOperation | None:
    begun = _begin(operation_id)
    if begun is None:
        return None
    operation, calls = begun
    if calls is None:
        # Prepared by an earlier delivery: whatever is still pending is sent again under its own key.
        send_operation_movements(operation)
        return finish_operation(operation_id)
    if calls:
        finished: list[BackgroundOperation] = []
        send_reserved(
            calls, operation.order_summary_id, lambda last: finished.append(_finish_after(operation_id, calls, last))
        )
        return finished[0]
    return operation


def _finish_after(operation_id: int, calls: list[Call], last: Movement) -> BackgroundOperation:
    """In the transaction that settled the last of `calls`, the movements this run reserved."""
    if len(calls) > 1:
        return finish_operation(operation_id)
    # The operation's only movement, locked and settled in this very transaction: not read again.
    if isinstance(last, Payment):
        return finish_operation(operation_id, captures=[last], refunds=[])
    if isinstance(last, Refund):
        return finish_operation(operation_id, captures=[], refunds=[last])
    raise TypeError(f"A background operation reserves captures and refunds, not {type(last).__name__}.")


def _complete(
    operation: BackgroundOperation,
    *,
    captures: Iterable[Payment] | None = None,
    refunds: Iterable[Refund] | None = None,
) -> list[str]:
    """The movement report merged into the result, and Complete unless final already; the fields to save."""
    operation.result = {**(operation.result or {}), **movement_report(operation, captures=captures, refunds=refunds)}
    if operation.is_final:
        return ["result"]
    operation.status = OperationStatus.COMPLETE
    operation.finished_at = timezone.now()
    return ["result", "status", "finished_at"]


def finish_operation(
    operation_id: int, *, captures: Iterable[Payment] | None = None, refunds: Iterable[Refund] | None = None
) -> BackgroundOperation:
    """Joins the caller's transaction when there is one (the settlement of the operation's last movement).
    `captures` and `refunds`: all of the operation's movements as this transaction holds them, when known."""
    with transaction.atomic(savepoint=False):
        operation = lock_row(BackgroundOperation, operation_id)
        update_row(operation, _complete(operation, captures=captures, refunds=refunds))
    return operation


def movement_report(
    operation: BackgroundOperation,
    *,
    captures: Iterable[Payment] | None = None,
    refunds: Iterable[Refund] | None = None,
) -> dict[str, Any]:
    """Ensure funds reserves captures only, ensure refunds refunds only: the other kind is not read."""
    if captures is None:
        captures = (
            Payment.objects.filter(background_operation=operation).order_by("id")
            if operation.type == OperationType.ENSURE_FUNDS
            else []
        )
    if refunds is None:
        refunds = (
            Refund.objects.filter(background_operation=operation).order_by("id")
            if operation.type == OperationType.ENSURE_REFUNDS
            else []
        )
    capture_lines = [
        {
            "paymentId": str(p.pk),
            "orderPaymentSummaryId": str(p.order_payment_summary_id),
            "amount": str(round_money(p.amount, p.currency)),
            "status": p.status,
            "gatewayReference": p.gateway_reference,
        }
        for p in captures
    ]
    refund_lines = [
        {
            "refundId": str(r.pk),
            "orderPaymentSummaryId": str(r.order_payment_summary_id),
            "paymentId": str(r.payment_id),
            "amount": str(round_money(r.amount, r.currency)),
            "status": r.status,
            "gatewayReference": r.gateway_reference,
        }
        for r in refunds
    ]
    lines = capture_lines + refund_lines
    failed = [m for m in lines if m["status"] in (PaymentStatus.FAILED, RefundStatus.FAILED)]
    pending = [m for m in lines if m["status"] == PaymentStatus.PENDING]
    success = (
        not failed
        and (operation.result or {}).get("success", True) is not False
        and Decimal((operation.result or {}).get("shortfall", "0")) == 0
    )
    return {"captures": capture_lines, "refunds": refund_lines, "pendingCount": len(pending), "success": success}


def mark_operation_error(operation_id: int, error: Exception) -> None:
    """The job itself could not run (after its retries): Error, and a person is told."""
    with transaction.atomic():
        summary = _lock_summary_of(operation_id, EXCEPTION_FIELDS)
        operation = BackgroundOperation.objects.select_for_update().get(pk=operation_id)
        if operation.is_final:
            return
        summary = _summary_of(summary, operation)
        operation.status = OperationStatus.ERROR
        operation.finished_at = timezone.now()
        operation.error = {"type": type(error).__name__, "message": str(error)[:1000]}
        operation.save(update_fields=["status", "finished_at", "error"])
        raise_payment_exception(
            summary,
            message=f"{LABEL[operation.type]} stopped with an error: {type(error).__name__}",
            description=str(error)[:2000],
            attached_to=operation,
        )
