"""What a change will do, computed before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from orders.money import ZERO, with_tax

from .state import Amounts, Quantities

# The same values as orders.models.ChangeType / FulfillmentPhase / ItemChangeType; repeated
# here so the calculations never import the ORM.
CANCEL = "Cancel"
RETURN = "Return"
ADJUST = "Adjust"
PHASE_PRE = "Pre"
PHASE_IN = "In"
PHASE_POST = "Post"
PRODUCT_ADJUSTMENT = "ProductAdjustment"
DELIVERY_CHARGE_ADJUSTMENT = "DeliveryChargeAdjustment"


@dataclass(frozen=True)
class ItemChange:
    """One change order item: signed deltas for one item summary."""

    item_id: int
    change_type: str
    quantities: Quantities  # added to the item summary's quantity fields
    quantity: Decimal  # signed quantity on the change order item (−q for a cancel of q)
    amounts: Amounts  # signed deltas of the four money fields
    reason: str
    reason_text: str
    is_pre_fulfillment: bool


@dataclass(frozen=True)
class ChangeOrderPlan:
    change_type: str
    fulfillment_phase: str
    reason: str
    changes: tuple[ItemChange, ...]

    @property
    def totals(self) -> Amounts:
        total = Amounts()
        for change in self.changes:
            total = total + change.amounts
        return total

    @property
    def is_post_fulfillment_reduction(self) -> bool:
        return self.change_type == RETURN or (self.change_type == ADJUST and self.fulfillment_phase == PHASE_POST)


@dataclass(frozen=True)
class FeeCharge:
    """A fee that comes with a changed item; it becomes a new Fee item summary in that item's group."""

    source_item_id: int
    group_id: int
    description: str
    reason: str
    amounts: Amounts  # positive line amount and line tax
    tax_rate: Decimal | None


@dataclass(frozen=True)
class ChangeBalances:
    """DOMAIN.md §3.3: each figure is the positive reduction of the summary field of that name;
    fees are reported as what they add. Funds figures are filled in by the service."""

    total_adjusted_product_amount: Decimal = ZERO
    total_adjusted_product_tax_amount: Decimal = ZERO
    total_adj_product_amt_with_tax: Decimal = ZERO
    total_adjusted_delivery_amount: Decimal = ZERO
    total_adjusted_delivery_tax_amount: Decimal = ZERO
    total_adj_delivery_amt_with_tax: Decimal = ZERO
    total_amount: Decimal = ZERO
    total_tax_amount: Decimal = ZERO
    grand_total_amount: Decimal = ZERO
    total_fee_amount: Decimal = ZERO
    total_fee_tax_amount: Decimal = ZERO
    total_excess_funds_amount: Decimal = ZERO
    total_refundable_amount: Decimal = ZERO

    def with_funds(self, excess: Decimal, refundable: Decimal) -> ChangeBalances:
        return replace(self, total_excess_funds_amount=excess, total_refundable_amount=refundable)


@dataclass(frozen=True)
class FulfillmentLineCancel:
    """Units a change takes off a fulfillment-order line.

    `returned_to_group`: a delivery charge whose fulfillment order has no product left goes back to its
    delivery group (not canceled): onto `moved_to_fulfillment_order_id`, the group's next open fulfillment
    order, or (None) it waits for the group's next new fulfillment order."""

    line_id: int
    fulfillment_order_id: int
    fulfillment_order_number: str
    item_id: int
    quantity: Decimal
    returned_to_group: bool = False
    moved_to_fulfillment_order_id: int | None = None


@dataclass(frozen=True)
class FulfillmentEffects:
    line_cancels: tuple[FulfillmentLineCancel, ...] = ()
    # Fulfillment orders left with no product unit: they become Cancelled.
    canceled_orders: tuple[int, ...] = ()


@dataclass(frozen=True)
class ChangePlan:
    change_orders: tuple[ChangeOrderPlan, ...]
    fees: tuple[FeeCharge, ...]
    balances: ChangeBalances
    # What the funds position needs (§3.6): the grand total goes down by the reduction (fees are
    # reported apart and taken once, when their invoice is paid), and returns and post-fulfillment
    # discounts are owed back as credit.
    grand_total_reduction: Decimal
    added_outstanding_credit: Decimal
    fulfillment: FulfillmentEffects = FulfillmentEffects()
    # Delivery charges canceled because the last product of their delivery group went.
    charges_canceled_with_last_product: tuple[int, ...] = ()


def grand_total(amounts: Amounts, tax_locale_type: str) -> Decimal:
    return with_tax(amounts.price, amounts.tax, tax_locale_type)
