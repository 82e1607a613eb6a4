from decimal import Decimal
from typing import Any, Literal, overload

from django.db import models

from orders.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, QUANTITY_DECIMAL_PLACES, QUANTITY_MAX_DIGITS


# Typed as the DecimalField they return; a nullable one (null=True) reads as Decimal | None, as the
# django-stubs plugin types models.DecimalField(null=True), which it cannot see through a function.
@overload
def MoneyField(*, null: Literal[True], **kwargs: Any) -> "models.DecimalField[Any, Decimal | None]": ...
@overload
def MoneyField(*, null: Literal[False] = ..., **kwargs: Any) -> "models.DecimalField[Any, Decimal]": ...
def MoneyField(**kwargs: Any) -> "models.DecimalField[Any, Any]":
    kwargs.setdefault("default", 0)
    return models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)


@overload
def QuantityField(*, null: Literal[True], **kwargs: Any) -> "models.DecimalField[Any, Decimal | None]": ...
@overload
def QuantityField(*, null: Literal[False] = ..., **kwargs: Any) -> "models.DecimalField[Any, Decimal]": ...
def QuantityField(**kwargs: Any) -> "models.DecimalField[Any, Any]":
    kwargs.setdefault("default", 0)
    return models.DecimalField(max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES, **kwargs)


class Address(models.Model):
    """Street address fields shared by billing, delivery groups and locations."""

    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")

    class Meta:
        abstract = True


_STORED_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)


class MoneySum(models.Sum):
    """Sum of money columns, exact on every database; 0 when there is nothing to sum.

    SQLite adds decimals as floats (71.28 + 47.52 comes back as 118.79999999999999); every addend
    has the stored 4 places, so rounding the sum to them restores the exact value.
    """

    def __init__(self, *expressions: Any, **extra: Any) -> None:
        extra.setdefault("output_field", MoneyField())
        super().__init__(*expressions, **extra)

    def convert_value(self, value: Any, expression: Any, connection: Any) -> Decimal:
        return Decimal(0) if value is None else Decimal(value).quantize(_STORED_QUANTUM)


class TracksModification(models.Model):
    """`last_modified` moves on every save, a save of some fields only included: the lists integrations poll
    (orders.polling) filter and page on it. Writes that bypass save() (update(), bulk_update()) set it too."""

    last_modified = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields:
            kwargs["update_fields"] = {*update_fields, "last_modified"}
        super().save(*args, **kwargs)
