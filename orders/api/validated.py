"""A request's body or query as its serializer validates it: one home for the three lines every view repeated."""

from typing import Any

from rest_framework import serializers


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> dict[str, Any]:
    """`data` validated by `serializer_class`; a 400 naming each bad field otherwise (the API's error handler)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    validated_data: dict[str, Any] = serializer.validated_data
    return validated_data
