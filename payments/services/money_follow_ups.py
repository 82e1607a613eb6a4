"""Default money automation (DOMAIN.md §4.3): the steps a fulfilled order or a refund-worthy change
sets off, each the same service the API calls. A step that cannot run raises a process exception
and loses nothing: the documents already made stay, and a person retries from the exception.
"""

from collections.abc import Callable

from django.db import transaction

from orders.errors import ServiceError
from orders.models import ProcessExceptionCategory
from orders.services.holds import is_capture_held
from payments import errors as codes
from payments.funds import funds_position
from payments.models import BackgroundOperation, CreditMemo, Invoice, OperationStatus, OperationType

from .background_operations import run_operation
from .completion import settle_summary
from .credit_memo_create import create_credit_memo
from .ensure_funds import pending_capture_total, submit_ensure_funds
from .ensure_refunds import submit_ensure_refunds
from .fulfillment_invoice_create import invoice_fulfillment_order
from .locks import lock_summary
from .operation_input import EnsureFundsInput, EnsureRefundsInput
from .process_exceptions import raise_payment_exception


def _record_failure(
    summary_id: int, message: str, exc: ServiceError, *, category: str = ProcessExceptionCategory.PAYMENT
) -> None:
    with transaction.atomic():
        summary = lock_summary(summary_id, managed=False)
        raise_payment_exception(
            summary, message=f"{message}: {exc.message}", description=str(exc.as_error_list()), category=category
        )


def invoice_and_capture(fulfillment_order_id: int, summary_id: int) -> BackgroundOperation | None:
    """A fulfilled fulfillment order: its invoice (made here, or the one an API client made first), then
    funds ensured for it exactly once: not when the invoice is paid, nor while a capture for it is pending or
    an ensure-funds operation for it is waiting to run (a redelivered task, a client that asked already).
    A reshipment's fulfillment order bills nothing (issue 15): only the settling pass runs."""
    try:
        invoice = invoice_fulfillment_order(fulfillment_order_id).invoice
    except ServiceError as exc:
        if any(error.code == codes.RESHIP_NOT_BILLED for error in exc.errors):
            settle_summary(summary_id)
            return None
        _record_failure(
            summary_id, "Invoicing the fulfillment order failed", exc, category=ProcessExceptionCategory.INVOICING
        )
        return None
    operation = _ensure_funds_once(summary_id, invoice.pk)
    settle_summary(summary_id)  # the last shipment paid: leftover excess refunded, authorizations released
    return operation


def _ensure_funds_once(summary_id: int, invoice_id: int) -> BackgroundOperation | None:
    try:
        with transaction.atomic():
            lock_summary(summary_id)
            invoice = Invoice.objects.get(pk=invoice_id)
            waiting = BackgroundOperation.objects.filter(
                order_summary_id=summary_id,
                type=OperationType.ENSURE_FUNDS,
                input__invoiceId=str(invoice_id),
                status__in=[OperationStatus.NEW, OperationStatus.RUNNING],
            ).exists()
            # A held order captures on release (issue 16).
            if invoice.balance - pending_capture_total(invoice) <= 0 or waiting or is_capture_held(summary_id):
                return None
            operation = submit_ensure_funds(summary_id, EnsureFundsInput(invoice_id=invoice_id))
    except ServiceError as exc:
        _record_failure(summary_id, "Ensure funds could not be submitted", exc)
        return None
    return run_operation(operation.pk)


def credit_and_refund(summary_id: int, change_order_ids: list[int]) -> BackgroundOperation | None:
    """A return or post-fulfillment discount submitted by an agent: a credit memo, then its refund."""
    try:
        memo = create_credit_memo(summary_id, change_order_ids)
    except ServiceError as exc:
        _record_failure(summary_id, "The credit memo could not be made", exc)
        return None
    if memo.balance == 0:
        return None  # netted against the open invoice: nothing to refund
    operation = _run(
        summary_id,
        submit_ensure_refunds,
        EnsureRefundsInput(credit_memo_id=memo.pk),
        "Ensure refunds could not be submitted",
    )
    settle_summary(summary_id)
    return operation


def refund_credit_memo(summary_id: int, credit_memo_id: int) -> BackgroundOperation | None:
    """Refund what is left on a credit memo made already (an exchange's, after its credit paid the
    replacement); nothing when it is settled."""
    if not CreditMemo.objects.filter(pk=credit_memo_id, order_summary_id=summary_id, balance__gt=0).exists():
        return None
    operation = _run(
        summary_id,
        submit_ensure_refunds,
        EnsureRefundsInput(credit_memo_id=credit_memo_id),
        "Ensure refunds could not be submitted",
    )
    settle_summary(summary_id)
    return operation


def refund_excess(summary_id: int) -> BackgroundOperation | None:
    """A pre-fulfillment cancel or discount with captured funds: refund what is now in excess. Read and
    submitted under the summary's lock, and not while a refund waits to run (the settling pass may have
    started it already): the excess is refunded once."""
    operation = None
    try:
        with transaction.atomic():
            summary = lock_summary(summary_id)
            waiting = BackgroundOperation.objects.filter(
                order_summary=summary,
                type=OperationType.ENSURE_REFUNDS,
                status__in=[OperationStatus.NEW, OperationStatus.RUNNING],
            ).exists()
            excess = funds_position(summary).total_excess_funds_amount
            if excess > 0 and not waiting:
                operation = submit_ensure_refunds(summary_id, EnsureRefundsInput(excess_funds_amount=excess))
    except ServiceError as exc:
        _record_failure(summary_id, "Ensure refunds could not be submitted", exc)
    if operation is not None:
        operation = run_operation(operation.pk)
    settle_summary(summary_id)  # a full cancel: the authorizations are released
    return operation


def _run(
    summary_id: int,
    submit: Callable[[int, EnsureRefundsInput], BackgroundOperation],
    data: EnsureRefundsInput,
    failure_message: str,
) -> BackgroundOperation | None:
    try:
        with transaction.atomic():
            operation = submit(summary_id, data)
    except ServiceError as exc:
        _record_failure(summary_id, failure_message, exc)
        return None
    # Already inside a worker: run it here rather than wait for the queued copy (which then finds it done).
    return run_operation(operation.pk)
