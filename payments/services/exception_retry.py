"""Retry the work behind a process exception, and resolve the exception when the work is done.

Three kinds of exception can be retried (issue 14 point 2, issue 7):
- **Payment**: a failed payment step runs again as a new background operation (operation_retry).
- **Route**: a Fulfillment exception about routing: the sweeper's "automatic routing did not finish"
  (attached to the failed outbox message) or routing's own "no location can ship this group" (attached
  to the delivery group). Routing runs again now, as Route again does.
- **Bill**: the sweeper's Invoicing exception for a shipped fulfillment order never billed (attached to
  the failed outbox message): the invoice is made now, and the automation's invoice-and-capture step is
  queued (it finds the invoice, ensures funds for it once and settles the order).

Done: the exception is Resolved (and routing's own exceptions of the groups now placed with it). Not done:
the exception stays open and says why now (its message, the earlier one kept in the description), so the
queue shows the current problem; the caller is told (RetryOutcome.resolved is False).

A retry locks the summary, then the exception, as every writer of exceptions does: of retries at the same
moment one does the work, the others wait and find the exception resolved (409).
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from orders import outbox
from orders.errors import InvalidState, NotFound, ServiceError
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    ApiClient,
    FulfillmentOrder,
    OrderDeliveryGroupSummary,
    OutboxMessage,
    ProcessException,
    ProcessExceptionCategory,
    ProcessExceptionStatus,
)
from orders.services.process_exception_status import set_process_exception_status
from orders.services.route_summary import route_order_summary
from payments.models import BackgroundOperation
from payments.sweepers import INVOICE_AND_CAPTURE

from .fulfillment_invoice_create import invoice_fulfillment_order
from .locks import lock_summary
from .operation_retry import retry_payment_exception

PAYMENT, ROUTE, BILL = "payment", "route", "bill"
# What the console's button says for each kind.
ACTION_LABELS = {PAYMENT: "Retry payment", ROUTE: "Route again", BILL: "Invoice and capture"}


@dataclass(frozen=True)
class RetryOutcome:
    exception: ProcessException
    kind: str
    resolved: bool
    # What happened, in a sentence for people (the console's message, the API's error when not resolved).
    message: str
    operation: BackgroundOperation | None = None
    fulfillment_order_ids: tuple[int, ...] = ()
    invoice_id: int | None = None
    # Not resolved: what the exception's description says now (what it said before is kept below it).
    description: str = ""


def retry_kind(exception: ProcessException) -> str | None:
    """Which retry an exception offers, from what it is attached to (no query: content types are cached)."""
    if not exception.attached_to_type_id or exception.status not in ACTIVE_PROCESS_EXCEPTION_STATUSES:
        return None
    model = ContentType.objects.get_for_id(exception.attached_to_type_id).model_class()
    if exception.category == ProcessExceptionCategory.PAYMENT:
        return PAYMENT
    if exception.category == ProcessExceptionCategory.FULFILLMENT and model in (
        OutboxMessage,
        OrderDeliveryGroupSummary,
    ):
        return ROUTE
    if exception.category == ProcessExceptionCategory.INVOICING and model is OutboxMessage:
        return BILL
    return None


def retry_label(exception: ProcessException) -> str:
    kind = retry_kind(exception)
    return ACTION_LABELS[kind] if kind else ""


def retry_process_exception(
    exception_id: int | str,
    *,
    user: User | None = None,
    client: ApiClient | None = None,
    channel_id: int | None = None,
) -> RetryOutcome:
    exception = ProcessException.objects.select_related("order_summary").filter(pk=exception_id).first()
    if exception is None or (channel_id is not None and exception.order_summary.sales_channel_id != channel_id):
        raise NotFound(f"Process exception {exception_id} does not exist.")
    kind = retry_kind(exception)
    if kind == PAYMENT:
        operation = retry_payment_exception(exception.pk, user=user, client=client, channel_id=channel_id)
        exception.refresh_from_db()
        return RetryOutcome(
            exception, PAYMENT, True, f"Retry queued as {operation.type} #{operation.pk}.", operation=operation
        )
    if kind is None:
        if exception.status not in ACTIVE_PROCESS_EXCEPTION_STATUSES:
            raise InvalidState(f"This exception is {exception.status}; only an active one can be retried.")
        raise InvalidState("This exception has no step to retry: resolve it by hand once the cause is fixed.")
    with transaction.atomic():
        lock_summary(exception.order_summary_id, managed=False, only=("pk",))
        locked = ProcessException.objects.select_for_update().get(pk=exception.pk)
        if locked.status not in ACTIVE_PROCESS_EXCEPTION_STATUSES:
            raise InvalidState(f"This exception is {locked.status}; only an active one can be retried.")
        outcome = _route(locked) if kind == ROUTE else _bill(locked)
        if outcome.resolved:
            set_process_exception_status(locked.pk, ProcessExceptionStatus.RESOLVED)
        else:
            _still_failing(locked, outcome.message, outcome.description, user=user, client=client)
    outcome.exception.refresh_from_db()
    return outcome


def _route(exception: ProcessException) -> RetryOutcome:
    summary_id = exception.order_summary_id
    # Refusals (on hold, unmanaged) are not the retry failing: they reach the caller and change nothing.
    routed = route_order_summary(summary_id, on_demand=True)
    group_type = ContentType.objects.get_for_model(OrderDeliveryGroupSummary)
    routing_exceptions = ProcessException.objects.filter(
        order_summary_id=summary_id,
        category=ProcessExceptionCategory.FULFILLMENT,
        attached_to_type=group_type,
        status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES,
    ).exclude(pk=exception.pk)
    if routed.unrouted_group_ids:
        current = (
            routing_exceptions.filter(attached_to_id__in=[str(pk) for pk in routed.unrouted_group_ids])
            .order_by("-id")
            .first()
            or exception
        )
        if current.pk != exception.pk:
            # The retried exception is about to say what routing just raised (_still_failing): that one would
            # be a second open exception on the same problem, so it is settled and the retried one stays.
            set_process_exception_status(current.pk, ProcessExceptionStatus.RESOLVED)
        return RetryOutcome(
            exception,
            ROUTE,
            False,
            current.message,
            fulfillment_order_ids=routed.fulfillment_order_ids,
            description=current.description,
        )
    # Every group is placed: what routing said about them earlier is settled too.
    for stale in routing_exceptions.values_list("pk", flat=True):
        set_process_exception_status(stale, ProcessExceptionStatus.RESOLVED)
    placed = len(routed.fulfillment_order_ids)
    message = (
        f"Routed: {placed} fulfillment order{'s' if placed != 1 else ''} created."
        if placed
        else "Nothing was left to route."
    )
    return RetryOutcome(exception, ROUTE, True, message, fulfillment_order_ids=routed.fulfillment_order_ids)


def _bill(exception: ProcessException) -> RetryOutcome:
    failed = OutboxMessage.objects.filter(pk=exception.attached_to_id, task_name=INVOICE_AND_CAPTURE).first()
    fulfillment_order_id = failed.args[0] if failed is not None and failed.args else None
    if (
        fulfillment_order_id is None
        or not FulfillmentOrder.objects.filter(
            pk=fulfillment_order_id, order_summary_id=exception.order_summary_id
        ).exists()
    ):
        raise InvalidState("This exception names no fulfillment order of its order to bill: resolve it by hand.")
    try:
        invoice = invoice_fulfillment_order(fulfillment_order_id).invoice
    except ServiceError as error:
        return RetryOutcome(
            exception,
            BILL,
            False,
            f"Invoicing the fulfillment order failed again: {error.message}",
            description=str(error.as_error_list()),
        )
    # The capture follows as the automation's own step (funds ensured once, the order settled after),
    # through the outbox once this commits.
    outbox.enqueue(INVOICE_AND_CAPTURE, fulfillment_order_id, exception.order_summary_id)
    return RetryOutcome(
        exception, BILL, True, f"Invoice {invoice.number} posted; the capture is queued.", invoice_id=invoice.pk
    )


def _still_failing(
    exception: ProcessException, message: str, description: str, *, user: User | None, client: ApiClient | None
) -> None:
    """The exception stays open with what the retry found; what it said before is kept below."""
    who = user.get_username() if user is not None else (f"API: {client.name}" if client is not None else "System")
    when = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    history = f"Retried {when} by {who}; it failed again. Before: {exception.message}"
    exception.message = message[:255]
    exception.description = "\n\n".join(part for part in (description, history, exception.description) if part)
    exception.save(update_fields=["message", "description", "updated_at"])
