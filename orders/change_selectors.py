"""Read what a change (cancel, return, adjust) needs: the summary, its items, and their proration basis."""

from collections import defaultdict
from decimal import Decimal

from orders.calculations.state import Amounts, ItemState, Quantities, SummaryState
from orders.errors import NotFound
from orders.models import ChangeType, ItemType, OrderItem, OrderItemSummary, OrderKind, OrderSummary, ReasonCode
from orders.money import ZERO
from orders.selectors import parse_id

_REDUCTIONS = (ChangeType.CANCEL, ChangeType.RETURN)


def get_summary(summary_id, *, lock: bool = False) -> OrderSummary:
    """The summary, row-locked when `lock` (inside the caller's transaction); NotFound otherwise."""
    queryset = OrderSummary.objects.select_for_update() if lock else OrderSummary.objects.all()
    pk = parse_id(summary_id)
    summary = queryset.filter(pk=pk).first() if pk is not None else None
    if summary is None:
        raise NotFound(f"No order summary {summary_id}.")
    return summary


def get_item_summaries(summary: OrderSummary, *, lock: bool = False) -> list[OrderItemSummary]:
    """Every item summary of the summary, ordered by id: the fixed lock order after the summary."""
    queryset = OrderItemSummary.objects.filter(order_summary=summary).order_by("id")
    return list(queryset.select_for_update() if lock else queryset)


def active_reason_codes() -> frozenset[str]:
    return frozenset(ReasonCode.objects.filter(is_active=True).values_list("name", flat=True))


def _proration_bases(summary: OrderSummary) -> dict[int, tuple[Amounts, Decimal]]:
    """Per product item: the amounts it had and the units it held before the cancels and returns made
    since its price last changed, undone from the change order items (one query)."""
    rows = (
        OrderItem.objects.filter(
            order__kind=OrderKind.CHANGE,
            order__order_summary=summary,
            order_item_summary__type=ItemType.PRODUCT,
        )
        .order_by("id")
        .values_list(
            "order_item_summary_id",
            "order__change_type",
            "quantity",
            "line_amount",
            "line_tax_amount",
            "adjustment_amount",
            "adjustment_tax_amount",
        )
    )
    since: dict[int, list[tuple[Decimal, Amounts]]] = defaultdict(list)
    for item_id, change_type, quantity, *amounts in rows:
        if change_type in _REDUCTIONS:
            since[item_id].append((quantity, Amounts(*amounts)))
        elif change_type == ChangeType.ADJUST:
            since[item_id].clear()
    bases = {}
    for item_id, changes in since.items():
        if changes:
            removed_units = -sum((quantity for quantity, _ in changes), ZERO)
            removed = Amounts()
            for _, delta in changes:
                removed = removed - delta
            bases[item_id] = (removed, removed_units)
    return bases


def change_state(summary: OrderSummary, items: list[OrderItemSummary]) -> SummaryState:
    """The frozen state the change calculations read."""
    bases = _proration_bases(summary)
    states = []
    for ois in items:
        amounts = Amounts(
            ois.total_line_amount, ois.total_line_tax_amount, ois.total_adjustment_amount,
            ois.total_adjustment_tax_amount,
        )
        quantities = Quantities(
            ordered=ois.quantity_ordered,
            canceled=ois.quantity_canceled,
            allocated=ois.quantity_allocated,
            fulfilled=ois.quantity_fulfilled,
            return_initiated=ois.quantity_return_initiated,
            returned=ois.quantity_returned,
        )
        basis_amounts = basis_quantity = None
        if ois.pk in bases:
            removed, removed_units = bases[ois.pk]
            basis_amounts, basis_quantity = amounts + removed, quantities.quantity + removed_units
        states.append(
            ItemState(
                id=ois.pk,
                type=ois.type,
                group_id=ois.delivery_group_summary_id,
                unit_price=ois.unit_price,
                quantities=quantities,
                amounts=amounts,
                tax_rate=ois.tax_rate,
                name=ois.name,
                basis_amounts=basis_amounts,
                basis_quantity=basis_quantity,
            )
        )
    return SummaryState(
        currency=summary.currency,
        tax_locale_type=summary.tax_locale_type,
        items=tuple(states),
        is_managed=summary.is_managed,
    )
