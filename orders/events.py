"""Events: what happened to an order summary, recorded with the change that made it happen.

    from orders.events import record_event
    with transaction.atomic():
        ... the change, under the summary's lock ...
        record_event(summary.pk, EventType.ORDER_SUMMARY_CHANGED, summary_data(summary.pk))

`record_event` writes the event (the change feed reads it) and, for every active webhook endpoint that
receives its type and may see its channel, a delivery and its outbox message (orders/outbox.py): all in
the caller's transaction, so an event exists exactly when its change was committed, and its webhooks
are sent even if the broker was away at that moment. Every service that changes what an integration
cares about calls it (never a view), so the API, the console, the admin and the tasks all emit.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Subquery
from django.utils import timezone
from rest_framework.fields import DateTimeField

from orders import outbox
from orders.db import CompiledQuery, insert_rows
from orders.models import Event, EventSequence, OrderSummary, WebhookDelivery, WebhookEndpoint

DELIVER_TASK = "orders.webhook_tasks.deliver_webhook"


def _next_sequence(order_summary_id: int) -> int:
    """The summary's next event sequence, in one statement that also locks its counter row until the
    transaction ends: two events of one summary are numbered in the order they commit."""
    table = EventSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (order_summary_id, last) VALUES (%s, 1) "  # noqa: S608 - our table name
            f"ON CONFLICT (order_summary_id) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [order_summary_id],
        )
        return cursor.fetchone()[0]


def _active_endpoints():
    return WebhookEndpoint.objects.filter(is_active=True).only("id", "events", "sales_channel_id")


# Read by every ingest: compiled once per process (orders/db.py).
_ACTIVE_ENDPOINTS = CompiledQuery(_active_endpoints)


def _endpoints_of(order_summary_id):
    channel = Subquery(OrderSummary.objects.filter(pk=order_summary_id).values("sales_channel_id")[:1])
    return _active_endpoints().filter(Q(sales_channel__isnull=True) | Q(sales_channel_id=channel))


# Every event asks: compiled once per process (orders.db).
_ENDPOINT_FIELDS = ("id", "events", "sales_channel_id")
_ENDPOINTS = CompiledQuery(
    lambda order_summary_id: _endpoints_of(order_summary_id).values_list(*_ENDPOINT_FIELDS), numbers=True
)


def subscribed_endpoints(order_summary_id: int, event_type: str) -> list[WebhookEndpoint]:
    """Active endpoints of the summary's channel or of no channel that receive this type."""
    endpoints = [
        WebhookEndpoint.from_db(connection.alias, _ENDPOINT_FIELDS, row) for row in _ENDPOINTS.rows(order_summary_id)
    ]
    # The type is checked here: a JSON list "contains" is not portable to SQLite, and endpoints are few.
    return [endpoint for endpoint in endpoints if endpoint.receives(event_type)]


def _deliver(pairs: list[tuple[Event, WebhookEndpoint]]) -> None:
    """A delivery, and its outbox message, for each (event, endpoint)."""
    if not pairs:
        return
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                next_attempt_at=now,
                retry_until=now + timedelta(hours=settings.OMS_WEBHOOK_RETRY_HOURS),
            )
            for event, endpoint in pairs
        ]
    )
    for delivery in deliveries:
        outbox.enqueue(DELIVER_TASK, delivery.pk)


def _check_in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are recorded in the transaction of the change they tell of")


def record_event(order_summary_id: int, type: str, data: dict) -> Event:
    """Record an event of `type` about this summary with `data` (the resource as the API renders it,
    see orders/event_data.py); must run inside the transaction of the change it tells of."""
    _check_in_transaction()
    [event] = insert_rows(
        [
            Event(
                type=type,
                order_summary_id=order_summary_id,
                data=data,
                created_at=timezone.now(),
                sequence=_next_sequence(order_summary_id),
            )
        ]
    )
    _deliver([(event, endpoint) for endpoint in subscribed_endpoints(order_summary_id, type)])
    return event


def record_first_events(type: str, entries: list[tuple[OrderSummary, dict]]) -> list[Event]:
    """The first event of each of these summaries, made in this transaction (order_summary.created of an
    ingest batch): sequence 1 each, in three statements for any number of them."""
    _check_in_transaction()
    if not entries:
        return []
    now = timezone.now()
    EventSequence.objects.bulk_create([EventSequence(order_summary_id=summary.pk, last=1) for summary, _ in entries])
    events = insert_rows(
        [
            Event(type=type, order_summary_id=summary.pk, data=data, created_at=now, sequence=1)
            for summary, data in entries
        ]
    )
    endpoints = [endpoint for endpoint in _ACTIVE_ENDPOINTS.instances() if endpoint.receives(type)]
    _deliver(
        [
            (event, endpoint)
            for event, (summary, _) in zip(events, entries, strict=True)
            for endpoint in endpoints
            if endpoint.sales_channel_id in (None, summary.sales_channel_id)
        ]
    )
    return events


def event_body(event: Event) -> dict:
    """An event as webhooks carry it and the change feed lists it."""
    return {
        "id": str(event.pk),
        "type": event.type,
        "createdDate": DateTimeField().to_representation(event.created_at),
        "sequence": event.sequence,
        "orderSummaryId": str(event.order_summary_id),
        "data": event.data,
    }


def event_json(event: Event) -> bytes:
    """The bytes a webhook sends (and signs)."""
    return json.dumps(event_body(event), ensure_ascii=False, separators=(",", ":")).encode()


def purge_old_events(older_than: timedelta | None = None) -> int:
    """Drop events past the retention window (their deliveries and attempts go with them)."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.OMS_EVENT_RETENTION_DAYS))
    _, per_model = Event.objects.filter(created_at__lt=cutoff).delete()
    return per_model.get(Event._meta.label, 0)
