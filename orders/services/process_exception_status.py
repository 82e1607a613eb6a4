"""Move a process exception to another status and keep its summary's count of active ones true."""

from django.db import transaction

from orders.errors import InvalidInput, NotFound
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    OrderSummary,
    ProcessException,
    ProcessExceptionStatus,
)


def set_process_exception_status(exception_id: int, status: str) -> ProcessException:
    if status not in ProcessExceptionStatus.values:
        raise InvalidInput(f"Unknown process exception status '{status}'.", field="status")
    summary_id = ProcessException.objects.filter(pk=exception_id).values_list("order_summary_id", flat=True).first()
    if summary_id is None:
        raise NotFound(f"Process exception {exception_id} does not exist.")

    with transaction.atomic():
        # The summary first, as every service locks it, so a concurrent change waits instead of deadlocking.
        summary = OrderSummary.objects.select_for_update().only("pk").get(pk=summary_id)
        exception = ProcessException.objects.select_for_update().get(pk=exception_id)
        if exception.status == status:
            return exception
        exception.status = status
        exception.save(update_fields=["status", "updated_at"])
        active = ProcessException.objects.filter(
            order_summary=summary, status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES
        ).count()
        OrderSummary.objects.filter(pk=summary.pk).update(active_process_exception_count=active)
    return exception
