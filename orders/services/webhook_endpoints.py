"""Webhook endpoints: create (the secret is returned once), change, remove.

An endpoint made with a key bound to a sales channel belongs to that channel: it receives that
channel's events only, and only keys of that channel (or back-office keys) see it.
"""

import contextlib
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from orders.errors import FieldError, InvalidInput, NotFound
from orders.models import ApiClient, EventType, WebhookEndpoint
from orders.selectors.summaries import parse_id
from orders.webhook_http import AddressRefused, check_literal_host, parse_url, resolve

MAX_URL_LENGTH = 2000


def check_url(url: object, field: str = "url") -> str:
    """Refuse what we would never send to: another scheme, credentials, a private or loopback address
    (literal, or what the name resolves to now). A name that does not resolve yet is accepted: every
    delivery resolves and checks it again."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("A URL is required.", field=field)
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"At most {MAX_URL_LENGTH} characters.", field=field)
    try:
        target = parse_url(url)
        check_literal_host(target)
        with contextlib.suppress(OSError):  # not resolvable yet
            resolve(target)
    except AddressRefused as refused:
        raise InvalidInput(str(refused), field=field) from None
    return url


def check_events(events: object, field: str = "events") -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise InvalidInput("List at least one event type.", field=field)
    unknown = [
        FieldError(f"Unknown event type {value!r}; known: {', '.join(EventType.values)}.", f"{field}[{index}]")
        for index, value in enumerate(events)
        if value not in EventType.values
    ]
    if unknown:
        raise InvalidInput(unknown[0].message, errors=unknown)
    return sorted(set(events))


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def create_webhook_endpoint(
    url: str,
    events: Sequence[str],
    description: str = "",
    *,
    channel_id: int | None,
    created_by: ApiClient | None = None,
) -> CreatedEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        url=check_url(url),
        events=check_events(events),
        description=description or "",
        sales_channel_id=channel_id,
        created_by=created_by,
    )
    return CreatedEndpoint(endpoint, endpoint.secret)


def visible_endpoints(channel_id: int | None) -> QuerySet[WebhookEndpoint]:
    queryset = WebhookEndpoint.objects.select_related("sales_channel")
    return queryset if channel_id is None else queryset.filter(sales_channel_id=channel_id)


def get_endpoint(endpoint_id: int | str, *, channel_id: int | None, lock: bool = False) -> WebhookEndpoint:
    """Another channel's endpoint, like a missing one, is NotFound."""
    pk = parse_id(endpoint_id)
    queryset = visible_endpoints(channel_id)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    endpoint = queryset.filter(pk=pk).first() if pk is not None else None
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    return endpoint


class _Unset(enum.Enum):
    """A field the update leaves as it is (None is a value some fields take)."""

    UNSET = enum.auto()


_UNSET = _Unset.UNSET


def update_webhook_endpoint(
    endpoint_id: int | str,
    *,
    channel_id: int | None,
    url: str | _Unset = _UNSET,
    events: Sequence[str] | _Unset = _UNSET,
    active: bool | _Unset = _UNSET,
    description: str | _Unset | None = _UNSET,
) -> WebhookEndpoint:
    """Change what is given. Turning an endpoint on again (after it was disabled for failing) clears the
    failure record; deliveries that failed meanwhile are sent again with the redeliver action."""
    with transaction.atomic():
        endpoint = get_endpoint(endpoint_id, channel_id=channel_id, lock=True)
        fields = ["updated_at"]
        if url is not _UNSET:
            endpoint.url = check_url(url)
            fields.append("url")
        if events is not _UNSET:
            endpoint.events = check_events(events)
            fields.append("events")
        if description is not _UNSET:
            endpoint.description = description or ""
            fields.append("description")
        if active is not _UNSET and bool(active) != endpoint.is_active:
            endpoint.is_active = bool(active)
            if endpoint.is_active:
                endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
            fields += ["is_active", "disabled_at", "disabled_reason", "failing_since"]
        endpoint.save(update_fields=fields)
    return endpoint


def delete_webhook_endpoint(endpoint_id: int | str, *, channel_id: int | None) -> None:
    """Removes the endpoint and its delivery history; deliveries still pending are not sent."""
    with transaction.atomic():
        get_endpoint(endpoint_id, channel_id=channel_id, lock=True).delete()


def disable_endpoint(endpoint: WebhookEndpoint, reason: str) -> None:
    """Inside the caller's transaction, the endpoint locked."""
    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason[:255]
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
