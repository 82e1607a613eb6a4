"""Thin Celery tasks: they take ids, load fresh state and call the payment services.

acks_late with reject-on-worker-lost (settings) redelivers a task whose worker died; the services
are safe to run again (planned once, idempotency keys, state checks), so money moves once.
"""

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from orders import outbox
from payments import sweepers
from payments.models import BackgroundOperation
from payments.services import background_operations, completion, exchange_funds, money_follow_ups, movements

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
# A dropped or refused database connection: retried with backoff (the outbox brings the message back
# after the last retry).
DB_BLIPS = (OperationalError, InterfaceError)
# The automation's money steps: redelivered if the worker dies, retried with backoff on a database blip.
money_task = shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    autoretry_for=DB_BLIPS,
    retry_backoff=True,
    retry_backoff_max=600,
)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def run_background_operation(self: Task[..., None], operation_id: int) -> None:
    try:
        operation = background_operations.run_operation(operation_id)
    except Exception as exc:
        if self.request.retries >= MAX_RETRIES:
            background_operations.mark_operation_error(operation_id, exc)
            raise
        logger.warning("Background operation %s failed, retrying: %s", operation_id, exc)
        raise self.retry(exc=exc, countdown=min(600, 2 ** (self.request.retries + 1))) from exc
    _settle_after(operation_id, operation.order_summary_id if operation is not None else None)


def _settle_after(operation_id: int, summary_id: int | None = None) -> None:
    """The settling pass once an operation is done (one or two cheap reads unless nothing is left to ship);
    should it fail, its own task tries again. `summary_id`: the operation's, when the run knows it."""
    try:
        if summary_id is not None:
            completion.settle_summary(summary_id)
        else:
            completion.settle_after_operation(operation_id)
    except Exception:
        logger.exception("Settling after background operation %s failed; queued to try again", operation_id)
        summary_id = (
            BackgroundOperation.objects.filter(pk=operation_id).values_list("order_summary_id", flat=True).first()
        )
        if summary_id is not None:
            with transaction.atomic():
                outbox.enqueue(settle_order_summary, summary_id, countdown=60)


@money_task
def settle_order_summary(self: Task[..., None], summary_id: int) -> None:
    """The settling pass (payments.services.completion); a reversal the gateway refused is tried again later,
    with backoff, a few times (its process exception stays for a person meanwhile)."""
    settled = completion.settle_summary(summary_id)
    failed = settled is not None and settled.failed_reversal_ids
    # Run in-process (tests, the demo loader) there is no broker to wait in: the next pass tries again.
    if failed and not self.request.is_eager and self.request.retries < MAX_RETRIES:
        raise self.retry(countdown=min(600, 30 * 2**self.request.retries))


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
)
def reconcile_payment_movement(self: Task[..., None], kind: str, movement_id: int) -> None:
    movements.reconcile_movement(kind, movement_id)
    summary_id = (
        movements.MODEL[kind]
        ._default_manager.filter(pk=movement_id)
        .values_list("order_payment_summary__order_summary_id", flat=True)
        .first()
    )
    if summary_id is not None:
        completion.settle_summary(summary_id)


@shared_task(acks_late=True)
def reconcile_pending_movements() -> int:
    """Periodic sweep: every movement still pending after the reconcile delay is asked about again."""
    cutoff = timezone.now() - timedelta(seconds=settings.OMS_GATEWAY_RECONCILE_DELAY_SECONDS)
    pending = movements.pending_movements(cutoff)
    with transaction.atomic():
        for kind, movement_id in pending:
            outbox.enqueue(reconcile_payment_movement, kind, movement_id)
    return len(pending)


@money_task
def invoice_and_capture(self: Task[..., None], fulfillment_order_id: int, summary_id: int) -> None:
    money_follow_ups.invoice_and_capture(fulfillment_order_id, summary_id)


@money_task
def credit_and_refund(self: Task[..., None], summary_id: int, change_order_ids: list[int]) -> None:
    # Nothing enqueues it any more (its hook, payments.automation.post_fulfillment_reduction_submitted, had
    # no caller and is gone); kept so outbox messages recorded before that still run.
    money_follow_ups.credit_and_refund(summary_id, change_order_ids)


@money_task
def refund_excess(self: Task[..., None], summary_id: int) -> None:
    # Nothing enqueues it any more (the whole-order cancel's refund is an ensure-refunds operation queued
    # with the change); kept so outbox messages recorded before that still run.
    money_follow_ups.refund_excess(summary_id)


@money_task
def refund_credit_memo(self: Task[..., None], summary_id: int, credit_memo_id: int) -> None:
    """What an exchange left on the original's credit memo (a cheaper replacement) goes back to the card."""
    money_follow_ups.refund_credit_memo(summary_id, credit_memo_id)


@money_task
def authorize_exchange_charge(self: Task[..., None], authorization_id: int) -> None:
    """A dearer replacement's difference authorized on the original card; a timeout is asked again later under
    the same idempotency key."""
    outcome = exchange_funds.authorize_exchange_charge(authorization_id)
    if outcome == "timeout" and not self.request.is_eager and self.request.retries < MAX_RETRIES:
        raise self.retry(countdown=min(600, 30 * 2**self.request.retries))


@shared_task(acks_late=True, ignore_result=True)
def sweep_stuck_payment_work() -> dict[str, int | dict[str, int]]:
    """Every few minutes (CELERY_BEAT_SCHEDULE): stuck background operations run again, shipped
    fulfillment orders never billed are billed."""
    return {"operations": sweepers.sweep_stuck_operations(), "billing": sweepers.sweep_unbilled_fulfillment_orders()}
