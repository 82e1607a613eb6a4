"""Raise a process exception for a failed payment step and keep the summary's active count true."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from orders.event_data import emit_process_exception_created
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    OrderSummary,
    ProcessException,
    ProcessExceptionCategory,
    ProcessExceptionSeverity,
)


def raise_payment_exception(
    summary: OrderSummary,
    *,
    message: str,
    description: str = "",
    attached_to: Model | None = None,
    severity: str = ProcessExceptionSeverity.HIGH,
    category: str = ProcessExceptionCategory.PAYMENT,
) -> ProcessException:
    """The caller holds the summary's row lock inside its transaction."""
    exception = ProcessException.objects.create(
        order_summary=summary,
        attached_to_type=ContentType.objects.get_for_model(attached_to) if attached_to is not None else None,
        attached_to_id=str(attached_to.pk) if attached_to is not None else "",
        category=category,
        severity=severity,
        priority=severity,
        message=message[:255],
        description=description,
    )
    active = ProcessException.objects.filter(
        order_summary=summary, status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES
    ).count()
    OrderSummary.objects.filter(pk=summary.pk).update(active_process_exception_count=active)
    summary.active_process_exception_count = active
    emit_process_exception_created(exception)
    return exception
