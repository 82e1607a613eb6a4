"""Read-only output fields for money records: ids as opaque strings, money rounded to its currency."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from orders.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, round_money


class Id(serializers.CharField):
    def __init__(self, source: str = "pk", **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(source=source, **kwargs)

    def to_representation(self, value: object) -> str:
        return str(value)


class Money(serializers.DecimalField):
    """Rounded to the record's `currency` (JSON number)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(
            max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, coerce_to_string=False, **kwargs
        )

    def get_attribute(self, instance: object) -> Any:
        self._currency = getattr(instance, "currency", None) or self.context.get("currency", "USD")
        return super().get_attribute(instance)

    def to_representation(self, value: Decimal) -> Decimal:  # type: ignore[override]  # a JSON number, not str
        return round_money(value, self._currency)


def Text(source: str | None = None, **kwargs: Any) -> serializers.CharField:
    if source is not None:
        kwargs["source"] = source
    return serializers.CharField(read_only=True, **kwargs)


def Date(source: str, **kwargs: Any) -> serializers.DateTimeField:
    return serializers.DateTimeField(source=source, read_only=True, **kwargs)


class IdList(serializers.ListField):
    """Ids given as strings or numbers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(max_length=40), **kwargs)


class AmountIn(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        super().__init__(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)
