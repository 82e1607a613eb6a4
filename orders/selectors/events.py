"""Read queries of events and webhooks: the change feed, the endpoint list, an endpoint's deliveries."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from orders.cursors import decode_id_cursor, encode_id_cursor
from orders.errors import InvalidInput
from orders.models import Event, EventType, WebhookAttempt, WebhookDelivery
from orders.selectors.summaries import parse_id
from orders.services.webhook_endpoints import visible_endpoints


@dataclass
class Page:
    rows: list
    next_cursor: str | None


@dataclass
class EventPage:
    events: list[Event]
    last_event_id: int | None
    has_more: bool


def parse_types(raw: str | None) -> list[str]:
    if not raw:
        return []
    types = [value.strip() for value in raw.split(",") if value.strip()]
    unknown = [value for value in types if value not in EventType.values]
    if unknown:
        raise InvalidInput(f"Unknown event type {unknown[0]!r}; known: {', '.join(EventType.values)}.", field="types")
    return types


def event_feed(
    *,
    channel_id: int | None,
    after: str | None = None,
    types: list[str] = (),
    order_summary_id: str | None = None,
    limit: int,
) -> EventPage:
    """Events in the order they were recorded, after the event id `after`.

    Events younger than OMS_EVENT_FEED_SETTLE_SECONDS wait for the next call: ids are taken when a
    transaction writes its event, not when it commits, so a younger event may still be joined by an
    older id; once settled, nothing can appear behind a reader who moved on.
    """
    queryset = Event.objects.all()
    if channel_id is not None:
        queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
    after_id = None
    if after:
        after_id = parse_id(after)
        if after_id is None:
            raise InvalidInput("Not an event id.", field="after")
        queryset = queryset.filter(pk__gt=after_id)
    if types:
        queryset = queryset.filter(type__in=list(types))
    if order_summary_id:
        summary_pk = parse_id(order_summary_id)
        if summary_pk is None:
            raise InvalidInput("Not an order summary id.", field="orderSummaryId")
        queryset = queryset.filter(order_summary_id=summary_pk)
    settle = settings.OMS_EVENT_FEED_SETTLE_SECONDS
    if settle > 0:
        queryset = queryset.filter(created_at__lte=timezone.now() - timedelta(seconds=settle))
    rows = list(queryset.order_by("id")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return EventPage(events=rows, last_event_id=rows[-1].pk if rows else after_id, has_more=has_more)


def endpoint_page(*, channel_id: int | None, cursor: str | None, limit: int) -> Page:
    """Oldest first, keyset on the id."""
    queryset = visible_endpoints(channel_id)
    if cursor:
        queryset = queryset.filter(pk__gt=decode_id_cursor(cursor))
    rows = list(queryset.order_by("id")[: limit + 1])
    if len(rows) > limit:
        return Page(rows[:limit], encode_id_cursor(rows[limit - 1].pk))
    return Page(rows, None)


def delivery_page(endpoint, *, status: str | None, cursor: str | None, limit: int) -> Page:
    """Newest first, with each delivery's attempts (three queries for any page)."""
    queryset = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .only(
            "id",
            "endpoint_id",
            "event_id",
            "event__type",
            "status",
            "attempt_count",
            "last_response_status",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        )
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("id")))
    )
    if status:
        queryset = queryset.filter(status=status)
    if cursor:
        queryset = queryset.filter(pk__lt=decode_id_cursor(cursor))
    rows = list(queryset.order_by("-id")[: limit + 1])
    if len(rows) > limit:
        return Page(rows[:limit], encode_id_cursor(rows[limit - 1].pk))
    return Page(rows, None)


def delivery_detail(delivery_id: int) -> WebhookDelivery:
    return (
        WebhookDelivery.objects.select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("id")))
        .get(pk=delivery_id)
    )
