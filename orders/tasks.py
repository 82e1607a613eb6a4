"""Thin Celery tasks of the orders app: they call a service and are safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from orders import (
    outbox,
    routing_tasks,  # noqa: F401  (registers route_order_summary with the worker)
    sweepers,
    webhook_tasks,  # noqa: F401  (registers deliver_webhook and purge_old_events with the worker)
)
from orders.api import idempotency


@shared_task(acks_late=True)
def purge_expired_idempotency_records() -> int:
    """Hourly housekeeping (CELERY_BEAT_SCHEDULE): drop stored answers older than the replay window,
    and acknowledged outbox messages older than OMS_OUTBOX_KEEP_DAYS."""
    outbox.purge_finished(timedelta(days=settings.OMS_OUTBOX_KEEP_DAYS))
    return idempotency.purge_expired_idempotency_records()


@shared_task(bind=True, acks_late=True, ignore_result=True)
def relay_outbox(self) -> int:
    """Every few seconds (CELERY_BEAT_SCHEDULE): hand pending follow-ups to the broker again, and say
    this worker is alive (/health/worker/)."""
    outbox.record_heartbeat(self.request.hostname or "unknown")
    return outbox.relay()


@shared_task(acks_late=True, ignore_result=True)
def sweep_unrouted_summaries() -> dict:
    """Every few minutes (CELERY_BEAT_SCHEDULE): managed summaries never routed are routed again."""
    return sweepers.sweep_unrouted_summaries()


@shared_task(acks_late=True)
def cancel_unclaimed_pickups() -> list[int]:
    """Hourly (CELERY_BEAT_SCHEDULE): pickups left Ready for Pickup past OMS_PICKUP_UNCLAIMED_DAYS go back to stock."""
    from orders.services.pickup import cancel_unclaimed_pickups as cancel

    return cancel()
