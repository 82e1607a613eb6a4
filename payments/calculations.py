"""Pure money math of billing documents: line amounts from their sources, and document totals."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from orders.money import ZERO, with_tax

if TYPE_CHECKING:  # pure arithmetic: the models only name what the functions read
    from orders.models import FulfillmentOrderLineItem, OrderItem


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    charge_amount: Decimal
    adjustment_amount: Decimal
    tax_amount: Decimal

    @property
    def total_amount(self) -> Decimal:
        return self.charge_amount + self.adjustment_amount

    def total_with_tax(self, tax_locale_type: str) -> Decimal:
        return with_tax(self.total_amount, self.tax_amount, tax_locale_type)

    def plus(self, other: "LineAmounts") -> "LineAmounts":
        """These amounts with another's added (the quantity stays: a change of price bills no units)."""
        return LineAmounts(
            self.quantity,
            self.charge_amount + other.charge_amount,
            self.adjustment_amount + other.adjustment_amount,
            self.tax_amount + other.tax_amount,
        )

    def negated(self) -> "LineAmounts":
        """A change order's reduction as a credit: the negative deltas turned positive."""
        return LineAmounts(-self.quantity, -self.charge_amount, -self.adjustment_amount, -self.tax_amount)


def change_item_amounts(item: "OrderItem") -> LineAmounts:
    """A change order item's signed deltas (orders.OrderItem)."""
    return LineAmounts(
        quantity=item.quantity,
        charge_amount=item.line_amount,
        adjustment_amount=item.adjustment_amount,
        tax_amount=item.line_tax_amount + item.adjustment_tax_amount,
    )


def fulfillment_line_amounts(line: "FulfillmentOrderLineItem") -> LineAmounts:
    """A fulfillment order line's frozen amounts (§3.4)."""
    return LineAmounts(
        quantity=line.quantity,
        charge_amount=line.total_line_amount,
        adjustment_amount=line.total_adjustment_amount,
        tax_amount=line.total_line_tax_amount + line.total_adjustment_tax_amount,
    )


def document_totals(lines: Iterable[LineAmounts], tax_locale_type: str) -> dict[str, Decimal]:
    """Totals of a document, keyed by the DocumentTotals field names; the balance starts at the total."""
    charge = adjustment = tax = ZERO
    for line in lines:
        charge += line.charge_amount
        adjustment += line.adjustment_amount
        tax += line.tax_amount
    total = charge + adjustment
    with_tax_total = with_tax(total, tax, tax_locale_type)
    return {
        "total_charge_amount": charge,
        "total_adjustment_amount": adjustment,
        "total_amount": total,
        "total_tax_amount": tax,
        "total_amount_with_tax": with_tax_total,
        "balance": with_tax_total,
    }
