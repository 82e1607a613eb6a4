"""Retry the payment step behind a process exception: a new background operation for what is still
owed, and the exception resolved."""

from dataclasses import replace

from django.contrib.auth.models import User
from django.db import transaction

from orders.errors import InvalidState, NotFound
from orders.models import ApiClient, ProcessException, ProcessExceptionCategory, ProcessExceptionStatus
from orders.models.exceptions import ACTIVE_PROCESS_EXCEPTION_STATUSES
from orders.money import ZERO
from orders.services.process_exception_status import set_process_exception_status
from payments.models import BackgroundOperation, OperationType, Refund, RefundStatus

from .ensure_funds import submit_ensure_funds
from .ensure_refunds import submit_ensure_refunds
from .locks import lock_summary
from .operation_input import EnsureFundsInput, EnsureRefundsInput


def _operation_behind(exception: ProcessException) -> BackgroundOperation:
    kind = exception.attached_to_type
    if exception.category != ProcessExceptionCategory.PAYMENT or kind is None:
        raise InvalidState("Only a failed payment step can be retried.")
    model = kind.model_class()
    if model is BackgroundOperation:
        return BackgroundOperation.objects.get(pk=exception.attached_to_id)
    movement = model._default_manager.filter(pk=exception.attached_to_id).first() if model is not None else None
    operation = getattr(movement, "background_operation", None)
    if not isinstance(operation, BackgroundOperation):
        raise InvalidState("This exception is not about a payment step that can be retried.")
    return operation


def _check_active(status: str) -> None:
    if status not in ACTIVE_PROCESS_EXCEPTION_STATUSES:
        raise InvalidState(f"This exception is {status}; only an active one can be retried.")


def retry_input(operation: BackgroundOperation) -> EnsureFundsInput | EnsureRefundsInput:
    """For refunds, only the excess that did not go through is asked for again; the memo's balance
    already holds back what failed."""
    if operation.type == OperationType.ENSURE_FUNDS:
        return EnsureFundsInput.from_stored(operation.input)
    data = EnsureRefundsInput.from_stored(operation.input)
    if operation.prepared_at is not None:
        # The fee invoices were paid when the refunds were reserved; only failed refunds remain.
        failed = Refund.objects.filter(background_operation=operation, status=RefundStatus.FAILED)
        excess_failed = sum((r.amount - r.credit_memo_amount for r in failed), ZERO)
        data = replace(data, excess_funds_amount=excess_failed, invoices_to_pay=())
    return data


def _resubmit(operation: BackgroundOperation, *, client: ApiClient | None, user: User | None) -> BackgroundOperation:
    data = retry_input(operation)
    summary_id = operation.order_summary_id
    if isinstance(data, EnsureFundsInput):
        return submit_ensure_funds(summary_id, data, client=client, user=user, retry_of=operation)
    return submit_ensure_refunds(summary_id, data, client=client, user=user, retry_of=operation)


def retry_payment_exception(
    exception_id: int | str,
    *,
    client: ApiClient | None = None,
    user: User | None = None,
    channel_id: int | None = None,
) -> BackgroundOperation:
    exception = (
        ProcessException.objects.select_related("attached_to_type", "order_summary").filter(pk=exception_id).first()
    )
    if exception is None or (channel_id is not None and exception.order_summary.sales_channel_id != channel_id):
        raise NotFound(f"Process exception {exception_id} does not exist.")
    _check_active(exception.status)
    with transaction.atomic():
        # The order summary first, as every service locks it, then the exception: of retries at the same
        # moment one creates the operation and resolves the exception, the others wait and find it resolved.
        lock_summary(exception.order_summary_id, managed=False, only=("pk",))
        _check_active(
            ProcessException.objects.select_for_update().filter(pk=exception.pk).values_list("status", flat=True).get()
        )
        operation = _operation_behind(exception)
        retried = _resubmit(operation, client=client, user=user)
        set_process_exception_status(exception.pk, ProcessExceptionStatus.RESOLVED)
    return retried
