"""The transactional outbox (issue 14, point 1): a follow-up is recorded with its write, handed over
after commit, handed over again by the relay while the broker is away or the message is unacknowledged,
and acknowledged by the task finishing. On SQLite and PostgreSQL; "the broker is down" is a Redis URL
on a port nothing listens on (6449), "the broker is back" the in-process (eager) Celery the other tests use.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from orders import outbox
from orders.models import OutboxMessage, OutboxStatus
from tests.reliability import outbox_tasks
from tests.reliability.outbox_tasks import CALLS, explode, remember, retry_once

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:6449/0"


@pytest.fixture(autouse=True)
def _no_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def _use_broker(url: str | None, eager: bool):
    """Publish to `url` (dropping the pooled connections) and choose eager or not. The write URL: the
    environment's CELERY_BROKER_URL takes precedence over the app's broker_url."""
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def broker_down(settings):
    previous = celery_app.conf.task_always_eager
    _use_broker(DEAD_BROKER, eager=False)
    yield
    _use_broker(None, eager=previous)


def broker_back():
    _use_broker(None, eager=True)


def message() -> OutboxMessage:
    return OutboxMessage.objects.get()


def test_a_follow_up_of_a_rolled_back_write_is_neither_recorded_nor_published(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue(remember, 1)
        raise RuntimeError("the write failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert CALLS == []


def test_a_committed_follow_up_runs_once_after_commit_and_is_acknowledged(django_capture_on_commit_callbacks):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        recorded = outbox.enqueue(remember, 7, tag="kw")
        # Recorded in the transaction, run only after it.
        assert OutboxMessage.objects.filter(pk=recorded.pk, status=OutboxStatus.PENDING).exists()
        assert CALLS == []
    assert len(callbacks) == 1
    assert CALLS == [(7, "kw")]
    row = message()
    assert (row.task_name, row.args, row.kwargs) == ("tests.reliability.outbox_tasks.remember", [7], {"tag": "kw"})
    assert row.status == OutboxStatus.DONE
    assert row.done_at >= before
    # Acknowledged: the relay has nothing to hand over, even once the lease would be over.
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert outbox.relay() == 0
    assert CALLS == [(7, "kw")]


def test_with_the_broker_down_the_write_succeeds_and_the_relay_runs_it_when_the_broker_returns(
    broker_down, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue(remember, 1)
        outbox.enqueue("tests.reliability.outbox_tasks.remember", 2)
    # The publish after commit failed quietly; both messages are due at once, the error noted.
    rows = list(OutboxMessage.objects.order_by("id"))
    assert [row.status for row in rows] == [OutboxStatus.PENDING] * 2
    assert all(row.next_attempt_at <= timezone.now() for row in rows)
    assert all(row.last_error.startswith("publish: ") for row in rows)
    assert CALLS == []

    # Still down: the relay's pass publishes nothing and loses nothing.
    assert outbox.relay() == 0
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING, publish_count=0).count() == 2

    broker_back()
    assert outbox.relay() == 2
    assert sorted(CALLS) == [(1, "plain"), (2, "plain")]
    assert list(OutboxMessage.objects.values_list("status", "publish_count")) == [(OutboxStatus.DONE, 1)] * 2
    assert outbox.relay() == 0
    assert len(CALLS) == 2


def test_several_follow_ups_recorded_at_once_each_run_once_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        recorded = outbox.enqueue_many(remember, [(1,), (2,), (3,)])
        assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 3
        assert CALLS == []
    assert len(callbacks) == 1
    assert CALLS == [(1, "plain"), (2, "plain"), (3, "plain")]
    rows = list(OutboxMessage.objects.order_by("id").values_list("pk", "task_name", "args", "kwargs", "status"))
    assert rows == [
        (message.pk, "tests.reliability.outbox_tasks.remember", [n], {}, OutboxStatus.DONE)
        for message, n in zip(recorded, (1, 2, 3), strict=True)
    ]


def test_several_follow_ups_with_the_broker_down_wait_for_the_relay(
    broker_down, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue_many(remember, [(4,), (5,)])
    rows = list(OutboxMessage.objects.order_by("id"))
    assert [row.status for row in rows] == [OutboxStatus.PENDING] * 2
    assert all(row.next_attempt_at <= timezone.now() for row in rows)
    assert all(row.last_error.startswith("publish: ") for row in rows)
    assert CALLS == []
    broker_back()
    assert outbox.relay() == 2
    assert sorted(CALLS) == [(4, "plain"), (5, "plain")]


def test_a_countdown_waits_in_the_outbox_and_the_relay_publishes_it_when_due(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        recorded = outbox.enqueue(remember, 3, countdown=1800)
    assert callbacks == []  # nothing for the broker to hold for half an hour
    delay = recorded.next_attempt_at - recorded.created_at
    assert timedelta(seconds=1799) < delay < timedelta(seconds=1801)
    assert outbox.relay() == 0
    assert CALLS == []
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.relay() == 1
    assert CALLS == [(3, "plain")]
    assert message().status == OutboxStatus.DONE


def test_an_unacknowledged_message_is_published_again_after_its_lease_which_doubles(broker_down, settings):
    """The broker took the message and lost it (or the worker died): published, never acknowledged."""
    settings.OMS_OUTBOX_LEASE_SECONDS = 60
    start = timezone.now()
    OutboxMessage.objects.create(
        task_name=remember.name,
        args=[5],
        next_attempt_at=start - timedelta(seconds=1),
        publish_count=2,
        last_published_at=start - timedelta(seconds=121),
    )
    broker_back()
    assert outbox.relay() == 1
    row = message()
    assert row.status == OutboxStatus.DONE  # this time the task ran (in-process)
    assert row.publish_count == 3
    assert row.last_published_at >= start


def test_the_relay_gives_the_next_lease_doubled_per_publish(settings):
    settings.OMS_OUTBOX_LEASE_SECONDS = 60
    assert [outbox._lease(n).total_seconds() for n in (1, 2, 3, 4, 7, 8)] == [60, 120, 240, 480, 3600, 3600]


@pytest.fixture
def failures_stay_in_the_worker():
    """As in a worker: a task's failure is handled by Celery (signals, retries), not raised to the caller."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_a_task_that_fails_for_good_marks_its_message_failed_with_the_error(
    failures_stay_in_the_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue(explode, 9)
    assert CALLS == [(9, "exploded")]
    row = message()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "ValueError: cannot do 9"
    assert row.done_at is not None
    # A failed message is not handed over again by the relay; a person does it (admin action).
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert outbox.relay() == 0
    assert outbox.requeue([row.pk]) == 1
    row.refresh_from_db()
    assert (row.status, row.done_at, row.publish_count) == (OutboxStatus.PENDING, None, 0)


def test_a_retried_task_is_acknowledged_when_its_retry_succeeds(
    failures_stay_in_the_worker, django_capture_on_commit_callbacks
):
    # In process the retry runs at once, under the same task id.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue(retry_once, 4)
    assert CALLS == [(4, "attempt 1"), (4, "attempt 2")]
    assert message().status == OutboxStatus.DONE


def test_a_message_naming_no_task_fails_instead_of_blocking_the_relay():
    now = timezone.now()
    OutboxMessage.objects.create(task_name="tests.reliability.outbox_tasks.renamed", next_attempt_at=now)
    OutboxMessage.objects.create(task_name="no_such_module.task", next_attempt_at=now)
    OutboxMessage.objects.create(task_name=remember.name, args=[6], next_attempt_at=now)
    assert outbox.relay() == 1
    assert CALLS == [(6, "plain")]
    assert list(OutboxMessage.objects.order_by("id").values_list("status", flat=True)) == [
        OutboxStatus.FAILED,
        OutboxStatus.FAILED,
        OutboxStatus.DONE,
    ]
    assert OutboxMessage.objects.first().last_error.startswith("unknown task")


def test_a_message_published_too_often_without_acknowledgement_is_failed(settings):
    settings.OMS_OUTBOX_MAX_PUBLISHES = 3
    OutboxMessage.objects.create(task_name=remember.name, args=[8], next_attempt_at=timezone.now(), publish_count=3)
    assert outbox.relay() == 0
    assert CALLS == []
    row = message()
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "never acknowledged")


def test_the_relay_takes_at_most_its_batch_oldest_due_first(settings):
    settings.OMS_OUTBOX_RELAY_BATCH = 2
    now = timezone.now()
    for value, age in ((1, 10), (2, 30), (3, 20)):
        OutboxMessage.objects.create(
            task_name=remember.name, args=[value], next_attempt_at=now - timedelta(seconds=age)
        )
    assert outbox.relay() == 2
    assert CALLS == [(2, "plain"), (3, "plain")]
    assert outbox.relay() == 1
    assert CALLS[-1] == (1, "plain")


def test_task_ids_carry_the_message_id():
    assert outbox.message_id("outbox-42-0123456789ab") == 42
    assert outbox.message_id("ensure-refunds-42") is None
    assert outbox.message_id(None) is None
    assert outbox.message_id("outbox-x-1") is None


def test_the_finished_messages_are_purged_after_the_keep_window_failed_ones_stay():
    now = timezone.now()
    old, recent = now - timedelta(days=8), now - timedelta(days=1)
    for status, done_at in (
        (OutboxStatus.DONE, old),
        (OutboxStatus.DONE, recent),
        (OutboxStatus.FAILED, old),
        (OutboxStatus.PENDING, None),
    ):
        OutboxMessage.objects.create(task_name=remember.name, status=status, done_at=done_at, next_attempt_at=now)
    assert outbox.purge_finished(timedelta(days=7)) == 1
    assert sorted(OutboxMessage.objects.values_list("status", flat=True)) == [
        OutboxStatus.DONE,
        OutboxStatus.FAILED,
        OutboxStatus.PENDING,
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_never_publish_one_message_twice():
    """PostgreSQL: a relay skips the rows another holds (FOR UPDATE SKIP LOCKED) instead of waiting."""
    now = timezone.now()
    for value in range(4):
        OutboxMessage.objects.create(task_name=remember.name, args=[value], next_attempt_at=now)
    holding, release = threading.Event(), threading.Event()
    held = []

    def hold_two():
        try:
            with transaction.atomic():
                rows = list(OutboxMessage.objects.select_for_update().order_by("id")[:2])
                held.extend(row.args[0] for row in rows)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_two)
    thread.start()
    try:
        assert holding.wait(10)
        assert outbox.relay() == 2
    finally:
        release.set()
        thread.join(10)
    assert held == [0, 1]
    assert sorted(CALLS) == [(2, "plain"), (3, "plain")]
    assert outbox.relay() == 2
    assert sorted(CALLS) == [(0, "plain"), (1, "plain"), (2, "plain"), (3, "plain")]


def test_every_task_module_is_importable_by_name():
    """The relay imports a task's module by its dotted name (the web process never autodiscovers)."""
    assert outbox._task("tests.reliability.outbox_tasks.remember").name == remember.name
    assert outbox._task("payments.tasks.refund_excess").name == "payments.tasks.refund_excess"
    assert outbox_tasks.remember.name == "tests.reliability.outbox_tasks.remember"
