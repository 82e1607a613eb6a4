"""OpenAPI pieces every API view shares: the bearer-key security scheme, the error body, common headers.

Importing this module registers the authentication extension with drf-spectacular.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ApiKeySecurityScheme(OpenApiAuthenticationExtension):
    target_class = "orders.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <API key>"}


class ErrorItemSerializer(serializers.Serializer):
    errorCode = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class ErrorBodySerializer(serializers.Serializer):
    """Every 4xx/5xx body (API.md, Conventions)."""

    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)
    output = serializers.JSONField(allow_null=True, help_text="The resource's normal output, or null.")
    errorCount = serializers.IntegerField(
        required=False, help_text="How many errors there were, when there were more than the 100 listed in errors."
    )


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Invalid input (errorCode INVALID_API_INPUT, with the field).",
        401: "Missing, unknown or revoked API key.",
        403: "The API key lacks the scope.",
        404: "Not found, or another sales channel's record.",
        409: "The state does not allow it, or a conflict.",
        413: "The request body is larger than the limit.",
        422: "Idempotency-Key reused with a different body.",
    }
    return {status: OpenApiResponse(ErrorBodySerializer, description=descriptions[status]) for status in statuses}


def idempotency_key_header(*, required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        name="Idempotency-Key",
        type=OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=required,
        description="At most 255 characters, scoped to the API client; a retry with the same key and body "
        "replays the first answer.",
    )
