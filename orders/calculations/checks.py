"""Small input checks shared by the change calculations."""

from decimal import Decimal, InvalidOperation

from orders.money import QUANTITY_DECIMAL_PLACES, minor_units

from .state import ItemState, SummaryState

MAX_FREE_TEXT = 255


def item_id(raw: object) -> int | None:
    """Ids are opaque strings in the API; ours are integers underneath."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def find_item(state: SummaryState, raw_id: object) -> ItemState | None:
    parsed = item_id(raw_id)
    return state.item(parsed) if parsed is not None else None


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def as_decimal(value: object) -> Decimal | None:
    if isinstance(value, float | bool):
        return None
    try:
        number = Decimal(value)  # type: ignore[arg-type]  # any input: what Decimal refuses is caught below
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def fits_quantity(value: Decimal) -> bool:
    return decimal_places(value) <= QUANTITY_DECIMAL_PLACES


def fits_currency(value: Decimal, currency: str) -> bool:
    return decimal_places(value) <= minor_units(currency)
