"""purge_expired_idempotency_records: in-process, through a real worker on the configured broker, and
through a real worker on the embedded filesystem broker (the `make run` setup)."""

import sqlite3
import textwrap
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from orders.models import ApiClient, IdempotencyRecord
from orders.tasks import purge_expired_idempotency_records
from tests.support.celery_worker import manage, running_worker, unique_queue, wait_until, worker_env
from tests.support.test_database import copy_template


def make_records():
    """Four records against a 24-hour replay window; only the completed one older than that goes."""
    client, _ = ApiClient.issue(name="shop", scopes=["all"])
    now = timezone.now()
    ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    done = {"response_status": 201, "response_body": "{}", "completed_at": now}
    IdempotencyRecord.objects.create(client=client, key="expired", created_at=now - ttl - timedelta(minutes=5), **done)
    IdempotencyRecord.objects.create(client=client, key="fresh", created_at=now - timedelta(hours=1), **done)
    IdempotencyRecord.objects.create(
        client=client, key="just-inside", created_at=now - ttl + timedelta(minutes=5), **done
    )
    # Still running (no answer yet): the in-flight takeover deals with it, never the purge.
    IdempotencyRecord.objects.create(client=client, key="in-flight", created_at=now - ttl - timedelta(hours=1))


def remaining_keys():
    return sorted(IdempotencyRecord.objects.values_list("key", flat=True))


@pytest.mark.django_db
def test_purge_task_in_process_deletes_only_expired_answers():
    make_records()
    result = purge_expired_idempotency_records.apply()
    assert result.get() == 1  # "expired" only
    assert remaining_keys() == ["fresh", "in-flight", "just-inside"]


def test_the_purge_runs_every_hour_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-idempotency-records"]
    assert entry["task"] == purge_expired_idempotency_records.name
    assert entry["schedule"] == 3600.0


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_purge_task_runs_in_a_real_worker_on_the_configured_broker():
    make_records()
    queue = unique_queue("purge")
    with running_worker(env=worker_env(connection), queue=queue):
        purge_expired_idempotency_records.apply_async(queue=queue)
        wait_until(lambda: "expired" not in remaining_keys(), what="the worker to purge the expired record")
    assert remaining_keys() == ["fresh", "in-flight", "just-inside"]


SEED = textwrap.dedent(
    """
    from datetime import timedelta
    from django.utils import timezone
    from orders.models import ApiClient, IdempotencyRecord
    client, _ = ApiClient.issue(name="shop", scopes=["all"])
    now = timezone.now()
    for key, age in (("expired", timedelta(hours=25)), ("fresh", timedelta(hours=1))):
        IdempotencyRecord.objects.create(client=client, key=key, created_at=now - age, response_status=201,
                                         completed_at=now)
    """
)
SEND = "from orders.tasks import purge_expired_idempotency_records as t; t.apply_async(queue={queue!r})"


@pytest.mark.celery_worker
def test_purge_task_runs_in_a_real_worker_on_the_embedded_filesystem_broker(tmp_path):
    # Everything as `make run` has it: a SQLite file and the filesystem broker, no server at all.
    database = tmp_path / "db.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_DATA_DIR": str(tmp_path / "celery"),
    }
    # A migrated database: the suite's SQLite template when there is one (migrating costs a process ~15 s of
    # CPU), else the tables the purge touches and their dependencies, migrated here.
    if not copy_template(database):
        manage("migrate", "orders", "--no-input", env=env)
    manage("shell", "-c", SEED, env=env)
    table = IdempotencyRecord._meta.db_table

    def keys():
        with sqlite3.connect(database, timeout=20) as db:
            return sorted(row[0] for row in db.execute(f"SELECT key FROM {table}"))

    assert keys() == ["expired", "fresh"]
    queue = unique_queue("purge-fs")
    with running_worker(env=env, queue=queue):
        manage("shell", "-c", SEND.format(queue=queue), env=env)
        # The message is a file in the queue folder until the worker takes it.
        wait_until(lambda: keys() == ["fresh"], what="the worker to purge the expired record")
    assert not any((tmp_path / "celery" / "queue").iterdir())
