"""Every API error answers {"message", "errors": [{"errorCode", "message", "field"}], "output"}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from orders.api import key_gate
from orders.errors import ServiceError

logger = logging.getLogger(__name__)

_DRF_CODES = {
    drf.NotAuthenticated: ("UNAUTHENTICATED", 401),
    drf.AuthenticationFailed: ("UNAUTHENTICATED", 401),
    drf.PermissionDenied: ("PERMISSION_DENIED", 403),
    drf.NotFound: ("NOT_FOUND", 404),
    drf.MethodNotAllowed: ("METHOD_NOT_ALLOWED", 405),
    drf.NotAcceptable: ("NOT_ACCEPTABLE", 406),
    drf.UnsupportedMediaType: ("INVALID_API_INPUT", 415),
    drf.Throttled: ("RATE_LIMITED", 429),
    drf.ParseError: ("INVALID_API_INPUT", 400),
}


# An error body stays small whatever the request: the first MAX_ERRORS errors and their count, each message
# and field path cut to a length (a 200 kB value quoted back in a message, a key of a megabyte).
MAX_ERRORS = 100
MAX_MESSAGE_LENGTH = 500
MAX_FIELD_LENGTH = 200


def _cut(text, limit: int):
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def capped_errors(errors: list[dict], limit: int = MAX_ERRORS) -> list[dict]:
    """The first `limit` errors, each message and field path cut to its length."""
    return [
        {
            **error,
            "message": _cut(error.get("message"), MAX_MESSAGE_LENGTH),
            "field": _cut(error.get("field"), MAX_FIELD_LENGTH),
        }
        for error in errors[:limit]
    ]


def error_body(message: str, errors: list[dict], output=None) -> dict:
    body = {"message": _cut(message, MAX_MESSAGE_LENGTH), "errors": capped_errors(errors), "output": output}
    if len(errors) > MAX_ERRORS:
        body["errorCount"] = len(errors)
        body["message"] = _cut(
            f"{body['message']} ({len(errors)} errors; the first {MAX_ERRORS} are listed.)", MAX_MESSAGE_LENGTH + 60
        )
    return body


def _join(prefix: str, key) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key == "non_field_errors":
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def flatten_validation_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list naming each field by its path: items[0].quantity."""
    found: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            found.extend(flatten_validation_errors(value, _join(prefix, key)))
    elif isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                found.append({"errorCode": "INVALID_API_INPUT", "message": str(item), "field": prefix or None})
        else:
            for index, item in enumerate(detail):
                if item:
                    found.extend(flatten_validation_errors(item, _join(prefix, index)))
    else:
        found.append({"errorCode": "INVALID_API_INPUT", "message": str(detail), "field": prefix or None})
    return found


def exception_handler(exc, context):
    # A request refused before its throttle looked at its count (403) is not counted, as in DRF's order.
    count = getattr(context.get("request"), "rate_count", None)
    if count is not None:
        key_gate.uncount(count)
    if isinstance(exc, ServiceError):
        errors = exc.as_error_list()
        return Response(error_body(exc.message, errors, exc.output), status=exc.http_status)
    if isinstance(exc, drf.ValidationError):
        errors = flatten_validation_errors(exc.detail)
        first = errors[0] if errors else {"message": "Invalid input.", "field": None}
        message = f"{first['field']}: {first['message']}" if first.get("field") else first["message"]
        return Response(error_body(message, errors), status=400)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    for exc_type, (code, status) in _DRF_CODES.items():
        if isinstance(exc, exc_type):
            message = str(exc.detail) if hasattr(exc, "detail") else str(exc)
            headers = {}
            if isinstance(exc, drf.Throttled) and exc.wait:
                headers["Retry-After"] = str(int(exc.wait))
            if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
                headers["WWW-Authenticate"] = 'Bearer realm="api"'
            return Response(
                error_body(message, [{"errorCode": code, "message": message, "field": None}]),
                status=status,
                headers=headers,
            )
    if isinstance(exc, drf.APIException):
        message = str(exc.detail)
        return Response(
            error_body(message, [{"errorCode": "INVALID_API_INPUT", "message": message, "field": None}]),
            status=exc.status_code,
        )
    return None  # Anything else is a bug: let Django answer 500 and log it.
