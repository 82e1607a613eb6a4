"""The funds position of DOMAIN.md §3.6, as the orders app sees it.

Captured and refunded money lives in the payments app, which orders must not import; the
payments app provides the calculation and a setting names it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from orders.money import ZERO


@dataclass(frozen=True)
class FundsPosition:
    net_captured: Decimal
    outstanding_credit: Decimal
    total_excess_funds_amount: Decimal
    total_refundable_amount: Decimal


def funds_position(summary, *, grand_total_reduction: Decimal = ZERO,
                   added_outstanding_credit: Decimal = ZERO) -> FundsPosition:
    """The position now, or after a change that reduces the grand total by `grand_total_reduction`
    and (for a return or post-fulfillment discount) adds `added_outstanding_credit` owed back."""
    provider = import_string(settings.OMS_FUNDS_POSITION_PROVIDER)
    return provider(
        summary, grand_total_reduction=grand_total_reduction, added_outstanding_credit=added_outstanding_credit
    )
