"""Test helpers for change orders: pure item states for the calculations, and DB shortcuts."""

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import strategies as st

from orders.calculations.inputs import AdjustInput, AdjustItemInput, ChangeItemInput, FeeInput
from orders.calculations.state import (
    DELIVERY_CHARGE,
    PRODUCT,
    Amounts,
    ItemState,
    Quantities,
    SummaryState,
)
from orders.money import round_money

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
            pure_item(3, 1, "10.00", item_type=DELIVERY_CHARGE, allocated=charge_fulfilled, fulfilled=charge_fulfilled),
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


# --- Random orders and change sequences (Hypothesis), shared by the pure and the database tests ---


RATES = ("0", "5", "8", "8.875", "20")


@dataclass(frozen=True)
class LineSpec:
    quantity: int
    unit_price: Decimal
    rate: Decimal
    discount: Decimal  # ≤ 0, on the whole line
    allocated: int
    fulfilled: int

    @property
    def line(self) -> Decimal:
        return self.quantity * self.unit_price

    @property
    def line_tax(self) -> Decimal:
        return round_money(self.line * self.rate / 100, "USD")

    @property
    def discount_tax(self) -> Decimal:
        return round_money(self.discount * self.rate / 100, "USD")


@dataclass(frozen=True)
class GroupSpec:
    lines: tuple[LineSpec, ...]
    delivery: Decimal
    delivery_rate: Decimal

    @property
    def delivery_tax(self) -> Decimal:
        return round_money(self.delivery * self.delivery_rate / 100, "USD")


cents = st.integers(min_value=1, max_value=30000).map(lambda c: D(c) / 100)


@st.composite
def line_specs(draw):
    quantity = draw(st.integers(min_value=1, max_value=6))
    unit_price = draw(cents)
    line = quantity * unit_price
    discount = -D(draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=int(line * 100))))) / 100
    allocated = draw(st.integers(min_value=0, max_value=quantity))
    fulfilled = draw(st.integers(min_value=0, max_value=allocated))
    return LineSpec(quantity, unit_price, D(draw(st.sampled_from(RATES))), discount, allocated, fulfilled)


@st.composite
def order_specs(draw, max_groups=2, max_lines=3):
    groups = []
    for _ in range(draw(st.integers(min_value=1, max_value=max_groups))):
        lines = tuple(draw(st.lists(line_specs(), min_size=1, max_size=max_lines)))
        delivery = D(draw(st.integers(min_value=0, max_value=2500))) / 100
        groups.append(GroupSpec(lines, delivery, D(draw(st.sampled_from(RATES)))))
    return tuple(groups)


def spec_state(spec) -> SummaryState:
    """The pure state of an order spec: products then the delivery charge of each group, ids from 1."""
    items = []
    for group_id, group in enumerate(spec, start=1):
        for line in group.lines:
            items.append(
                ItemState(
                    id=len(items) + 1,
                    type=PRODUCT,
                    group_id=group_id,
                    unit_price=line.unit_price,
                    quantities=Quantities(
                        ordered=D(line.quantity), allocated=D(line.allocated), fulfilled=D(line.fulfilled)
                    ),
                    amounts=Amounts(line.line, line.line_tax, line.discount, line.discount_tax),
                    tax_rate=line.rate,
                )
            )
        if group.delivery:
            items.append(
                ItemState(
                    id=len(items) + 1,
                    type=DELIVERY_CHARGE,
                    group_id=group_id,
                    unit_price=group.delivery,
                    quantities=Quantities(ordered=D(1)),
                    amounts=Amounts(group.delivery, group.delivery_tax),
                    tax_rate=group.delivery_rate,
                )
            )
    return SummaryState("USD", "Net", tuple(items))


REASON_CHOICES = ("Unknown", "Damaged", "Customer Changed Mind", "Price Match")


@st.composite
def change_actions(draw, state: SummaryState):
    """One random cancel, return or adjust that the state allows, or None when nothing is possible.

    ("cancel" | "return", [ChangeItemInput]) or ("adjust", AdjustInput); ids are the state's ids.
    """
    kinds = []
    if any(i.is_product and i.quantities.available_to_cancel > 0 for i in state.items):
        kinds.append("cancel")
    if any(i.is_product and i.quantities.available_to_return > 0 for i in state.items):
        kinds.append("return")
    if any(i.type in (PRODUCT, DELIVERY_CHARGE) and i.quantity > 0 and i.amounts.price > 0 for i in state.items):
        kinds.append("adjust")
    if not kinds:
        return None
    kind = draw(st.sampled_from(kinds))
    if kind == "adjust":
        candidates = [
            i for i in state.items if i.type in (PRODUCT, DELIVERY_CHARGE) and i.quantity > 0 and i.amounts.price > 0
        ]
        item = draw(st.sampled_from(candidates))
        adjustment_type = draw(st.sampled_from(("AmountWithoutTax", "AmountWithTax", "Percentage")))
        if adjustment_type == "Percentage":
            amount = -D(draw(st.integers(min_value=1, max_value=10000))) / 100
        else:
            cap = max(1, int(item.amounts.price * 100) // 2)
            amount = -D(draw(st.integers(min_value=1, max_value=cap))) / 100
        mode = draw(st.sampled_from(("Disallowed", "InFulfillment", "PreFulfillment")))
        reason = draw(st.sampled_from(REASON_CHOICES))
        return "adjust", AdjustInput((AdjustItemInput(item.id, adjustment_type, amount, reason, "random"),), mode)

    def room(i):
        return i.quantities.available_to_cancel if kind == "cancel" else i.quantities.available_to_return

    candidates = [i for i in state.items if i.is_product and room(i) > 0]
    chosen = draw(
        st.lists(st.sampled_from(candidates), min_size=1, max_size=min(3, len(candidates)), unique_by=lambda i: i.id)
    )
    items = []
    for item in chosen:
        quantity = D(draw(st.integers(min_value=1, max_value=int(room(item)))))
        fees = ()
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            fee_type = draw(st.sampled_from(("AmountWithoutTax", "AmountWithTax", "Percentage", "PercentageGross")))
            amount = D(draw(st.integers(min_value=1, max_value=2000))) / 100
            fees = (fee(amount, fee_type),)
        items.append(
            change(
                item.id, quantity, reason=draw(st.sampled_from(REASON_CHOICES)), shipping=draw(st.booleans()), fees=fees
            )
        )
    return kind, items


# --- Database helpers ---


def rebuild(ois) -> dict:
    """An item summary's current figures rebuilt from its order items: the original item (or the fee
    item that started it) plus every change order item naming it, each amount also summed from the
    adjustment and tax lines."""
    from orders.models import OrderItem

    items = OrderItem.objects.filter(pk=ois.original_order_item_id) | OrderItem.objects.filter(order_item_summary=ois)
    items = list(items.distinct().prefetch_related("tax_lines", "adjustment_lines"))
    total = {"quantity": D(0), "line": D(0), "line_tax": D(0), "adjustment": D(0), "adjustment_tax": D(0)}
    lines = {"line_tax": D(0), "adjustment": D(0), "adjustment_tax": D(0)}
    for item in items:
        total["quantity"] += item.quantity
        total["line"] += item.line_amount
        total["line_tax"] += item.line_tax_amount
        total["adjustment"] += item.adjustment_amount
        total["adjustment_tax"] += item.adjustment_tax_amount
        for tax in item.tax_lines.all():
            lines["adjustment_tax" if tax.adjustment_line_id else "line_tax"] += tax.amount
        lines["adjustment"] += sum((line.amount for line in item.adjustment_lines.all()), D(0))
    for name, value in lines.items():
        assert value == total[name], f"{name}: lines {value} != items {total[name]} for {ois}"
    return total


def current(ois) -> dict:
    return {
        "quantity": ois.quantity,
        "line": ois.total_line_amount,
        "line_tax": ois.total_line_tax_amount,
        "adjustment": ois.total_adjustment_amount,
        "adjustment_tax": ois.total_adjustment_tax_amount,
    }


def assert_rebuilds(summary) -> None:
    """Every item summary equals original + Σ deltas, and no amount has the wrong sign."""
    for ois in summary.item_summaries.all():
        assert rebuild(ois) == current(ois), ois
        assert ois.total_line_amount >= 0 and ois.total_line_tax_amount >= 0
        assert ois.total_adjustment_amount <= 0 and ois.total_adjustment_tax_amount <= 0
        assert ois.total_price >= 0 and ois.total_tax_amount >= 0
