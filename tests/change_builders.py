"""Test helpers for change orders: pure item states for the calculations, and DB shortcuts."""

from decimal import Decimal

from orders.calculations.inputs import ChangeItemInput, FeeInput
from orders.calculations.state import (
    DELIVERY_CHARGE,
    PRODUCT,
    Amounts,
    ItemState,
    Quantities,
    SummaryState,
)

D = Decimal


def pure_item(
    item_id,
    quantity,
    unit_price,
    *,
    rate="8",
    line_tax=None,
    adjustment="0",
    adjustment_tax="0",
    item_type=PRODUCT,
    group=1,
    allocated="0",
    fulfilled="0",
    canceled="0",
    returned="0",
) -> ItemState:
    """An item summary value; line tax is line × rate rounded to cents unless given."""
    quantity, unit_price = D(str(quantity)), D(str(unit_price))
    line = quantity * unit_price
    tax = D(line_tax) if line_tax is not None else (line * D(rate) / 100).quantize(D("0.01"))
    return ItemState(
        id=item_id,
        type=item_type,
        group_id=group,
        unit_price=unit_price,
        quantities=Quantities(
            ordered=quantity,
            canceled=D(canceled),
            allocated=D(allocated),
            fulfilled=D(fulfilled),
            return_initiated=D(returned),
            returned=D(returned),
        ),
        amounts=Amounts(line, tax, D(adjustment), D(adjustment_tax)),
        tax_rate=D(rate) if rate is not None else None,
    )


def worked_example_state(*, a_fulfilled="0", b_fulfilled="0", charge_fulfilled="0") -> SummaryState:
    """DOMAIN.md §6: A (id 1) 2 × 40.00 tax 6.40, B (id 2) 1 × 20.00 tax 1.60, delivery (id 3)
    10.00 tax 0.80, one delivery group, USD, Net."""
    return SummaryState(
        currency="USD",
        tax_locale_type="Net",
        items=(
            pure_item(1, 2, "40.00", allocated=a_fulfilled, fulfilled=a_fulfilled),
            pure_item(2, 1, "20.00", allocated=b_fulfilled, fulfilled=b_fulfilled),
            pure_item(3, 1, "10.00", item_type=DELIVERY_CHARGE, allocated=charge_fulfilled,
                      fulfilled=charge_fulfilled),
        ),
    )


def change(item_id, quantity, *, reason="Customer Changed Mind", shipping=False, text="", fees=()):
    return ChangeItemInput(
        order_item_summary_id=item_id,
        quantity=D(str(quantity)),
        reason=reason,
        shipping_reduction=shipping,
        reason_text=text,
        fees=tuple(fees),
    )


def fee(amount, amount_type="AmountWithoutTax", description="Restocking fee", reason=""):
    return FeeInput(amount=D(str(amount)), amount_type=amount_type, description=description, reason=reason)
