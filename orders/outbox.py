"""The transactional outbox (issue 14; docs/decisions.md, "Follow-up tasks").

Every follow-up a write promises is recorded with the write, in its transaction:

    from orders import outbox
    with transaction.atomic():
        ... the write ...
        outbox.enqueue("payments.tasks.invoice_and_capture", fulfillment_order.pk, summary.pk)

Once the transaction commits the message is handed to Celery at once (a broker that cannot take it
costs the request nothing: the row is there). The relay (`relay`, run by beat every few seconds)
hands it over again while it is pending and due: when the publish after commit failed, when a
countdown is over, and when a lease runs out without the task acknowledging it (the broker lost the
message, or the worker died). A task acknowledges by finishing: the worker's signals mark the message
Done (or Failed once Celery gives up on it). The tasks are idempotent, so a message delivered twice
does its work once.

Delayed messages (`countdown=`) wait here, not in the broker, so the broker's visibility timeout
can be minutes while a task waits half an hour.
"""

import logging
from datetime import timedelta
from functools import partial
from importlib import import_module
from uuid import uuid4

from celery import current_app
from celery.exceptions import Retry
from celery.signals import task_failure, task_postrun, task_prerun, task_retry
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError

from orders import broker_push
from orders.db import insert_rows, update_where
from orders.models import OutboxMessage, OutboxStatus, WorkerHeartbeat

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "outbox-"
# What a broker that cannot be reached raises from a publish (kombu wraps most of it; redis-py and the
# socket layer raise the rest).
try:  # pragma: no cover - redis is a dependency, but the broker may be another transport
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover
    RedisError = KombuError
BROKER_ERRORS = (KombuError, RedisError, OSError)


def lease_seconds() -> int:
    return settings.OMS_OUTBOX_LEASE_SECONDS


def _lease(publish_count: int) -> timedelta:
    """How long a published message may go unacknowledged before it is published again: the lease,
    doubled for each publish already made (a backlog after an outage is not multiplied), at most an hour."""
    return timedelta(seconds=min(3600, lease_seconds() * 2 ** max(0, publish_count - 1)))


def task_name_of(task) -> str:
    return task if isinstance(task, str) else task.name


def enqueue(task, *args, countdown: float | None = None, **kwargs) -> OutboxMessage:
    """Record that `task(*args, **kwargs)` must run, in the caller's transaction; publish it once that
    commits (or, with `countdown`, let the relay publish it when the countdown is over).

    `task` is a Celery task or its dotted name (the orders app names payment tasks without importing
    them). Arguments must be JSON values, as the broker needs them anyway.
    """
    name = task_name_of(task)
    now = timezone.now()
    delay = timedelta(seconds=countdown) if countdown else _lease(1)
    # insert_rows: what create() sends, without the ORM's insert compiler (a row on every ingest).
    [message] = insert_rows(
        [
            OutboxMessage(task_name=name, args=list(args), kwargs=kwargs, next_attempt_at=now + delay),
        ]
    )
    if not countdown:
        transaction.on_commit(partial(_publish_after_commit, message.pk, name, list(args), kwargs))
    return message


def enqueue_many(task, calls: list[tuple]) -> list[OutboxMessage]:
    """`enqueue(task, *args)` for each tuple of arguments in `calls`, with one insert for all of them (the
    routing of a batch of new orders); each message is published on its own after the commit, as enqueue's."""
    name = task_name_of(task)
    next_attempt_at = timezone.now() + _lease(1)
    messages = insert_rows(
        [OutboxMessage(task_name=name, args=list(args), kwargs={}, next_attempt_at=next_attempt_at) for args in calls]
    )
    if messages:
        transaction.on_commit(partial(_publish_all_after_commit, [(m.pk, name, list(m.args)) for m in messages]))
    return messages


def _task(name: str):
    """The registered task of this name; its module is imported first (the web process never runs
    Celery's autodiscovery)."""
    tasks = current_app.tasks
    if name not in tasks:
        import_module(name.rsplit(".", 1)[0])
    return tasks[name]


def _task_id(pk: int) -> str:
    """A publish's task id: the message's id, read back by the worker's signals, and a part of its own."""
    return f"{TASK_ID_PREFIX}{pk}-{uuid4().hex[:12]}"


def _publish(pk: int, name: str, args: list, kwargs: dict, *, retry: bool, **options) -> None:
    _task(name).apply_async(args=args, kwargs=kwargs, task_id=_task_id(pk), retry=retry, **options)


def _publish_after_commit(pk: int, name: str, args: list, kwargs: dict) -> None:
    """The first hand-over, right after commit. The write has succeeded whatever happens here: a broker
    that is down is logged and the relay publishes at its next pass."""
    if current_app.conf.task_always_eager:
        # Tests and CELERY_TASK_ALWAYS_EAGER run the task here; its own errors are the caller's.
        _publish(pk, name, args, kwargs, retry=False)
        return
    try:
        _publish(pk, name, args, kwargs, retry=False)
    except BROKER_ERRORS as exc:
        logger.warning("Outbox message %s (%s) not published, the relay will: %s", pk, name, exc)
        _note_publish_failure([pk], exc)


def _publish_all_after_commit(messages: list[tuple[int, str, list]]) -> None:
    """`_publish_after_commit` for each of several messages (enqueue_many), over one producer: a publish
    of its own acquires a producer and a new Redis client each time, which was most of the cost of
    handing a batch's hundred routing messages over. A message the broker refuses is noted for the
    relay, as `_publish_after_commit` notes it; the others are still published."""
    if current_app.conf.task_always_eager:
        for pk, name, args in messages:
            _publish(pk, name, args, {}, retry=False)
        return
    names = {name for _, name, _ in messages}
    if len(names) == 1:
        # On a Redis broker, the messages Celery would send pushed with one LPUSH (orders/broker_push.py).
        try:
            if broker_push.push(_task(names.pop()), [(_task_id(pk), args) for pk, _, args in messages]):
                return
        except BROKER_ERRORS as exc:
            logger.warning("Outbox messages %s not published, the relay will: %s", [m[0] for m in messages], exc)
            _note_publish_failure([m[0] for m in messages], exc)
            return
    remaining = list(messages)
    try:
        with current_app.producer_or_acquire() as producer:
            while remaining:
                pk, name, args = remaining[0]
                try:
                    _publish(pk, name, args, {}, retry=False, producer=producer)
                except BROKER_ERRORS as exc:
                    logger.warning("Outbox message %s (%s) not published, the relay will: %s", pk, name, exc)
                    _note_publish_failure([pk], exc)
                remaining.pop(0)
    except BROKER_ERRORS as exc:  # no producer: every message left waits for the relay
        logger.warning("Outbox messages %s not published, the relay will: %s", [m[0] for m in remaining], exc)
        _note_publish_failure([m[0] for m in remaining], exc)


def _note_publish_failure(pks: list[int], exc: BaseException) -> None:
    try:
        OutboxMessage.objects.filter(pk__in=pks, status=OutboxStatus.PENDING).update(
            next_attempt_at=timezone.now(), last_error=f"publish: {exc}"[:2000]
        )
    except DatabaseError:  # the database is away too: the lease brings the message back anyway
        logger.warning("Could not note the publish failure of outbox messages %s", pks, exc_info=True)


def relay(*, limit: int | None = None) -> int:
    """Publish every pending message that is due; return how many were published.

    On PostgreSQL the due rows are taken `FOR UPDATE SKIP LOCKED`, so relays running at once share the
    work and never publish one message twice; SQLite has one writer at a time (the settings open every
    transaction IMMEDIATE), which serializes them. A publish that fails stops the pass: the broker is
    away, and the messages stay due for the next one.
    """
    limit = limit or settings.OMS_OUTBOX_RELAY_BATCH
    now = timezone.now()
    published = 0
    with transaction.atomic():
        due = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        for message in due[:limit]:
            if message.publish_count >= settings.OMS_OUTBOX_MAX_PUBLISHES:
                logger.error(
                    "Outbox message %s (%s) was published %s times and never acknowledged; giving up",
                    message.pk,
                    message.task_name,
                    message.publish_count,
                )
                _finish(message.pk, OutboxStatus.FAILED, "never acknowledged")
                continue
            try:
                _publish(message.pk, message.task_name, message.args, message.kwargs, retry=False)
            except BROKER_ERRORS as exc:
                logger.warning(
                    "Outbox relay: the broker refused message %s (%s): %s", message.pk, message.task_name, exc
                )
                OutboxMessage.objects.filter(pk=message.pk).update(last_error=f"publish: {exc}"[:2000])
                break
            except (KeyError, ImportError) as exc:  # no such task (any more): a person must look
                logger.error("Outbox message %s names an unknown task %s", message.pk, message.task_name)
                _finish(message.pk, OutboxStatus.FAILED, f"unknown task: {exc}")
                continue
            published += 1
            OutboxMessage.objects.filter(pk=message.pk).update(
                publish_count=F("publish_count") + 1,
                last_published_at=now,
                next_attempt_at=now + _lease(message.publish_count + 1),
            )
    return published


def requeue(pks) -> int:
    """Make messages due now, Failed ones pending again (the admin's action, after a person fixed the
    cause); Done ones are left alone."""
    return (
        OutboxMessage.objects.filter(pk__in=list(pks))
        .exclude(status=OutboxStatus.DONE)
        .update(status=OutboxStatus.PENDING, done_at=None, next_attempt_at=timezone.now(), publish_count=0)
    )


def record_heartbeat(hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(hostname=hostname[:255], defaults={"seen_at": timezone.now()})


def purge_finished(older_than: timedelta) -> int:
    """Drop acknowledged messages past the keep window (failed ones stay for a person to read)."""
    cutoff = timezone.now() - older_than
    deleted, _ = OutboxMessage.objects.filter(status=OutboxStatus.DONE, done_at__lt=cutoff).delete()
    return deleted


def _finish(pk: int, status: str, error: str = "") -> None:
    # After every task: its SQL made once (orders.db), not compiled by the ORM each time.
    update_where(
        OutboxMessage,
        pk,
        {"status": OutboxStatus.PENDING},
        status=status,
        done_at=timezone.now(),
        last_error=error[:2000],
    )


# --- acknowledgement: the worker's task signals -----------------------------------------------------


def message_id(task_id: str | None) -> int | None:
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    head = task_id[len(TASK_ID_PREFIX) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _quietly(action, pk: int) -> None:
    """Bookkeeping must never fail the task: if the database is away the lease brings the message
    back, and the idempotent task finds its work done."""
    try:
        action()
    except DatabaseError:
        logger.warning("Outbox message %s: could not record the task's progress", pk, exc_info=True)


@task_prerun.connect(weak=False, dispatch_uid="orders.outbox.started")
def _started(task_id=None, **_):
    pk = message_id(task_id)
    if pk is not None:
        # A task running is not lost: its lease starts again now.
        _quietly(
            lambda: update_where(
                OutboxMessage, pk, {"status": OutboxStatus.PENDING}, next_attempt_at=timezone.now() + _lease(1)
            ),
            pk,
        )


@task_retry.connect(weak=False, dispatch_uid="orders.outbox.retrying")
def _retrying(request=None, reason=None, **_):
    pk = message_id(getattr(request, "id", None))
    if pk is None:
        return
    wait = 0
    when = getattr(reason, "when", None) if isinstance(reason, Retry) else None
    if isinstance(when, int | float):
        wait = when
    elif when is not None:
        wait = max(0, (when - timezone.now()).total_seconds())
    error = str(getattr(reason, "exc", None) or reason)
    _quietly(
        lambda: OutboxMessage.objects.filter(pk=pk, status=OutboxStatus.PENDING).update(
            next_attempt_at=timezone.now() + timedelta(seconds=wait) + _lease(1), last_error=error[:2000]
        ),
        pk,
    )


@task_postrun.connect(weak=False, dispatch_uid="orders.outbox.finished")
def _finished(task_id=None, state=None, **_):
    pk = message_id(task_id)
    if pk is not None and state in ("SUCCESS", "IGNORED"):
        _quietly(lambda: _finish(pk, OutboxStatus.DONE), pk)


@task_failure.connect(weak=False, dispatch_uid="orders.outbox.failed")
def _failed(task_id=None, exception=None, **_):
    pk = message_id(task_id)
    if pk is None:
        return
    if isinstance(exception, (*BROKER_ERRORS, OperationalError, InterfaceError)):
        # The task could not even schedule its retry (broker away) or reach the database: not its
        # answer, so the message stays pending and the relay hands it over again after the lease.
        _quietly(
            lambda: OutboxMessage.objects.filter(pk=pk, status=OutboxStatus.PENDING).update(
                next_attempt_at=timezone.now() + _lease(1), last_error=str(exception)[:2000]
            ),
            pk,
        )
    else:
        _quietly(lambda: _finish(pk, OutboxStatus.FAILED, f"{type(exception).__name__}: {exception}"), pk)
