"""What an exchange moves (issue 15): pure, shared by preview and submit.

The returned units are a return like any other (orders.calculations.reductions.plan_return), worth the
return's grand total V (changeBalances.grandTotalAmount). The replacement is an order like any other,
worth its grand total P. Of V, only what the original summary can actually give back counts (its
refundable amount after the return, R ≥ V once the shipped units were paid); that credit pays the
replacement first:

    credit = min(V, R)      moved = min(P, credit)
    amountToCharge = P − moved      (authorized on the original card, captured when the replacement ships)
    amountToRefund = credit − moved (left on the original's credit memo, refunded to the original card)

Same size for the same price: P = V, nothing charged, nothing refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orders.money import ZERO, round_money

from .inputs import ChangeItemInput


@dataclass(frozen=True)
class ReplacementTaxInput:
    name: str
    amount: Decimal
    rate: Decimal | None = None


@dataclass(frozen=True)
class ReplacementInput:
    stock_keeping_unit: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    taxes: tuple[ReplacementTaxInput, ...] = ()


@dataclass(frozen=True)
class ExchangeItemInput:
    order_item_summary_id: int | str
    quantity: Decimal
    reason: str
    replacement: ReplacementInput
    reason_text: str = ""


@dataclass(frozen=True)
class ExchangeInput:
    items: tuple[ExchangeItemInput, ...]
    hold_replacement_until_returned: bool = False
    # With hold_replacement_until_returned: where the return order's units go back (None: the first inventory
    # location by name, as the console's return-order wizard offers first).
    return_location_id: int | str | None = None


@dataclass(frozen=True)
class ExchangeAmounts:
    returned_value: Decimal
    replacement_total: Decimal
    transferred: Decimal
    to_charge: Decimal
    to_refund: Decimal


def return_items(request: ExchangeInput) -> list[ChangeItemInput]:
    """The returned units as change items: no shipping reduction (the replacement ships free)."""
    return [
        ChangeItemInput(
            order_item_summary_id=item.order_item_summary_id,
            quantity=item.quantity,
            reason=item.reason,
            reason_text=item.reason_text,
        )
        for item in request.items
    ]


def exchange_amounts(
    returned_value: Decimal, refundable: Decimal, replacement_total: Decimal, currency: str
) -> ExchangeAmounts:
    """The money of the exchange from the return's grand total, the original's refundable amount after
    the return, and the replacement's grand total (all rounded to the currency already)."""
    returned_value = round_money(returned_value, currency)
    replacement_total = round_money(replacement_total, currency)
    credit = max(ZERO, min(returned_value, round_money(refundable, currency)))
    moved = min(replacement_total, credit)
    return ExchangeAmounts(
        returned_value=returned_value,
        replacement_total=replacement_total,
        transferred=moved,
        to_charge=replacement_total - moved,
        to_refund=credit - moved,
    )
