"""The funds position of DOMAIN.md §3.6, as the orders app sees it.

Captured and refunded money lives in the payments app, which orders must not import; the
payments app provides the calculation through the payments link (orders/payments_link.py), with
`funds_annotations()`: expressions over an OrderSummary queryset's rows giving the sums the position is made
of, so a caller that reads the summary (or another row of it) anyway gets them in the same query.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from orders.money import ZERO

if TYPE_CHECKING:
    from orders.payments_link import PaymentsLink


@dataclass(frozen=True)
class FundsPosition:
    net_captured: Decimal
    outstanding_credit: Decimal
    total_excess_funds_amount: Decimal
    total_refundable_amount: Decimal


def funds_annotations(summary_ref=None) -> dict:
    """name → expression over the rows of an OrderSummary queryset, or of a queryset of its children with
    `summary_ref` = OuterRef("order_summary_id"); read back with `funds_sums`."""
    return _payments().funds_annotations(summary_ref)


def funds_sums(row: dict | object, annotations: dict) -> tuple:
    """The values of `annotations` from an annotated summary (attributes) or a `.values()` row."""
    if isinstance(row, dict):
        return tuple(row[name] for name in annotations)
    return tuple(getattr(row, name) for name in annotations)


def funds_position(
    summary,
    *,
    grand_total_reduction: Decimal = ZERO,
    added_outstanding_credit: Decimal = ZERO,
    sums: tuple | None = None,
) -> FundsPosition:
    """The position now, or after a change that reduces the grand total by `grand_total_reduction`
    and (for a return or post-fulfillment discount) adds `added_outstanding_credit` owed back.

    `sums` are the values of `funds_annotations()` read with the summary, when the caller has them;
    without them the provider reads them (one query)."""
    return _payments().funds_position(
        summary,
        grand_total_reduction=grand_total_reduction,
        added_outstanding_credit=added_outstanding_credit,
        sums=sums,
    )


def _payments() -> PaymentsLink:
    # Imported here: orders.payments_link names FundsPosition (above) in its protocol.
    from orders.payments_link import payments_link

    return payments_link()
