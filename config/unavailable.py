"""A database or broker that cannot be reached answers 503 with Retry-After, never a 500 (issue 14, point 4).

The API keeps its error body ({"message", "errors": [{"errorCode": "SERVICE_UNAVAILABLE", ...}], "output"});
the console and the admin get a short page. Nothing was done by the request, or what was done is
committed with its follow-ups in the outbox: retrying after the pause is safe (with the same
Idempotency-Key, the API answers the first request's result).
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

try:  # pragma: no cover - redis is installed with the project
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover
    REDIS_ERRORS = ()

UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, KombuError, *REDIS_ERRORS)
RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable (its database or queue cannot be reached). Retry shortly."


def unavailable_response(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "message": MESSAGE,
                "errors": [{"errorCode": "SERVICE_UNAVAILABLE", "message": MESSAGE, "field": None}],
                "output": None,
            },
            status=503,
        )
    else:
        response = HttpResponse(
            f"<!doctype html><title>Briefly unavailable</title><h1>Briefly unavailable</h1><p>{MESSAGE}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """Turns an exception from a database or broker that went away into a 503 for the client."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UNAVAILABLE_ERRORS):
            return None
        # Django's own IntegrityError, DataError etc. are not OperationalError: only "could not reach it".
        logger.warning(
            "%s %s: service unavailable: %s: %s", request.method, request.path, type(exception).__name__, exception
        )
        _drop_dead_connections()
        return unavailable_response(request)


def _drop_dead_connections() -> None:
    """A connection the server dropped is closed now (returned to the pool as broken), so the next
    request on this thread gets a sound one; Django would otherwise only notice at the request's end."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None or conn.in_atomic_block:
            continue
        try:
            conn.close_if_unusable_or_obsolete()
        except DatabaseError:  # closing a dead connection can fail too; it is gone either way
            conn.connection = None
