"""Thin Celery tasks of the orders app: they call a service and are safe to run twice."""

from celery import shared_task

from orders import routing_tasks  # noqa: F401  (registers route_order_summary with the worker)
from orders.api import idempotency


@shared_task(acks_late=True)
def purge_expired_idempotency_records() -> int:
    """Hourly housekeeping (CELERY_BEAT_SCHEDULE): drop stored answers older than the replay window."""
    return idempotency.purge_expired_idempotency_records()
