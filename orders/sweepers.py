"""Sweepers for follow-ups that were promised and never done (issue 14, point 2).

The outbox (orders/outbox.py) keeps new follow-ups from being lost; these catch what slipped through
before it existed, or whose task gave up: each periodic pass (CELERY_BEAT_SCHEDULE) records the
follow-up again in the outbox, or, when its task already failed for good, raises a process exception
so a person looks (once: an active exception of the same message is not raised twice).

This module covers the orders side (routing); payments/sweepers.py covers billing and operations.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from orders import outbox
from orders.event_data import emit_process_exception_created
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    ItemType,
    LifeCycleType,
    OrderHold,
    OrderItemSummary,
    OrderSummary,
    OutboxMessage,
    OutboxStatus,
    ProcessException,
    ProcessExceptionCategory,
    ProcessExceptionSeverity,
)

logger = logging.getLogger(__name__)

ROUTING_TASK = "orders.routing_tasks.route_order_summary"


def stuck_window() -> tuple[datetime, datetime]:
    """(oldest, newest) creation time of records a pass looks at: older than OMS_SWEEP_AFTER_SECONDS
    (their follow-up had time to run), newer than OMS_SWEEP_LOOKBACK_DAYS (history is left alone)."""
    now = timezone.now()
    return (
        now - timedelta(days=settings.OMS_SWEEP_LOOKBACK_DAYS),
        now - timedelta(seconds=settings.OMS_SWEEP_AFTER_SECONDS),
    )


def messages_by_first_arg(task_name: str, ids) -> dict[str, set[int]]:
    """For these record ids: which have a Pending and which a Failed message of `task_name`."""
    found = {OutboxStatus.PENDING: set(), OutboxStatus.FAILED: set()}
    wanted = set(ids)
    rows = OutboxMessage.objects.filter(task_name=task_name, status__in=list(found)).values_list("status", "args")
    for status, args in rows:
        if args and args[0] in wanted:
            found[status].add(args[0])
    return found


def raise_once(summary_id: int, *, category: str, message: str, description: str, attached_to) -> bool:
    """A process exception for a follow-up that failed for good, unless one is active for it already
    (whatever it says now: a retry that failed again rewrites its message). Under the summary's row lock,
    as every writer of its exceptions."""
    content_type = ContentType.objects.get_for_model(attached_to)
    with transaction.atomic():
        summary = OrderSummary.objects.select_for_update().only("id").get(pk=summary_id)
        if ProcessException.objects.filter(
            order_summary=summary,
            attached_to_type=content_type,
            attached_to_id=str(attached_to.pk),
            category=category,
            status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES,
        ).exists():
            return False
        exception = ProcessException.objects.create(
            order_summary=summary,
            attached_to_type=content_type,
            attached_to_id=str(attached_to.pk),
            category=category,
            severity=ProcessExceptionSeverity.HIGH,
            priority=ProcessExceptionSeverity.HIGH,
            message=message[:255],
            description=description,
        )
        emit_process_exception_created(exception)
        active = ProcessException.objects.filter(
            order_summary=summary, status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES
        ).count()
        OrderSummary.objects.filter(pk=summary.pk).update(active_process_exception_count=active)
    return True


def raise_for_failed_message(
    task_name: str, first_arg: int, summary_id: int, *, category: str, message: str, about: str = ""
) -> bool:
    """raise_once, attached to the newest failed outbox message of `task_name` for `first_arg`. False when
    there is none any more: it was published again since it was listed, and that run settles it."""
    failed = (
        OutboxMessage.objects.filter(task_name=task_name, status=OutboxStatus.FAILED, args__0=first_arg)
        .order_by("-id")
        .first()
    )
    if failed is None:
        return False
    return raise_once(
        summary_id,
        category=category,
        attached_to=failed,
        message=message,
        description=f"Outbox message {failed.pk} ({task_name}){about} failed: {failed.last_error}. Publish it again "
        "from the admin (Outbox messages) once the cause is fixed.",
    )


def sweep_unrouted_summaries(*, limit: int = 500) -> dict[str, int]:
    """Managed summaries with units never placed, not on hold, no routing pending and no active Fulfillment exception
    (routing raises one when no location can ship): routed again. When their routing task failed for good,
    a Fulfillment exception instead (route by hand in the console, or publish the message again in the admin)."""
    if not settings.OMS_AUTO_ROUTE_ORDERS:
        return {"requeued": 0, "exceptions": 0}
    oldest, newest = stuck_window()
    open_units = OrderItemSummary.objects.filter(
        order_summary=OuterRef("pk"),
        type=ItemType.PRODUCT,
        quantity_ordered__gt=F("quantity_canceled") + F("quantity_allocated"),
    )
    blocked = ProcessException.objects.filter(
        order_summary=OuterRef("pk"),
        category=ProcessExceptionCategory.FULFILLMENT,
        status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES,
    )
    # A summary on hold is not routed until release, which routes it (issue 16).
    held = OrderHold.objects.filter(
        order_summary=OuterRef("pk"), fulfillment_order_line__isnull=True, released_at__isnull=True
    )
    candidates = list(
        OrderSummary.objects.filter(
            life_cycle_type=LifeCycleType.MANAGED, created_at__gte=oldest, created_at__lt=newest
        )
        .filter(Exists(open_units))
        .exclude(Exists(blocked))
        .exclude(Exists(held))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    messages = messages_by_first_arg(ROUTING_TASK, candidates)
    requeued = exceptions = 0
    for summary_id in candidates:
        if summary_id in messages[OutboxStatus.PENDING]:
            continue
        if summary_id in messages[OutboxStatus.FAILED]:
            exceptions += raise_for_failed_message(
                ROUTING_TASK,
                summary_id,
                summary_id,
                category=ProcessExceptionCategory.FULFILLMENT,
                message="Automatic routing did not finish: route this order by hand.",
            )
            continue
        with transaction.atomic():
            outbox.enqueue(ROUTING_TASK, summary_id)
        requeued += 1
    if requeued or exceptions:
        logger.warning("Routing sweep: %s summaries routed again, %s exceptions raised", requeued, exceptions)
    return {"requeued": requeued, "exceptions": exceptions}
