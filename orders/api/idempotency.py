"""Idempotency-Key handling for POST views (API.md, Conventions).

The key is claimed in its own committed row before the work starts, so a concurrent retry sees it
and answers 409 instead of doing the work twice. Only successful answers are kept for replay: a 4xx
or 5xx frees the key, so a corrected retry with the same key goes through.
"""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.settings import api_settings

from orders.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidInput
from orders.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _render(data) -> str:
    """The stored body, rendered as the API renders it, so a replay is byte for byte the first answer."""
    return api_settings.DEFAULT_RENDERER_CLASSES[0]().render(data).decode()


def request_fingerprint(request) -> str:
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _claim(client, key: str, fingerprint: str, request) -> IdempotencyRecord | None:
    """Claim the key for this request; return the existing record when another request has it."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                client=client, key=key, method=request.method, path=request.path[:500], request_hash=fingerprint
            )
        return None
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if existing is None:  # freed between our insert and our read: try once more
            return _claim(client, key, fingerprint, request)
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


def idempotent(*, required: bool = False):
    """Decorate an APIView's post(): replay, refuse reuse with another body, refuse while in flight."""

    def decorator(view_method):
        @wraps(view_method)
        def wrapper(self, request, *args, **kwargs):
            key = request.headers.get(HEADER, "").strip()
            if not key:
                if required:
                    raise InvalidInput(f"The {HEADER} header is required for this resource.", field=HEADER)
                return view_method(self, request, *args, **kwargs)
            if len(key) > MAX_KEY_LENGTH:
                raise InvalidInput(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.", field=HEADER)

            fingerprint = request_fingerprint(request)
            existing = _claim(request.auth, key, fingerprint, request)
            if existing is not None:
                if existing.request_hash != fingerprint:
                    raise IdempotencyKeyReused(
                        f"This {HEADER} was used with a different request body.", field=HEADER
                    )
                if existing.in_flight and not _take_over_if_abandoned(existing):
                    raise IdempotencyKeyInUse(
                        f"A request with this {HEADER} is still being processed; retry later.", field=HEADER
                    )
                if not existing.in_flight:
                    replay = HttpResponse(
                        existing.response_body, status=existing.response_status, content_type="application/json"
                    )
                    replay["Idempotent-Replayed"] = "true"
                    return replay

            try:
                response = view_method(self, request, *args, **kwargs)
            except BaseException:
                IdempotencyRecord.objects.filter(client=request.auth, key=key).delete()
                raise
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.filter(client=request.auth, key=key).update(
                    response_status=response.status_code,
                    response_body=_render(response.data),
                    completed_at=timezone.now(),
                )
            else:
                IdempotencyRecord.objects.filter(client=request.auth, key=key).delete()
            return response

        return wrapper

    return decorator


def purge_expired_idempotency_records() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff, response_status__isnull=False).delete()
    return deleted
