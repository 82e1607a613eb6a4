"""The shape of a list of fulfillment order lines with quantities, as cancel-item and reject-items take it
(and the quantities fulfillment-order creation takes): checked before any lock is taken, every problem
named by its field path."""

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from orders.calculations.checks import as_decimal, fits_quantity
from orders.errors import FieldError, InvalidInput
from orders.selectors.summaries import parse_id


def checked_id(value: object) -> int:
    """An id of a request whose shape check (parse_id of every id) has passed: the row to write names it."""
    pk = parse_id(value)
    if pk is None:
        raise ValueError(f"{value!r} is not an id: the request's shape check should have refused it.")
    return pk


def quantity_errors(value: object, path: str) -> list[FieldError]:
    """A number of units to take: above zero, at most two decimals (fulfillment-order creation too)."""
    quantity = as_decimal(value)
    if quantity is None:
        return [FieldError("Must be a number.", path)]
    if quantity <= 0:
        return [FieldError("Must be greater than zero.", path)]
    if not fits_quantity(quantity):
        return [FieldError("At most 2 decimal places.", path)]
    return []


class LineEntry(Protocol):
    """What check_line_list reads of an entry (a typed input of cancel-item, reject-items, ...)."""

    @property
    def fulfillment_order_line_item_id(self) -> object: ...

    @property
    def quantity(self) -> object: ...


EntryT = TypeVar("EntryT", bound=LineEntry)


def check_line_list(
    lines: Sequence[EntryT],
    field: str,
    *,
    each: Callable[[EntryT, str], list[FieldError]] | None = None,
) -> None:
    """At least one entry; each a line id and a quantity above zero with at most two decimals, plus what
    `each(entry, path)` finds. Entries carry `fulfillment_order_line_item_id` and `quantity`."""
    errors = []
    if not lines:
        errors.append(FieldError("Give at least one line.", field))
    for index, entry in enumerate(lines):
        path = f"{field}[{index}]"
        if parse_id(entry.fulfillment_order_line_item_id) is None:
            errors.append(FieldError("Not a line id.", f"{path}.fulfillmentOrderLineItemId"))
        errors.extend(quantity_errors(entry.quantity, f"{path}.quantity"))
        if each is not None:
            errors.extend(each(entry, path))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
