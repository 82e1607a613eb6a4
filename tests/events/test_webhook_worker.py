"""A webhook delivered by a real Celery worker through Redis: the outbox publishes the delivery after the
ingest commits, the worker posts it to a receiver on loopback, and the message is acknowledged."""

import pytest
from django.db import connection

from config.celery import app as celery_app
from orders.models import OutboxMessage, WebhookDelivery
from orders.services.webhook_endpoints import create_webhook_endpoint
from tests.builders import ingest, order_body
from tests.events.receiver import Receiver
from tests.events.test_webhooks import verify
from tests.support.celery_worker import running_worker, unique_queue, wait_until, worker_env

TASK = "orders.webhook_tasks.deliver_webhook"


@pytest.fixture
def deliveries_to(settings):
    """Deliveries go to a queue of this test's own, so no other worker on the broker takes them."""
    queue = unique_queue("webhooks")
    previous = celery_app.conf.task_routes
    celery_app.conf.task_routes = {TASK: {"queue": queue}}
    celery_app.amqp.flush_routes()
    celery_app.amqp.router = celery_app.amqp.Router()
    yield queue
    celery_app.conf.task_routes = previous
    celery_app.amqp.flush_routes()
    celery_app.amqp.router = celery_app.amqp.Router()


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_the_webhook_the_outbox_published(settings, deliveries_to):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    with Receiver() as receiver:
        created = create_webhook_endpoint(receiver.url, ["order_summary.created"], channel_id=None)
        env = worker_env(connection, OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS="1")
        with running_worker(env=env, queue=deliveries_to):
            summary = ingest(order_body(number="WORKER-1"))  # committed: the outbox publishes at once
            wait_until(
                lambda: WebhookDelivery.objects.filter(status="Succeeded").exists(),
                what="the worker to deliver the webhook",
                timeout=60,
            )
            wait_until(
                lambda: OutboxMessage.objects.filter(task_name=TASK, status="Done").exists(),
                what="the outbox message to be acknowledged",
            )
        (request,) = receiver.received
    assert verify(created.secret, request.headers["OMS-Signature"], request.body)
    assert (request.event["type"], request.event["orderSummaryId"]) == ("order_summary.created", str(summary.pk))
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempt_count, delivery.last_response_status) == (1, 200)
