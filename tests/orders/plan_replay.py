"""Replay a change plan on a state: the state after the plan, item deltas added and fee items appended.

The product never needs this (the submit writes the plan's deltas to the database, orders.services.change_flow);
the calculation tests do, to chain plans and compare one change with several (moved here from
orders/calculations/plan.py, issue 18 point 5)."""

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from itertools import count

from orders.calculations.plan import DELIVERY_CHARGE_ADJUSTMENT, PRODUCT_ADJUSTMENT, ChangePlan
from orders.calculations.state import FEE, Amounts, ItemState, Quantities, SummaryState


def apply_plan(state: SummaryState, plan: ChangePlan, fee_ids: Iterator[int] | None = None) -> SummaryState:
    """The state after the plan: item deltas added, fee items appended (with ids from `fee_ids`)."""
    quantities: dict[int, Quantities] = {}
    amounts: dict[int, Amounts] = {}
    repriced: set[int] = set()
    for change_order in plan.change_orders:
        for change in change_order.changes:
            quantities[change.item_id] = quantities.get(change.item_id, Quantities()) + change.quantities
            amounts[change.item_id] = amounts.get(change.item_id, Amounts()) + change.amounts
            if change.change_type in (PRODUCT_ADJUSTMENT, DELIVERY_CHARGE_ADJUSTMENT):
                repriced.add(change.item_id)
    items = [_changed(item, quantities, amounts, repriced) if item.id in quantities else item for item in state.items]
    if plan.fees:
        ids = fee_ids if fee_ids is not None else count(max((item.id for item in state.items), default=0) + 1)
        for fee in plan.fees:
            items.append(
                ItemState(
                    id=next(ids),
                    type=FEE,
                    group_id=fee.group_id,
                    unit_price=fee.amounts.line,
                    quantities=Quantities(ordered=Decimal(1)),
                    amounts=fee.amounts,
                    tax_rate=fee.tax_rate,
                    name=fee.description,
                )
            )
    return state.with_items(tuple(items))


def _changed(
    item: ItemState, quantities: dict[int, Quantities], amounts: dict[int, Amounts], repriced: set[int]
) -> ItemState:
    new_quantities = item.quantities + quantities[item.id]
    basis_amounts, basis_quantity = item.basis_amounts, item.basis_quantity
    if item.id in repriced:
        # A new price: later reductions count from the state after it.
        basis_amounts = basis_quantity = None
    elif new_quantities.quantity != item.quantity and basis_amounts is None:
        basis_amounts, basis_quantity = item.amounts, item.quantity
    return replace(
        item,
        quantities=new_quantities,
        amounts=item.amounts + amounts[item.id],
        basis_amounts=basis_amounts,
        basis_quantity=basis_quantity,
    )
