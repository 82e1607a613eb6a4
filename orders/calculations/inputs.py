"""What a caller asks for: plain values the API serializers and the console build alike."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class FeeAmountType:
    AMOUNT_WITHOUT_TAX = "AmountWithoutTax"
    AMOUNT_WITH_TAX = "AmountWithTax"
    PERCENTAGE = "Percentage"
    PERCENTAGE_GROSS = "PercentageGross"
    ALL = (AMOUNT_WITHOUT_TAX, AMOUNT_WITH_TAX, PERCENTAGE, PERCENTAGE_GROSS)


class AdjustmentType:
    AMOUNT_WITHOUT_TAX = "AmountWithoutTax"
    AMOUNT_WITH_TAX = "AmountWithTax"
    PERCENTAGE = "Percentage"
    ALL = (AMOUNT_WITHOUT_TAX, AMOUNT_WITH_TAX, PERCENTAGE)


class AllocatedItemsChangeOrderType:
    DISALLOWED = "Disallowed"
    IN_FULFILLMENT = "InFulfillment"
    PRE_FULFILLMENT = "PreFulfillment"
    ALL = (DISALLOWED, IN_FULFILLMENT, PRE_FULFILLMENT)


@dataclass(frozen=True)
class FeeInput:
    amount: Decimal
    amount_type: str
    description: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ChangeItemInput:
    """One entry of `changeItems` for a cancel or a simple return."""

    order_item_summary_id: int | str
    quantity: Decimal
    reason: str
    shipping_reduction: bool = False
    reason_text: str = ""
    fees: tuple[FeeInput, ...] = ()


@dataclass(frozen=True)
class AdjustItemInput:
    order_item_summary_id: int | str
    adjustment_type: str
    amount: Decimal
    reason: str
    description: str = ""


@dataclass(frozen=True)
class AdjustInput:
    items: tuple[AdjustItemInput, ...]
    allocated_items_change_order_type: str = AllocatedItemsChangeOrderType.DISALLOWED


@dataclass(frozen=True)
class CancelOrderInput:
    """A whole-order cancel: everything still cancelable, for one reason."""

    reason: str
    reason_text: str = ""
