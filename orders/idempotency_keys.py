"""The Idempotency-Key records of the API (API.md, Conventions): claim a key, tell a replay from a key
reused or still in flight, keep the answers to replay.

Below the API layer so that a service owning its transactions and its keys (the batch ingest,
orders.services.ingest_batch) calls them without importing a view's helpers; the decorator of the
single-request views is orders.api.idempotency.
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.renderers import BaseRenderer
from rest_framework.settings import api_settings

from orders.db import insert_rows, update_by_key
from orders.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from orders.models import ApiClient, IdempotencyRecord

HEADER = "Idempotency-Key"


def _render(data: object) -> str:
    """The stored body, rendered as the API renders it, so a replay is byte for byte the first answer."""
    # The stubs type the setting as written (dotted paths); api_settings imports the classes.
    renderer = cast(type[BaseRenderer], api_settings.DEFAULT_RENDERER_CLASSES[0])
    rendered = renderer().render(data)
    return rendered.decode() if isinstance(rendered, bytes) else rendered


def claim(client: ApiClient, key: str, fingerprint: str, *, method: str, path: str) -> IdempotencyRecord | None:
    """Claim the key for this request; return the existing record when another request has it."""
    record = IdempotencyRecord(client=client, key=key, method=method, path=path[:500], request_hash=fingerprint)
    try:
        if connection.in_atomic_block:
            # A savepoint, so a taken key does not break the caller's transaction.
            with transaction.atomic():
                insert_rows([record])
        else:
            # Autocommit: the INSERT is its own transaction, without a BEGIN and COMMIT round trip.
            insert_rows([record])
        return None
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if existing is None:  # freed between our insert and our read: try once more
            return claim(client, key, fingerprint, method=method, path=path)
        return existing


def _take_over_if_abandoned(record: IdempotencyRecord) -> bool:
    """A claim older than the in-flight timeout belongs to a request that died: take it over."""
    limit = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS)
    if record.created_at >= limit:
        return False
    return bool(
        IdempotencyRecord.objects.filter(
            pk=record.pk, response_status__isnull=True, created_at=record.created_at
        ).update(created_at=timezone.now())
    )


def replayable_record(existing: IdempotencyRecord, request_hash: str, *, field: str) -> IdempotencyRecord | None:
    """For a key another request claimed: the record to replay, or None when its abandoned claim is now
    ours. Raises when the key came with another body, or its first request still runs."""
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused(f"This {HEADER} was used with a different request body.", field=field)
    if existing.in_flight and not _take_over_if_abandoned(existing):
        raise IdempotencyKeyInUse(f"A request with this {HEADER} is still being processed; retry later.", field=field)
    return None if existing.in_flight else existing


def record_answers(client: ApiClient, answers: Mapping[str, tuple[int, object]]) -> None:
    """Keep several successful answers (key → status, data) for replay, in one statement."""
    if answers:
        update_by_key(
            IdempotencyRecord,
            where={"client": client.pk},
            key="key",
            rows={
                key: {"response_status": status, "response_body": _render(data)}
                for key, (status, data) in answers.items()
            },
            also={"completed_at": timezone.now()},
        )
