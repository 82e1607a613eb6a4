"""Thin Celery tasks: they take ids, load fresh state and call the payment services.

acks_late with reject-on-worker-lost (settings) redelivers a task whose worker died; the services
are safe to run again (planned once, idempotency keys, state checks), so money moves once.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from orders import outbox
from payments import sweepers
from payments.services import automation, background_operations, movements

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
# A dropped or refused database connection: retried with backoff (the outbox brings the message back
# after the last retry).
DB_BLIPS = (OperationalError, InterfaceError)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def run_background_operation(self, operation_id: int) -> None:
    try:
        background_operations.run_operation(operation_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            background_operations.mark_operation_error(operation_id, exc)
            raise
        logger.warning("Background operation %s failed, retrying: %s", operation_id, exc)
        raise self.retry(exc=exc, countdown=min(600, 2 ** (self.request.retries + 1))) from exc


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, autoretry_for=(Exception,), retry_backoff=True,
             retry_backoff_max=600)
def reconcile_payment_movement(self, kind: str, movement_id: int) -> None:
    movements.reconcile_movement(kind, movement_id)


@shared_task(acks_late=True)
def reconcile_pending_movements() -> int:
    """Periodic sweep: every movement still pending after the reconcile delay is asked about again."""
    cutoff = timezone.now() - timedelta(seconds=settings.OMS_GATEWAY_RECONCILE_DELAY_SECONDS)
    pending = movements.pending_movements(cutoff)
    with transaction.atomic():
        for kind, movement_id in pending:
            outbox.enqueue(reconcile_payment_movement, kind, movement_id)
    return len(pending)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, autoretry_for=DB_BLIPS,
             retry_backoff=True, retry_backoff_max=600)
def invoice_and_capture(self, fulfillment_order_id: int, summary_id: int) -> None:
    automation.invoice_and_capture(fulfillment_order_id, summary_id)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, autoretry_for=DB_BLIPS,
             retry_backoff=True, retry_backoff_max=600)
def credit_and_refund(self, summary_id: int, change_order_ids: list[int]) -> None:
    automation.credit_and_refund(summary_id, change_order_ids)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, autoretry_for=DB_BLIPS,
             retry_backoff=True, retry_backoff_max=600)
def refund_excess(self, summary_id: int) -> None:
    automation.refund_excess(summary_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_stuck_payment_work() -> dict:
    """Every few minutes (CELERY_BEAT_SCHEDULE): stuck background operations run again, shipped
    fulfillment orders never billed are billed."""
    return {"operations": sweepers.sweep_stuck_operations(), "billing": sweepers.sweep_unbilled_fulfillment_orders()}
