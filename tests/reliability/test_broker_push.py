"""The outbox's hand-over by one LPUSH (orders/broker_push.py): on a Redis broker the message pushed is the
one Celery sends for the same task, id and arguments, field by field; kombu's own consumer reads it as it
reads Celery's; the messages of one commit arrive in their order; anything push does not cover is left to
Celery."""

import base64
import json
import os
import uuid

import pytest
import redis
from celery.signals import before_task_publish
from django.db import transaction

from config.celery import app as celery_app
from orders import broker_push, outbox
from orders.models import OutboxMessage
from orders.routing_tasks import route_order_summary
from tests.reliability.outbox_tasks import remember

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("CELERY_BROKER_URL", "")


@pytest.fixture
def broker():
    """The environment's Redis broker, not eager, with a default queue of this test's own (a worker
    another test started must not take its messages)."""
    if not REDIS_URL.startswith("redis://"):
        if os.environ.get("OMS_REQUIRE_SERVICES"):
            pytest.fail("OMS_REQUIRE_SERVICES is set but CELERY_BROKER_URL is not Redis")
        pytest.skip("needs Redis (set CELERY_BROKER_URL=redis://…)")
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.task_default_queue
    queue = f"test-push-{uuid.uuid4().hex}"
    conf.task_always_eager, conf.task_default_queue = False, queue
    client = redis.Redis.from_url(REDIS_URL)
    yield client, queue
    client.delete(queue, f"_kombu.binding.{queue}")  # the list, and the binding SimpleQueue declares
    conf.task_always_eager, conf.task_default_queue = previous


def _decoded(raw: bytes) -> dict:
    message = json.loads(raw)
    uuid.UUID(message["properties"].pop("delivery_tag"))  # a new uuid per message, as kombu's
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


@pytest.mark.parametrize("task, args", [(route_order_summary, [123]), (remember, [7])])
def test_the_pushed_message_is_the_one_celery_sends(broker, task, args):
    client, queue = broker
    task_id = f"{outbox.TASK_ID_PREFIX}41-{uuid.uuid4().hex[:12]}"
    task.apply_async(args=args, kwargs={}, task_id=task_id, retry=False)
    celerys = client.rpop(queue)
    assert broker_push.push(task, [(task_id, args)])
    pushed = client.rpop(queue)
    assert celerys is not None and pushed is not None
    assert _decoded(pushed) == _decoded(celerys)
    assert client.llen(queue) == 0


def test_kombus_consumer_reads_the_pushed_messages_in_their_order(broker):
    _, queue = broker
    ids = [f"{outbox.TASK_ID_PREFIX}{n}-{uuid.uuid4().hex[:12]}" for n in (1, 2, 3)]
    assert broker_push.push(route_order_summary, [(task_id, [n]) for n, task_id in enumerate(ids, 1)])
    with celery_app.connection_for_read() as connection, connection.SimpleQueue(queue) as simple:
        received = [simple.get(timeout=2) for _ in ids]
    assert [message.headers["id"] for message in received] == ids
    assert [message.headers["task"] for message in received] == [route_order_summary.name] * 3
    assert [message.decode() for message in received] == [
        [[n], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}] for n in (1, 2, 3)
    ]


def test_the_routing_of_new_orders_is_pushed_after_commit(broker, django_capture_on_commit_callbacks):
    client, queue = broker
    published_by_celery = []

    def record(sender=None, **_):
        published_by_celery.append(sender)

    before_task_publish.connect(record, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            recorded = outbox.enqueue_many(route_order_summary, [(11,), (12,)])
            assert client.llen(queue) == 0  # nothing before the commit
    finally:
        before_task_publish.disconnect(record)
    assert published_by_celery == []  # pushed, not published by Celery
    pushed = [_decoded(client.rpop(queue)) for _ in recorded]
    assert [message["body"][0] for message in pushed] == [[11], [12]]
    assert [outbox.message_id(message["headers"]["id"]) for message in pushed] == [m.pk for m in recorded]
    assert OutboxMessage.objects.filter(last_error="").count() == 2


def test_what_push_does_not_cover_is_left_to_celery(broker, monkeypatch):
    client, queue = broker
    monkeypatch.setattr(celery_app.conf, "broker_write_url", "memory://")
    assert not broker_push.push(route_order_summary, [("outbox-1-a", [1])])
    monkeypatch.undo()
    monkeypatch.setattr(type(celery_app), "current_worker_task", property(lambda app: route_order_summary))
    assert not broker_push.push(route_order_summary, [("outbox-1-b", [1])])  # a parent's ids: Celery's
    monkeypatch.undo()
    assert not broker_push.push(route_order_summary, [])
    assert client.llen(queue) == 0
