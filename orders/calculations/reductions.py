"""Cancel and simple return (DOMAIN.md §2, §3.1, §3.2, §3.2a): validation and the change plan."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orders.errors import (
    FEE_EXCEEDS_REDUCTION,
    NOTHING_TO_CANCEL,
    UNITS_ALLOCATED,
    UNITS_IN_FULFILLMENT,
    WHOLE_UNITS_ONLY,
    FieldError,
    InvalidState,
)
from orders.item_rules import CANCELABLE_TYPES, RETURNABLE_TYPES
from orders.money import HUNDRED, ZERO, with_tax

from .balances import change_balances, funds_inputs
from .checks import MAX_FREE_TEXT, as_decimal, find_item, fits_currency, fits_quantity
from .fees import fee_charge
from .inputs import CancelOrderInput, ChangeItemInput, FeeAmountType
from .plan import (
    CANCEL,
    RETURN,
    ChangeOrderPlan,
    ChangePlan,
    FeeCharge,
    FulfillmentEffects,
    FulfillmentLineCancel,
    ItemChange,
)
from .problems import Problems
from .proration import prorated, unit_reduction
from .shipping import shipping_reductions
from .state import (
    CANCELABLE_FULFILLMENT_STATUSES,
    DELIVERY_CHARGE,
    PRODUCT,
    Amounts,
    FulfillmentLineState,
    ItemState,
    Quantities,
    SummaryState,
)

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


def _quantity_delta(kind: str, quantity: Decimal, off_fulfillment_orders: Decimal = ZERO) -> Quantities:
    if kind == CANCEL:
        return Quantities(canceled=quantity, allocated=-off_fulfillment_orders)
    return Quantities(return_initiated=quantity, returned=quantity)


def _check_fees(
    problems: Problems, change: ChangeItemInput, path: str, reason_codes: Collection[str], currency: str
) -> None:
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


def check_request_size(problems: Problems, items: Sequence[object], name: str, max_items: int) -> None:
    if not items:
        problems.bad_input("Give at least one item.", name)
    elif len(items) > max_items:
        problems.bad_input(f"At most {max_items} items per request; got {len(items)}.", name)


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def _status_rank(line: FulfillmentLineState) -> tuple[int, int, int]:
    """Which lines a cancel takes units from first: the least progressed fulfillment order, then the newest."""
    return (CANCELABLE_FULFILLMENT_STATUSES.index(line.status), -line.fulfillment_order_id, -line.id)


def _lines_of(state: SummaryState, item_id: int) -> list[FulfillmentLineState]:
    return [line for line in state.fulfillment_lines or () if line.item_id == item_id and line.quantity > 0]


def cancelable_lines(state: SummaryState, item_id: int) -> list[FulfillmentLineState]:
    """The item's lines on fulfillment orders not yet picked, in the order a cancel takes units from them."""
    return sorted((line for line in _lines_of(state, item_id) if line.is_cancelable), key=_status_rank)


def cancelable_units(state: SummaryState, item: ItemState, *, cancel_allocated: bool) -> Decimal:
    """Units a cancel may take: the unallocated ones, and with `cancel_allocated` those on fulfillment
    orders not yet picked."""
    units = item.quantities.available_to_cancel
    if cancel_allocated:
        units += sum((line.quantity for line in cancelable_lines(state, item.id)), ZERO)
    return units


def _take_from_lines(
    state: SummaryState, item: ItemState, quantity: Decimal
) -> list[tuple[FulfillmentLineState, Decimal]]:
    """(line, units) a cancel of `quantity` takes off fulfillment orders: the unallocated units go first."""
    needed = quantity - item.quantities.available_to_cancel
    taken = []
    for line in cancelable_lines(state, item.id):
        if needed <= 0:
            break
        units = min(needed, line.quantity)
        taken.append((line, units))
        needed -= units
    return taken


def _refusal(
    state: SummaryState, item: ItemState, asked: Decimal, limit: Decimal, *, kind: str, cancel_allocated: bool
) -> tuple[str, str | None]:
    """(message, error code) for asking more than `limit` units of the item."""
    action = _ACTIONS[kind]
    head = f"Only {limit.normalize():f} of this item can be {action}ed; asked for {asked.normalize():f}."
    if kind != CANCEL:
        return head, None
    if cancel_allocated:
        blocked = [line for line in _lines_of(state, item.id) if not line.is_cancelable]
        if blocked and asked <= limit + sum((line.quantity for line in blocked), ZERO):
            named = ", ".join(
                f"{line.quantity.normalize():f} on fulfillment order {line.fulfillment_order_number} ({line.status})"
                for line in blocked
            )
            return (
                f"{head} The other units are in picking or later and cannot be canceled: {named}.",
                UNITS_IN_FULFILLMENT,
            )
        return head, None
    in_fulfillment = item.quantities.in_fulfillment
    if in_fulfillment > 0 and asked <= limit + in_fulfillment:
        return (
            f"{head} {in_fulfillment.normalize():f} more are allocated to fulfillment orders: "
            "cancelAllocatedQuantity cancels those not yet picked.",
            UNITS_ALLOCATED,
        )
    return head, None


@dataclass
class _Cancels:
    """The fulfillment-order side of a cancel: units taken off lines, per line and per item."""

    lines: dict[int, tuple[FulfillmentLineState, Decimal]] = field(default_factory=dict)

    def take(self, line: FulfillmentLineState, units: Decimal) -> None:
        _, before = self.lines.get(line.id, (line, ZERO))
        self.lines[line.id] = (line, before + units)

    def taken(self, line_id: int) -> Decimal:
        return self.lines.get(line_id, (None, ZERO))[1]

    def off_item(self, item_id: int) -> Decimal:
        return sum((units for line, units in self.lines.values() if line.item_id == item_id), ZERO)


def plan_reduction(
    state: SummaryState,
    change_items: Sequence[ChangeItemInput],
    *,
    kind: str,
    reason_codes: Collection[str],
    max_items: int,
    cancel_allocated: bool = False,
) -> ChangePlan:
    """The change order (and fee change) a cancel or return of `change_items` makes, or the errors.

    Change items naming the same item summary are combined; the shipping ratio of a delivery
    group uses the combined removed price of its flagged items. A cancel may name delivery charges, and
    with `cancel_allocated` (state.fulfillment_lines read) takes units off fulfillment orders not yet
    picked. When a cancel leaves a delivery group nothing to ship, the group's delivery charges not yet
    shipped are canceled whole in the same change.
    """
    action = _ACTIONS[kind]
    if not state.is_managed:
        raise InvalidState(f"This order summary is unmanaged; it cannot {action} items.")
    if cancel_allocated and state.fulfillment_lines is None:
        raise ValueError("cancel_allocated needs the state's fulfillment lines.")
    problems = Problems()
    check_request_size(problems, change_items, "changeItems", max_items)
    problems.raise_if_any()

    combined: dict[int, _Combined] = {}
    for index, change in enumerate(change_items):
        path = f"changeItems[{index}]"
        item = find_item(state, change.order_item_summary_id)
        if item is None:
            problems.bad_input("No such item on this order summary.", f"{path}.orderItemSummaryId")
        elif item.type not in (CANCELABLE_TYPES if kind == CANCEL else RETURNABLE_TYPES):
            allowed = "Only products and delivery charges" if kind == CANCEL else "Only products"
            problems.bad_input(f"{allowed} can be {action}ed; this is a {item.type}.", f"{path}.orderItemSummaryId")
        quantity = as_decimal(change.quantity)
        if quantity is None:
            problems.bad_input("Must be a number.", f"{path}.quantity")
        elif quantity <= 0:
            problems.bad_input("Must be greater than zero.", f"{path}.quantity")
        elif not fits_quantity(quantity):
            problems.bad_input("At most 2 decimal places.", f"{path}.quantity")
        elif item is not None and is_whole(item.quantities.ordered) and not is_whole(quantity):
            problems.bad_input(
                "Must be a whole number: this item is ordered in whole units.",
                f"{path}.quantity",
                code=WHOLE_UNITS_ONLY,
            )
        if change.reason not in reason_codes:
            problems.bad_input(f"Unknown reason '{change.reason}'.", f"{path}.reason")
        if len(change.reason_text or "") > MAX_FREE_TEXT:
            problems.bad_input(f"At most {MAX_FREE_TEXT} characters.", f"{path}.reasonForChangeText")
        _check_fees(problems, change, path, reason_codes, state.currency)
        if problems.input:
            continue
        assert item is not None and quantity is not None  # no input problem: both were found
        entry = combined.setdefault(item.id, _Combined(item))
        entry.indexes.append(index)
        entry.quantity += quantity
        entry.shipping_reduction = entry.shipping_reduction or bool(change.shipping_reduction)
    problems.raise_if_any()

    for entry in combined.values():
        if kind == CANCEL:
            limit = cancelable_units(state, entry.item, cancel_allocated=cancel_allocated)
        else:
            limit = available(entry.item, kind)
        if entry.quantity > limit:
            message, code = _refusal(
                state, entry.item, entry.quantity, limit, kind=kind, cancel_allocated=cancel_allocated
            )
            problems.bad_state(message, f"changeItems[{entry.indexes[-1]}].quantity", code=code)
    problems.raise_if_any()

    cancels = _Cancels()
    if kind == CANCEL and cancel_allocated:
        for entry in combined.values():
            for line, units in _take_from_lines(state, entry.item, entry.quantity):
                cancels.take(line, units)

    removed_units: dict[int, Decimal] = {}
    removed_amounts: dict[int, Amounts] = {}
    for item_id, entry in combined.items():
        removed_units[item_id] = entry.quantity
        removed_amounts[item_id] = unit_reduction(entry.item, entry.quantity, state.currency)

    # A cancel that leaves a delivery group nothing to ship takes the group's unshipped delivery charges.
    with_last_product: list[ItemState] = []
    if kind == CANCEL:
        with_last_product = _charges_left_without_products(state, combined, cancel_allocated)
        for charge in with_last_product:
            removed_units[charge.id] = cancelable_units(state, charge, cancel_allocated=cancel_allocated)
            removed_amounts[charge.id] = charge.amounts
            if cancel_allocated:
                for line in cancelable_lines(state, charge.id):
                    cancels.take(line, line.quantity - cancels.taken(line.id))
    last_product_ids = {charge.id for charge in with_last_product}

    pre = kind == CANCEL
    changes = []
    for item_id, entry in combined.items():
        first = change_items[entry.indexes[0]]
        changes.append(
            ItemChange(
                item_id=item_id,
                change_type=kind,
                quantities=_quantity_delta(kind, removed_units[item_id], cancels.off_item(item_id)),
                quantity=-removed_units[item_id],
                amounts=-removed_amounts[item_id],
                reason=first.reason,
                reason_text=first.reason_text or "",
                is_pre_fulfillment=pre,
            )
        )
    for charge in with_last_product:
        if charge.id in combined:
            continue
        source = _reason_source(change_items, combined, charge.group_id)
        changes.append(
            ItemChange(
                item_id=charge.id,
                change_type=kind,
                quantities=_quantity_delta(kind, removed_units[charge.id], cancels.off_item(charge.id)),
                quantity=-removed_units[charge.id],
                amounts=-charge.amounts,
                reason=source.reason,
                reason_text=source.reason_text or "",
                is_pre_fulfillment=pre,
            )
        )

    flagged = {item_id for item_id, entry in combined.items() if entry.shipping_reduction and entry.item.is_product}
    for reduction in shipping_reductions(state, removed_units, removed_amounts, flagged):
        charge = reduction.item
        if charge.id in combined or charge.id in last_product_ids:
            continue
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

    fees: list[FeeCharge] = []
    for item_id, entry in combined.items():
        for index in entry.indexes:
            change = change_items[index]
            if not change.fees:
                continue
            # A change item's percentage fees are of the units it names, when several name one item.
            own_share = prorated(removed_amounts[item_id], Decimal(change.quantity), entry.quantity, state.currency)
            own_fees: list[FeeCharge] = []
            for fee in change.fees:
                fee_row = fee_charge(
                    fee,
                    entry.item,
                    own_share,
                    reason=fee.reason or change.reason,
                    tax_locale_type=state.tax_locale_type,
                    currency=state.currency,
                )
                if fee_row is not None:
                    own_fees.append(fee_row)
            # A fee is taken out of the reduction it rides on: never more than that reduction.
            taken_off = with_tax(own_share.price, own_share.tax, state.tax_locale_type)
            fee_total = sum(
                (with_tax(fee.amounts.price, fee.amounts.tax, state.tax_locale_type) for fee in own_fees), ZERO
            )
            if fee_total > taken_off:
                problems.bad_input(
                    f"The fees ({fee_total:f} with tax) exceed the {taken_off:f} this change item takes off.",
                    f"changeItems[{index}].changeItemFees",
                    code=FEE_EXCEEDS_REDUCTION,
                )
            fees.extend(own_fees)
    problems.raise_if_any()

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
        fulfillment=_fulfillment_effects(state, cancels) if cancel_allocated else FulfillmentEffects(),
        charges_canceled_with_last_product=tuple(charge.id for charge in with_last_product),
    )


def _reason_source(
    change_items: Sequence[ChangeItemInput], combined: dict[int, _Combined], group_id: int
) -> ChangeItemInput:
    """The change item whose reason a delivery charge canceled with its group's last product takes."""
    for entry in combined.values():
        if entry.item.group_id == group_id:
            return change_items[entry.indexes[0]]
    return change_items[0]


def _charges_left_without_products(
    state: SummaryState, combined: dict[int, _Combined], cancel_allocated: bool
) -> list[ItemState]:
    """The delivery charges of the groups this cancel touches that are left with no product unit to ship
    (none unallocated, none on an open fulfillment order) and still have units not shipped."""
    groups = sorted({entry.item.group_id for entry in combined.values()})
    charges = []
    for group_id in groups:
        to_ship = ZERO
        for product in state.group_items(group_id, PRODUCT):
            canceled = combined[product.id].quantity if product.id in combined else ZERO
            q = product.quantities
            to_ship += q.ordered - q.canceled - canceled - q.fulfilled
        if to_ship > 0:
            continue
        for charge in state.group_items(group_id, DELIVERY_CHARGE):
            if cancelable_units(state, charge, cancel_allocated=cancel_allocated) > 0:
                charges.append(charge)
    return charges


def _fulfillment_effects(state: SummaryState, cancels: _Cancels) -> FulfillmentEffects:
    """The lines a cancel takes units off, the fulfillment orders it leaves without a product (Cancelled),
    and where the delivery charges of those go: onto the group's next open fulfillment order, or back to
    the group to wait for its next new one."""
    lines = state.fulfillment_lines or ()
    product_ids = {item.id for item in state.items if item.is_product}
    touched = sorted({line.fulfillment_order_id for line, _ in cancels.lines.values()})
    left: dict[int, Decimal] = {}
    for line in lines:
        if line.item_id in product_ids:
            left[line.fulfillment_order_id] = (
                left.get(line.fulfillment_order_id, ZERO) + line.quantity - cancels.taken(line.id)
            )
    emptied = [order_id for order_id in touched if left.get(order_id, ZERO) <= 0]
    result = [
        FulfillmentLineCancel(
            line_id=line.id,
            fulfillment_order_id=line.fulfillment_order_id,
            fulfillment_order_number=line.fulfillment_order_number,
            item_id=line.item_id,
            quantity=units,
        )
        for line, units in sorted(cancels.lines.values(), key=lambda pair: pair[0].id)
        if units > 0
    ]
    for line in sorted(lines, key=lambda each: each.id):
        if line.fulfillment_order_id not in emptied or line.item_id in product_ids:
            continue
        units = line.quantity - cancels.taken(line.id)
        if units <= 0:
            continue
        targets = sorted(
            {
                other.fulfillment_order_id
                for other in lines
                if other.group_id == line.group_id
                and other.fulfillment_order_id not in emptied
                and left.get(other.fulfillment_order_id, ZERO) > 0
            }
        )
        result.append(
            FulfillmentLineCancel(
                line_id=line.id,
                fulfillment_order_id=line.fulfillment_order_id,
                fulfillment_order_number=line.fulfillment_order_number,
                item_id=line.item_id,
                quantity=units,
                returned_to_group=True,
                moved_to_fulfillment_order_id=targets[0] if targets else None,
            )
        )
    return FulfillmentEffects(line_cancels=tuple(result), canceled_orders=tuple(emptied))


def plan_cancel(
    state: SummaryState,
    change_items: Sequence[ChangeItemInput],
    *,
    reason_codes: Collection[str],
    max_items: int = 100,
    cancel_allocated: bool = False,
) -> ChangePlan:
    return plan_reduction(
        state,
        change_items,
        kind=CANCEL,
        reason_codes=reason_codes,
        max_items=max_items,
        cancel_allocated=cancel_allocated,
    )


def plan_return(
    state: SummaryState, change_items: Sequence[ChangeItemInput], *, reason_codes: Collection[str], max_items: int = 100
) -> ChangePlan:
    return plan_reduction(state, change_items, kind=RETURN, reason_codes=reason_codes, max_items=max_items)


def plan_cancel_order(state: SummaryState, request: CancelOrderInput, *, reason_codes: Collection[str]) -> ChangePlan:
    """A whole-order cancel: every product unit still cancelable (unallocated, or on a fulfillment order not
    yet picked), and with them the delivery charges of the groups left with nothing to ship; one change
    order, the money rules of any cancel. Refused when nothing can be canceled."""
    if not state.is_managed:
        raise InvalidState("This order summary is unmanaged; it cannot cancel items.")
    if state.fulfillment_lines is None:
        raise ValueError("A whole-order cancel needs the state's fulfillment lines.")
    problems = Problems()
    if request.reason not in reason_codes:
        problems.bad_input(f"Unknown reason '{request.reason}'.", "reason")
    if len(request.reason_text or "") > MAX_FREE_TEXT:
        problems.bad_input(f"At most {MAX_FREE_TEXT} characters.", "reasonText")
    problems.raise_if_any()
    change_items = [
        ChangeItemInput(
            order_item_summary_id=item.id, quantity=units, reason=request.reason, reason_text=request.reason_text or ""
        )
        for item in state.items
        if item.is_product and (units := cancelable_units(state, item, cancel_allocated=True)) > 0
    ]
    if not change_items:
        blocked = sorted(
            {
                (line.fulfillment_order_number, line.status)
                for line in state.fulfillment_lines
                if not line.is_cancelable and line.quantity > 0
            }
        )
        detail = (
            (" Units in picking or later: " + ", ".join(f"{number} ({status})" for number, status in blocked) + ".")
            if blocked
            else ""
        )
        raise InvalidState(
            f"Nothing on this order summary can be canceled.{detail}",
            errors=[FieldError(f"Nothing on this order summary can be canceled.{detail}", None, NOTHING_TO_CANCEL)],
        )
    return plan_reduction(
        state, change_items, kind=CANCEL, reason_codes=reason_codes, max_items=len(change_items), cancel_allocated=True
    )
