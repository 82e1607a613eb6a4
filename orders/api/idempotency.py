"""Idempotency-Key handling for POST views (API.md, Conventions).

The key is claimed in its own committed row before the work starts, so a concurrent retry sees it
and answers 409 instead of doing the work twice. Only successful answers are kept for replay: a 4xx
or 5xx frees the key, so a corrected retry with the same key goes through.

A view whose service takes a hook inside its transaction (ingest) keeps its answer there, with
`request.idempotency.keep(...)`: the answer is committed with the work, in one commit instead of two,
and no retry can find the work done but its answer missing.
"""

import hashlib
import json
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.utils import timezone

from orders.errors import InvalidInput
from orders.idempotency_keys import HEADER, claim, record_answers, replayable_record
from orders.models import IdempotencyRecord

# An APIView method: (self, request, *url arguments) -> the response.
_ViewMethod = TypeVar("_ViewMethod", bound=Callable[..., Any])

MAX_KEY_LENGTH = 255
# Fresh connections tried to free a key after the request's own connection died.
RELEASE_ATTEMPTS = 3


def fingerprint(method: str, path: str, data) -> str:
    """The hash a key is bound to: method, path and the parsed body in canonical form."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def request_fingerprint(request) -> str:
    return fingerprint(request.method, request.path, request.data)


def idempotent(*, required: bool = False) -> Callable[[_ViewMethod], _ViewMethod]:
    """Decorate an APIView's post(): replay, refuse reuse with another body, refuse while in flight."""

    def decorator(view_method: _ViewMethod) -> _ViewMethod:
        @wraps(view_method)
        def wrapper(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER, "").strip()
            if not key:
                if required:
                    raise InvalidInput(f"The {HEADER} header is required for this resource.", field=HEADER)
                return view_method(self, request, *args, **kwargs)
            if len(key) > MAX_KEY_LENGTH or not key.isprintable():
                raise InvalidInput(f"{HEADER} must be at most {MAX_KEY_LENGTH} printable characters.", field=HEADER)

            request_hash = request_fingerprint(request)
            existing = claim(request.auth, key, request_hash, method=request.method, path=request.path)
            if existing is not None:
                replayable = replayable_record(existing, request_hash, field=HEADER)
                if replayable is not None:
                    replay = HttpResponse(
                        replayable.response_body, status=replayable.response_status, content_type="application/json"
                    )
                    replay["Idempotent-Replayed"] = "true"
                    return replay

            request.idempotency = claimed = Claim(request.auth, key)
            try:
                response = view_method(self, request, *args, **kwargs)
            except BaseException:
                release(request.auth, key)
                raise
            if not 200 <= response.status_code < 300:
                release(request.auth, key)
            elif not claimed.kept:
                record_answer(request.auth, key, response.status_code, response.data)
            return response

        wrapper.takes_idempotency_key = True  # type: ignore[attr-defined]  # read by orders.api.schema_answers
        # The wrapper takes and answers what the view method does.
        return cast(_ViewMethod, wrapper)

    return decorator


class Claim:
    """The key a request holds (`request.idempotency` in an @idempotent view)."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key
        self.kept = False

    def keep(self, status: int, data) -> None:
        """Keep the successful answer now, inside the caller's transaction: committed with the work.
        The view must then answer exactly this."""
        record_answer(self.client, self.key, status, data)
        self.kept = True


def record_answer(client, key: str, status: int, data) -> None:
    """Keep a successful answer for replay."""
    record_answers(client, {key: (status, data)})


def release(client, key: str) -> None:
    """Free the key: the request failed and wrote nothing, so a corrected retry may use it.

    When the request failed because its database connection died (issue 14), the key is freed on a
    fresh connection: otherwise the client's retry would meet 409 IDEMPOTENCY_KEY_IN_USE until the
    in-flight timeout. The connection pool may hand out another connection the same outage killed, so a
    few fresh ones are tried. With the database itself away, the timeout frees the key."""
    try:
        IdempotencyRecord.objects.filter(client=client, key=key).delete()
        return
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
    for _ in range(RELEASE_ATTEMPTS):
        connection.close()
        with suppress(OperationalError, InterfaceError):
            IdempotencyRecord.objects.filter(client=client, key=key).delete()
            return


def purge_expired_idempotency_records() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff, response_status__isnull=False).delete()
    return deleted
