"""Price adjustment, discounts only (DOMAIN.md §3.5): validation and the change plan."""

from collections.abc import Collection
from decimal import Decimal

from orders.errors import InvalidState
from orders.item_rules import ADJUSTABLE_TYPES
from orders.money import HUNDRED, ZERO, round_money

from .balances import change_balances, funds_inputs
from .checks import MAX_FREE_TEXT, as_decimal, find_item, fits_currency
from .inputs import AdjustInput, AdjustItemInput, AdjustmentType, AllocatedItemsChangeOrderType
from .plan import (
    ADJUST,
    DELIVERY_CHARGE_ADJUSTMENT,
    PHASE_IN,
    PHASE_POST,
    PHASE_PRE,
    PRODUCT_ADJUSTMENT,
    ChangeOrderPlan,
    ChangePlan,
    ItemChange,
)
from .problems import Problems
from .proration import split_by_units
from .reductions import check_request_size
from .state import PRODUCT, Amounts, ItemState, Quantities, SummaryState
from .tax import from_amount_with_tax, from_amount_without_tax, item_rate, of_percentage

_PHASES = (PHASE_PRE, PHASE_IN, PHASE_POST)


def unit_groups(item: ItemState, mode: str) -> dict[str, Decimal]:
    """Units per change order phase: pre = available to fulfill, in = allocated − fulfilled,
    post = available to return; the mode decides which count and how they are grouped."""
    quantities = item.quantities
    pre, in_fulfillment = quantities.available_to_fulfill, quantities.in_fulfillment
    post = quantities.available_to_return
    if mode == AllocatedItemsChangeOrderType.DISALLOWED:
        return {PHASE_PRE: pre, PHASE_IN: ZERO, PHASE_POST: post}
    if mode == AllocatedItemsChangeOrderType.IN_FULFILLMENT:
        return {PHASE_PRE: pre, PHASE_IN: in_fulfillment, PHASE_POST: post}
    return {PHASE_PRE: pre + in_fulfillment, PHASE_IN: ZERO, PHASE_POST: post}


def discount(
    adjust: AdjustItemInput, item: ItemState, amount: Decimal, tax_locale_type: str, currency: str
) -> tuple[Decimal, Decimal]:
    """(stored amount, tax) of the whole discount on the item, both ≤ 0."""
    rate = item_rate(item, tax_locale_type)
    if adjust.adjustment_type == AdjustmentType.AMOUNT_WITHOUT_TAX:
        return from_amount_without_tax(amount, rate, tax_locale_type, currency)
    if adjust.adjustment_type == AdjustmentType.AMOUNT_WITH_TAX:
        return from_amount_with_tax(amount, rate, tax_locale_type, currency)
    return of_percentage(amount, item.amounts.price, item.amounts.tax, currency)


def _check_item(
    problems: Problems, state: SummaryState, adjust: AdjustItemInput, path: str, reason_codes: Collection[str]
) -> tuple[ItemState | None, Decimal | None]:
    item = find_item(state, adjust.order_item_summary_id)
    if item is None:
        problems.bad_input("No such item on this order summary.", f"{path}.orderItemSummaryId")
    elif item.type not in ADJUSTABLE_TYPES:
        problems.bad_input("Only products and delivery charges can be adjusted.", f"{path}.orderItemSummaryId")
    if adjust.adjustment_type not in AdjustmentType.ALL:
        problems.bad_input(f"Must be one of {', '.join(AdjustmentType.ALL)}.", f"{path}.adjustmentType")
    amount = as_decimal(adjust.amount)
    if amount is None:
        problems.bad_input("Must be a number.", f"{path}.amount")
    elif amount >= 0:
        problems.bad_input("Only discounts: the amount must be negative.", f"{path}.amount")
    elif adjust.adjustment_type == AdjustmentType.PERCENTAGE:
        if amount < -HUNDRED:
            problems.bad_input("A percentage discount may not exceed 100.", f"{path}.amount")
    elif not fits_currency(amount, state.currency):
        problems.bad_input(f"Has more decimal places than {state.currency} allows.", f"{path}.amount")
    if adjust.reason not in reason_codes:
        problems.bad_input(f"Unknown reason '{adjust.reason}'.", f"{path}.reason")
    if len(adjust.description or "") > MAX_FREE_TEXT:
        problems.bad_input(f"At most {MAX_FREE_TEXT} characters.", f"{path}.description")
    return item, amount


def plan_adjust(
    state: SummaryState, request: AdjustInput, *, reason_codes: Collection[str], max_items: int = 100
) -> ChangePlan:
    """One change order per phase with a non-zero amount, each discount spread per unit over the
    phases the mode includes, the last phase taking the rounding remainder."""
    if not state.is_managed:
        raise InvalidState("This order summary is unmanaged; it cannot be adjusted.")
    problems = Problems()
    mode = request.allocated_items_change_order_type or AllocatedItemsChangeOrderType.DISALLOWED
    if mode not in AllocatedItemsChangeOrderType.ALL:
        problems.bad_input(
            f"Must be one of {', '.join(AllocatedItemsChangeOrderType.ALL)}.", "allocatedItemsChangeOrderType"
        )
    check_request_size(problems, request.items, "adjustItems", max_items)
    problems.raise_if_any()

    checked: list[tuple[int, AdjustItemInput, ItemState, Decimal]] = []
    seen: set[int] = set()
    for index, adjust in enumerate(request.items):
        path = f"adjustItems[{index}]"
        item, amount = _check_item(problems, state, adjust, path, reason_codes)
        if item is not None:
            if item.id in seen:
                problems.bad_input("This item is already adjusted in this request.", f"{path}.orderItemSummaryId")
            seen.add(item.id)
        # An item not found or an amount not a number is an input problem: refused just below.
        if item is not None and amount is not None:
            checked.append((index, adjust, item, amount))
    problems.raise_if_any()

    per_phase: dict[str, list[ItemChange]] = {phase: [] for phase in _PHASES}
    for index, adjust, item, amount in checked:
        path = f"adjustItems[{index}]"
        groups = unit_groups(item, mode)
        units = sum(groups.values(), ZERO)
        if units == 0:
            if mode == AllocatedItemsChangeOrderType.DISALLOWED and item.quantities.in_fulfillment > 0:
                problems.bad_state(
                    "Every unit of this item is in fulfillment; allocatedItemsChangeOrderType Disallowed "
                    "excludes them.",
                    f"{path}.orderItemSummaryId",
                )
            else:
                problems.bad_state("No unit of this item can be adjusted.", f"{path}.orderItemSummaryId")
            continue
        stored, tax = discount(adjust, item, amount, state.tax_locale_type, state.currency)
        if stored == 0 and tax == 0:
            problems.bad_input("The discount rounds to nothing.", f"{path}.amount")
            continue
        # The price of the units the discount is spread over: the item's current price per unit.
        units_price = round_money(item.amounts.price * units / item.quantity, state.currency)
        if -stored > units_price:
            problems.bad_input(
                f"The discount {round_money(-stored, state.currency):f} {state.currency} exceeds the price "
                f"{units_price:f} {state.currency} of the units it is spread over.",
                f"{path}.amount",
            )
            continue
        if item.amounts.tax + tax < 0:
            problems.bad_input("The discount's tax exceeds the item's tax.", f"{path}.amount")
            continue
        phases = list(groups)
        counts = [groups[phase] for phase in phases]
        amount_shares = split_by_units(stored, counts, state.currency)
        tax_shares = split_by_units(tax, counts, state.currency)
        change_type = PRODUCT_ADJUSTMENT if item.type == PRODUCT else DELIVERY_CHARGE_ADJUSTMENT
        for phase, share, tax_share in zip(phases, amount_shares, tax_shares, strict=True):
            if not share and not tax_share:
                continue
            per_phase[phase].append(
                ItemChange(
                    item_id=item.id,
                    change_type=change_type,
                    quantities=Quantities(),
                    quantity=ZERO,
                    amounts=Amounts(adjustment=share, adjustment_tax=tax_share),
                    reason=adjust.reason,
                    reason_text=adjust.description or "",
                    is_pre_fulfillment=phase != PHASE_POST,
                )
            )
    problems.raise_if_any()

    change_orders = tuple(
        ChangeOrderPlan(change_type=ADJUST, fulfillment_phase=phase, reason=changes[0].reason, changes=tuple(changes))
        for phase, changes in per_phase.items()
        if changes
    )
    balances = change_balances(state, change_orders, ())
    grand_total_reduction, credit = funds_inputs(state, change_orders, (), balances)
    return ChangePlan(
        change_orders=change_orders,
        fees=(),
        balances=balances,
        grand_total_reduction=grand_total_reduction,
        added_outstanding_credit=credit,
    )
