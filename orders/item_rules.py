"""What may be done with an item summary: canceled, returned, exchanged, reshipped, adjusted (issue 18 point 3).

One home for the rules that the calculation (orders.calculations.reductions / adjust), the console's wizard
forms and the console's order page each used to write out on their own. Pure: it reads an item's type and the
quantities the summary derives (DOMAIN.md §1), so it serves an OrderItemSummary and the order page's item rows
alike (`ItemFigures`); the calculation, the return-order service and the reship service check a request's
items against the same type sets. Whether a given request is allowed stays the service's answer (how many
units, which fulfillment orders, the reason codes); these rules say which items an interface offers and
which item types a request may name.
"""

from decimal import Decimal
from typing import Protocol

from orders.calculations.state import DELIVERY_CHARGE, PRODUCT

# Which item types each action may name (DOMAIN.md §2, §3.3): fees are never changed by an agent; a delivery
# charge goes with its products when they are canceled, and may be canceled or discounted on its own.
CANCELABLE_TYPES = (PRODUCT, DELIVERY_CHARGE)
RETURNABLE_TYPES = (PRODUCT,)
EXCHANGEABLE_TYPES = RETURNABLE_TYPES  # an exchange returns units first
RESHIPPABLE_TYPES = (PRODUCT,)
ADJUSTABLE_TYPES = (PRODUCT, DELIVERY_CHARGE)


class ItemFigures(Protocol):
    """What the rules read of an item: OrderItemSummary and the order page's item rows have these."""

    type: str

    @property
    def quantity(self) -> Decimal: ...

    @property
    def quantity_available_to_cancel(self) -> Decimal: ...

    @property
    def quantity_available_to_return(self) -> Decimal: ...

    @property
    def quantity_available_to_reship(self) -> Decimal: ...

    @property
    def total_price(self) -> Decimal: ...


def may_cancel(item: ItemFigures) -> bool:
    """Units not yet allocated to a fulfillment order (those on one not yet picked are the calculation's
    to count, with the fulfillment lines: orders.calculations.reductions.cancelable_units)."""
    return item.type in CANCELABLE_TYPES and item.quantity_available_to_cancel > 0


def may_return(item: ItemFigures) -> bool:
    """Shipped units not already being returned."""
    return item.type in RETURNABLE_TYPES and item.quantity_available_to_return > 0


def may_exchange(item: ItemFigures) -> bool:
    """An exchange returns the units it replaces, so it offers what a return does."""
    return item.type in EXCHANGEABLE_TYPES and item.quantity_available_to_return > 0


def may_reship(item: ItemFigures) -> bool:
    """Shipped units still with the customer and not reshipped already."""
    return item.type in RESHIPPABLE_TYPES and item.quantity_available_to_reship > 0


def may_adjust(item: ItemFigures) -> bool:
    """Units left with a price left to discount."""
    return item.type in ADJUSTABLE_TYPES and item.quantity > 0 and item.total_price > 0
