"""Sending a webhook delivery, retrying it, and sending one again on request.

Each attempt is one outbox message (orders/outbox.py): the first is written with the event, each retry
with the failed attempt (a countdown that waits in the outbox table, not in the broker), so a retry is
never lost with a worker or a broker. The HTTP request runs outside any transaction; a delivery is
claimed first by moving its `next_attempt_at` past the request's timeout, so a second copy of the same
message (the relay's, or a redelivered one) finds it not due and sends nothing.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orders import outbox
from orders.errors import InvalidState, NotFound
from orders.events import DELIVER_TASK, event_json
from orders.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from orders.selectors.summaries import parse_id
from orders.services.webhook_endpoints import disable_endpoint, get_endpoint
from orders.webhook_http import SIGNATURE_HEADER, Answer, post, sign


def backoff_seconds(attempt_count: int) -> int:
    """30 s after the first failed attempt, doubling, at most OMS_WEBHOOK_RETRY_MAX_SECONDS."""
    exponent = min(max(0, attempt_count - 1), 20)
    seconds: int = min(settings.OMS_WEBHOOK_RETRY_MAX_SECONDS, settings.OMS_WEBHOOK_RETRY_BASE_SECONDS * 2**exponent)
    return seconds


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OMS_WEBHOOK_TIMEOUT_SECONDS + 60)
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
        ).update(next_attempt_at=lease, attempt_count=F("attempt_count") + 1, last_attempt_at=now)
    )


def attempt_delivery(delivery_id: int) -> str:
    """Send the delivery if it is pending and due; record the attempt; schedule the retry or give up.
    Returns what happened (for the task's log): sent, retrying, failed, or not due."""
    if not _claim(delivery_id):
        return "not due"
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, last_error="The endpoint is disabled."
        )
        return "failed"
    body = event_json(delivery.event)
    answer = post(
        endpoint.url,
        body,
        {
            SIGNATURE_HEADER: sign(endpoint.secret, int(time.time()), body),
            "OMS-Event-Id": str(delivery.event_id),
            "OMS-Event-Type": delivery.event.type,
        },
    )
    return _record(delivery_id, answer)


def _record(delivery_id: int, answer: Answer) -> str:
    now = timezone.now()
    with transaction.atomic():
        # The endpoint before its delivery, as every writer of both.
        endpoint = WebhookEndpoint.objects.select_for_update().get(
            pk=WebhookDelivery.objects.filter(pk=delivery_id).values("endpoint_id")[:1]
        )
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=delivery.last_attempt_at or now,
            response_status=answer.status,
            succeeded=answer.ok,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
        delivery.last_response_status = answer.status
        delivery.last_error = answer.error
        fields = ["last_response_status", "last_error", "status", "next_attempt_at", "delivered_at"]
        if answer.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, now, now
            delivery.save(update_fields=fields)
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since", "updated_at"])
            return "sent"
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since", "updated_at"])
        elif endpoint.is_active and now - endpoint.failing_since >= timedelta(
            hours=settings.OMS_WEBHOOK_DISABLE_AFTER_HOURS
        ):
            disable_endpoint(
                endpoint,
                f"Every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC; last: {answer.error}",
            )
        wait = backoff_seconds(delivery.attempt_count)
        if not endpoint.is_active or now + timedelta(seconds=wait) > delivery.retry_until:
            delivery.status = DeliveryStatus.FAILED
            delivery.save(update_fields=fields)
            return "failed"
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.save(update_fields=fields)
        outbox.enqueue(DELIVER_TASK, delivery.pk, countdown=wait)
        return "retrying"


def redeliver(
    delivery_id: int | str, *, endpoint_id: int | str | None = None, channel_id: int | None = None
) -> WebhookDelivery:
    """Send the delivery once more, now, whatever became of it (retried again on failure for
    OMS_WEBHOOK_RETRY_HOURS). Refused while its endpoint is disabled: enable it first."""
    with transaction.atomic():
        endpoint: WebhookEndpoint | None
        if endpoint_id is not None:
            endpoint = get_endpoint(endpoint_id, channel_id=channel_id, lock=True)
        else:
            owner = WebhookDelivery.objects.filter(pk=parse_id(delivery_id) or 0).values_list("endpoint_id", flat=True)
            endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=owner.first() or 0).first()
        pk = parse_id(delivery_id)
        delivery = (
            WebhookDelivery.objects.select_for_update().filter(pk=pk, endpoint=endpoint).first()
            if pk is not None and endpoint is not None
            else None
        )
        if delivery is None or endpoint is None:
            raise NotFound(f"No delivery {delivery_id} of this webhook endpoint.")
        if not endpoint.is_active:
            raise InvalidState("The webhook endpoint is disabled; enable it (active: true) before redelivering.")
        now = timezone.now()
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        delivery.retry_until = now + timedelta(hours=settings.OMS_WEBHOOK_RETRY_HOURS)
        delivery.save(update_fields=["status", "next_attempt_at", "retry_until"])
        outbox.enqueue(DELIVER_TASK, delivery.pk)
    return delivery
