"""The state of an order summary's items that the change calculations read, as frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from orders.money import ZERO

PRODUCT = "Order Product"
DELIVERY_CHARGE = "Delivery Charge"
FEE = "Fee"


@dataclass(frozen=True)
class Amounts:
    """The four current money fields of an item summary, or signed changes to them."""

    line: Decimal = ZERO
    line_tax: Decimal = ZERO
    adjustment: Decimal = ZERO
    adjustment_tax: Decimal = ZERO

    @property
    def price(self) -> Decimal:
        return self.line + self.adjustment

    @property
    def tax(self) -> Decimal:
        return self.line_tax + self.adjustment_tax

    @property
    def is_zero(self) -> bool:
        return not (self.line or self.line_tax or self.adjustment or self.adjustment_tax)

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.line + other.line,
            self.line_tax + other.line_tax,
            self.adjustment + other.adjustment,
            self.adjustment_tax + other.adjustment_tax,
        )

    def __neg__(self) -> Amounts:
        return Amounts(-self.line, -self.line_tax, -self.adjustment, -self.adjustment_tax)

    def __sub__(self, other: Amounts) -> Amounts:
        return self + (-other)


@dataclass(frozen=True)
class Quantities:
    ordered: Decimal = ZERO
    canceled: Decimal = ZERO
    allocated: Decimal = ZERO
    fulfilled: Decimal = ZERO
    return_initiated: Decimal = ZERO
    returned: Decimal = ZERO

    @property
    def quantity(self) -> Decimal:
        return self.ordered - self.canceled - self.returned

    @property
    def available_to_cancel(self) -> Decimal:
        return self.ordered - self.canceled - self.allocated

    available_to_fulfill = available_to_cancel

    @property
    def in_fulfillment(self) -> Decimal:
        return self.allocated - self.fulfilled

    @property
    def available_to_return(self) -> Decimal:
        return self.fulfilled - self.return_initiated

    def __add__(self, other: Quantities) -> Quantities:
        return Quantities(
            self.ordered + other.ordered,
            self.canceled + other.canceled,
            self.allocated + other.allocated,
            self.fulfilled + other.fulfilled,
            self.return_initiated + other.return_initiated,
            self.returned + other.returned,
        )


@dataclass(frozen=True)
class ItemState:
    """One order item summary: what a change may touch and what it is worth now."""

    id: int
    type: str
    group_id: int
    unit_price: Decimal
    quantities: Quantities
    amounts: Amounts
    # Sum of the line's tax rates in percent; None for a flat tax.
    tax_rate: Decimal | None = None
    name: str = ""
    # The amounts and Quantity when units last started to be taken away (after the last price
    # adjustment); None when no unit has gone since. Proration counts from here (see proration.py).
    basis_amounts: Amounts | None = None
    basis_quantity: Decimal | None = None

    @property
    def quantity(self) -> Decimal:
        return self.quantities.quantity

    @property
    def is_product(self) -> bool:
        return self.type == PRODUCT


# Fulfillment-order statuses whose units may still be canceled (before picking starts), least
# progressed first: the order in which a cancel takes units off fulfillment orders.
CANCELABLE_FULFILLMENT_STATUSES = ("Draft", "Allocated", "Assigned")


@dataclass(frozen=True)
class FulfillmentLineState:
    """One line of an open fulfillment order (not Fulfilled, Cancelled or Rejected)."""

    id: int
    fulfillment_order_id: int
    fulfillment_order_number: str
    status: str
    group_id: int
    item_id: int
    quantity: Decimal

    @property
    def is_cancelable(self) -> bool:
        return self.status in CANCELABLE_FULFILLMENT_STATUSES


@dataclass(frozen=True)
class SummaryState:
    currency: str
    tax_locale_type: str
    items: tuple[ItemState, ...]
    is_managed: bool = True
    # The lines of the summary's open fulfillment orders, when the change needs them (None: not read).
    fulfillment_lines: tuple[FulfillmentLineState, ...] | None = None
    _by_id: dict[int, ItemState] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {item.id: item for item in self.items})

    def item(self, item_id: int) -> ItemState | None:
        return self._by_id.get(item_id)

    def known_item(self, item_id: int) -> ItemState:
        """An item the calculation has already found (a KeyError if not: a bug, not an input problem)."""
        return self._by_id[item_id]

    def group_items(self, group_id: int, item_type: str) -> list[ItemState]:
        return [item for item in self.items if item.group_id == group_id and item.type == item_type]

    def with_items(self, items: tuple[ItemState, ...]) -> SummaryState:
        return replace(self, items=items)
