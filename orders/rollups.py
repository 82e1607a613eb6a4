"""Roll-ups of item summaries into delivery group and order summary totals (DOMAIN.md §1)."""

from collections.abc import Iterable
from decimal import Decimal

from orders.models import ROLLUP_TYPES
from orders.money import ZERO, with_tax

ROLLUP_FIELDS = (
    "total_product_amount",
    "total_adjusted_product_amount",
    "total_adjusted_product_tax_amount",
    "total_delivery_amount",
    "total_adjusted_delivery_amount",
    "total_adjusted_delivery_tax_amount",
    "total_fee_amount",
    "total_adjusted_fee_amount",
    "total_adjusted_fee_tax_amount",
    "total_amount",
    "total_tax_amount",
    "grand_total_amount",
)


def compute_rollups(item_summaries: Iterable, tax_locale_type: str) -> dict[str, Decimal]:
    """Totals over the given item summaries, keyed by RollupTotals field name.

    Item amounts are already rounded to the currency, so sums need no further rounding.
    """
    totals = dict.fromkeys(ROLLUP_FIELDS, ZERO)
    for ois in item_summaries:
        kind = ROLLUP_TYPES[ois.type]
        totals[f"total_{kind}_amount"] += ois.total_line_amount
        totals[f"total_adjusted_{kind}_amount"] += ois.total_price
        totals[f"total_adjusted_{kind}_tax_amount"] += ois.total_tax_amount
        totals["total_amount"] += ois.total_price
        totals["total_tax_amount"] += ois.total_tax_amount
    totals["grand_total_amount"] = with_tax(totals["total_amount"], totals["total_tax_amount"], tax_locale_type)
    return totals
