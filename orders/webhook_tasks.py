"""Thin Celery tasks of events and webhooks: safe to run twice (a delivery is claimed before it is sent)."""

from celery import shared_task

from orders import events
from orders.services.webhook_delivery import attempt_delivery


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    """One attempt of a delivery (its outbox message); a failure schedules the next attempt itself."""
    return attempt_delivery(delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def purge_old_events() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): events older than OMS_EVENT_RETENTION_DAYS go, with their deliveries."""
    return events.purge_old_events()
