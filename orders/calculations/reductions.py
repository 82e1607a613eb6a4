"""Cancel and simple return (DOMAIN.md §2, §3.1, §3.2, §3.2a): validation and the change plan."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orders.errors import InvalidState
from orders.money import HUNDRED, ZERO

from .balances import change_balances, funds_inputs
from .checks import MAX_FREE_TEXT, as_decimal, find_item, fits_currency, fits_quantity
from .fees import fee_charge
from .inputs import ChangeItemInput, FeeAmountType
from .plan import CANCEL, RETURN, ChangeOrderPlan, ChangePlan, ItemChange
from .problems import Problems
from .proration import prorated, unit_reduction
from .shipping import shipping_reductions
from .state import Amounts, ItemState, Quantities, SummaryState

_ACTIONS = {CANCEL: "cancel", RETURN: "return"}


@dataclass
class _Combined:
    """Every change item of one request that names the same item summary, taken together."""

    item: ItemState
    indexes: list[int] = field(default_factory=list)
    quantity: Decimal = ZERO
    shipping_reduction: bool = False


def available(item: ItemState, kind: str) -> Decimal:
    if kind == CANCEL:
        return item.quantities.available_to_cancel
    return item.quantities.available_to_return


def _quantity_delta(kind: str, quantity: Decimal) -> Quantities:
    if kind == CANCEL:
        return Quantities(canceled=quantity)
    return Quantities(return_initiated=quantity, returned=quantity)


def _check_fees(problems: Problems, change: ChangeItemInput, path: str, reason_codes, currency: str) -> None:
    for fee_index, fee in enumerate(change.fees):
        fee_path = f"{path}.changeItemFees[{fee_index}]"
        if fee.amount_type not in FeeAmountType.ALL:
            problems.bad_input(f"Must be one of {', '.join(FeeAmountType.ALL)}.", f"{fee_path}.amountType")
        amount = as_decimal(fee.amount)
        if amount is None:
            problems.bad_input("Must be a number.", f"{fee_path}.amount")
        elif amount <= 0:
            problems.bad_input("A fee must be greater than zero.", f"{fee_path}.amount")
        elif fee.amount_type in (FeeAmountType.PERCENTAGE, FeeAmountType.PERCENTAGE_GROSS):
            if amount > HUNDRED:
                problems.bad_input("A percentage fee may not exceed 100.", f"{fee_path}.amount")
        elif not fits_currency(amount, currency):
            problems.bad_input(f"Has more decimal places than {currency} allows.", f"{fee_path}.amount")
        if fee.reason and fee.reason not in reason_codes:
            problems.bad_input(f"Unknown reason '{fee.reason}'.", f"{fee_path}.reason")
        if len(fee.description or "") > MAX_FREE_TEXT:
            problems.bad_input(f"At most {MAX_FREE_TEXT} characters.", f"{fee_path}.description")


def check_request_size(problems: Problems, items: Sequence, name: str, max_items: int) -> None:
    if not items:
        problems.bad_input("Give at least one item.", name)
    elif len(items) > max_items:
        problems.bad_input(f"At most {max_items} items per request; got {len(items)}.", name)


def plan_reduction(
    state: SummaryState,
    change_items: Sequence[ChangeItemInput],
    *,
    kind: str,
    reason_codes: Collection[str],
    max_items: int,
) -> ChangePlan:
    """The change order (and fee change) a cancel or return of `change_items` makes, or the errors.

    Change items naming the same item summary are combined; the shipping ratio of a delivery
    group uses the combined removed price of its flagged items.
    """
    action = _ACTIONS[kind]
    if not state.is_managed:
        raise InvalidState(f"This order summary is unmanaged; it cannot {action} items.")
    problems = Problems()
    check_request_size(problems, change_items, "changeItems", max_items)
    problems.raise_if_any()

    combined: dict[int, _Combined] = {}
    for index, change in enumerate(change_items):
        path = f"changeItems[{index}]"
        item = find_item(state, change.order_item_summary_id)
        if item is None:
            problems.bad_input("No such item on this order summary.", f"{path}.orderItemSummaryId")
        elif not item.is_product:
            problems.bad_input(f"Only products can be {action}ed; this is a {item.type}.", f"{path}.orderItemSummaryId")
        quantity = as_decimal(change.quantity)
        if quantity is None:
            problems.bad_input("Must be a number.", f"{path}.quantity")
        elif quantity <= 0:
            problems.bad_input("Must be greater than zero.", f"{path}.quantity")
        elif not fits_quantity(quantity):
            problems.bad_input("At most 2 decimal places.", f"{path}.quantity")
        if change.reason not in reason_codes:
            problems.bad_input(f"Unknown reason '{change.reason}'.", f"{path}.reason")
        if len(change.reason_text or "") > MAX_FREE_TEXT:
            problems.bad_input(f"At most {MAX_FREE_TEXT} characters.", f"{path}.reasonForChangeText")
        _check_fees(problems, change, path, reason_codes, state.currency)
        if problems.input:
            continue
        entry = combined.setdefault(item.id, _Combined(item))
        entry.indexes.append(index)
        entry.quantity += quantity
        entry.shipping_reduction = entry.shipping_reduction or bool(change.shipping_reduction)
    problems.raise_if_any()

    for entry in combined.values():
        limit = available(entry.item, kind)
        if entry.quantity > limit:
            problems.bad_state(
                f"Only {limit.normalize():f} of this item can be {action}ed; asked for {entry.quantity.normalize():f}.",
                f"changeItems[{entry.indexes[-1]}].quantity",
            )
    problems.raise_if_any()

    removed_units: dict[int, Decimal] = {}
    removed_amounts: dict[int, Amounts] = {}
    for item_id, entry in combined.items():
        removed_units[item_id] = entry.quantity
        removed_amounts[item_id] = unit_reduction(entry.item, entry.quantity, state.currency)

    pre = kind == CANCEL
    changes = []
    for item_id, entry in combined.items():
        first = change_items[entry.indexes[0]]
        changes.append(
            ItemChange(
                item_id=item_id,
                change_type=kind,
                quantities=_quantity_delta(kind, entry.quantity),
                quantity=-entry.quantity,
                amounts=-removed_amounts[item_id],
                reason=first.reason,
                reason_text=first.reason_text or "",
                is_pre_fulfillment=pre,
            )
        )

    flagged = {item_id for item_id, entry in combined.items() if entry.shipping_reduction}
    for reduction in shipping_reductions(state, removed_units, removed_amounts, flagged):
        charge = reduction.item
        units = min(charge.quantity, available(charge, kind)) if reduction.whole else ZERO
        if units == 0 and reduction.removed.is_zero:
            continue
        reason_source = next(
            change_items[entry.indexes[0]]
            for entry in combined.values()
            if entry.shipping_reduction and entry.item.group_id == charge.group_id
        )
        changes.append(
            ItemChange(
                item_id=charge.id,
                change_type=kind,
                quantities=_quantity_delta(kind, units),
                quantity=-units,
                amounts=-reduction.removed,
                reason=reason_source.reason,
                reason_text=reason_source.reason_text or "",
                is_pre_fulfillment=pre,
            )
        )

    fees = []
    for item_id, entry in combined.items():
        for index in entry.indexes:
            change = change_items[index]
            if not change.fees:
                continue
            # A change item's percentage fees are of the units it names, when several name one item.
            own_share = prorated(removed_amounts[item_id], Decimal(change.quantity), entry.quantity, state.currency)
            for fee in change.fees:
                charge = fee_charge(
                    fee,
                    entry.item,
                    own_share,
                    reason=fee.reason or change.reason,
                    tax_locale_type=state.tax_locale_type,
                    currency=state.currency,
                )
                if charge is not None:
                    fees.append(charge)

    change_order = ChangeOrderPlan(
        change_type=kind, fulfillment_phase="", reason=change_items[0].reason, changes=tuple(changes)
    )
    balances = change_balances(state, [change_order], fees)
    grand_total_reduction, credit = funds_inputs(state, [change_order], fees, balances)
    return ChangePlan(
        change_orders=(change_order,),
        fees=tuple(fees),
        balances=balances,
        grand_total_reduction=grand_total_reduction,
        added_outstanding_credit=credit,
    )


def plan_cancel(state, change_items, *, reason_codes, max_items=100) -> ChangePlan:
    return plan_reduction(state, change_items, kind=CANCEL, reason_codes=reason_codes, max_items=max_items)


def plan_return(state, change_items, *, reason_codes, max_items=100) -> ChangePlan:
    return plan_reduction(state, change_items, kind=RETURN, reason_codes=reason_codes, max_items=max_items)
