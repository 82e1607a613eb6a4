"""Returns with a return order (RMA, DOMAIN.md §1 Returns, §2): expect units back, then process them.

Creating a return order line expecting q units raises QuantityReturnInitiated by q. Processing a line
(return-items) with r returned, j rejected and c canceled units:
  - QuantityReturned += r, through a Return change order written by the same calculation and writer
    as a simple return (proration, shipping reduction when the line allows it);
  - QuantityReturnInitiated −= c + j: canceled units are no longer expected and rejected units go back
    to the customer, so neither is being returned any more (they may be returned again later);
  - received units that were not rejected go back on hand at the return order's destination;
  - the line becomes read-only; units still expected move to a new line split from it.

Issue 15: a line may carry fees (restocking, return shipping) with the fee rules of a cancel or return
(DOMAIN.md §3.2a); they ride on the Return change order of the units returned as a Fee change order. A
percentage fee is of the units returned; a fixed amount is shared by the line's units (each processing
takes the share of the units it returns; the split line keeps the share of the units still expected).
`preview_return_order` shows what the return order credits once every expected unit is returned: the
simple return's calculation on the same lines, which the create also runs to refuse fees that break
the rules.

Locks: the order summary, its item summaries by id, the return order, then inventory levels by id.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.calculations.checks import as_decimal, fits_quantity
from orders.calculations.inputs import ChangeItemInput, FeeAmountType, FeeInput
from orders.calculations.plan import ChangePlan
from orders.calculations.reductions import plan_return
from orders.calculations.state import Quantities
from orders.errors import WHOLE_UNITS_ONLY, Conflict, FieldError, InvalidInput, InvalidState, NotFound, ServiceError
from orders.event_data import emit_order_summary_changed, emit_return_order_received
from orders.item_rules import RETURNABLE_TYPES
from orders.models import (
    InventoryLevel,
    Location,
    OrderItem,
    OrderItemSummary,
    OrderSummary,
    ReturnOrder,
    ReturnOrderLifeCycleType,
    ReturnOrderLineItem,
    ReturnOrderLineItemFee,
    ReturnOrderStatus,
)
from orders.money import ZERO, prorate
from orders.selectors.change_state import active_reason_codes, change_state, get_item_summaries, get_summary
from orders.selectors.summaries import parse_id
from orders.services import inventory
from orders.services.actor import Actor
from orders.services.change_flow import ChangeResult, ChangeWriter, actor_fields
from orders.services.exchange_receipt import return_order_processed
from orders.services.line_input import checked_id
from orders.services.simple_return import preview_return
from orders.services.summary_refresh import refresh_summary

MAX_LINES = 500
# Salesforce accepts a managed return order only in a status of the Activated category.
OPENING_STATUSES: dict[str, tuple[ReturnOrderStatus, ...]] = {
    ReturnOrderLifeCycleType.MANAGED: (ReturnOrderStatus.SUBMITTED, ReturnOrderStatus.APPROVED),
    ReturnOrderLifeCycleType.UNMANAGED: (
        ReturnOrderStatus.DRAFT,
        ReturnOrderStatus.SUBMITTED,
        ReturnOrderStatus.APPROVED,
    ),
}


@dataclass(frozen=True)
class ReturnOrderLineInput:
    order_item_summary_id: int | str
    quantity_expected: Decimal
    reason_for_return: str = "Unknown"
    can_reduce_shipping: bool = False
    fees: tuple[FeeInput, ...] = ()


@dataclass(frozen=True)
class ReturnOrderInput:
    order_summary_id: int | str
    lines: tuple[ReturnOrderLineInput, ...]
    status: str = ReturnOrderStatus.SUBMITTED
    life_cycle_type: str = ReturnOrderLifeCycleType.MANAGED
    destination_location_id: int | str | None = None
    expected_arrival_date: datetime | None = None
    description: str = ""


@dataclass(frozen=True)
class ReturnItemInput:
    return_order_line_item_id: int | str
    quantity_returned: Decimal = ZERO
    quantity_to_cancel: Decimal = ZERO
    quantity_received: Decimal | None = None  # returned + rejected when not given
    quantity_rejected: Decimal = ZERO
    reason_for_rejection: str = ""


@dataclass(frozen=True)
class ReturnItemsResult:
    return_order_id: int
    change_order_id: int | None
    fee_change_order_id: int | None
    # (processed line id, new line id holding what is still expected)
    splits: tuple[tuple[int, int], ...] = ()


# --- Create ------------------------------------------------------------------------------------------


def create_return_order(
    data: ReturnOrderInput, *, actor: Actor = None, channel_id: int | None = None, expected_version: int | None = None
) -> ReturnOrder:
    """`expected_version` (the console's preview): refused with Conflict when the summary changed since."""
    _check_create_shape(data)
    summary_id = _visible_summary_id(data.order_summary_id, channel_id)
    destination = _destination(data.destination_location_id)
    reason_codes = active_reason_codes()
    unknown = [
        FieldError(f"Unknown reason '{line.reason_for_return}'.", f"returnOrderLineItems[{index}].reasonForReturn")
        for index, line in enumerate(data.lines)
        if line.reason_for_return not in reason_codes
    ]
    if unknown:
        raise InvalidInput(unknown[0].message, errors=unknown)
    managed = data.life_cycle_type == ReturnOrderLifeCycleType.MANAGED
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True)
        if expected_version is not None and summary.version != expected_version:
            raise Conflict(
                f"The order summary changed since it was read (version {expected_version}, now "
                f"{summary.version}); preview again.",
                field="version",
            )
        if not summary.is_managed:
            raise InvalidState("This order summary is unmanaged; it takes no return orders.", field="orderSummaryId")
        items = get_item_summaries(summary, lock=True)
        by_id = {ois.pk: ois for ois in items}
        expected = _check_lines(data, by_id)
        # The fees must fit the units they ride on, by the rules of any return.
        _credit_plan(summary, items, data.lines)
        if managed:
            for pk, quantity in expected.items():
                by_id[pk].quantity_return_initiated += quantity
            OrderItemSummary.objects.bulk_update([by_id[pk] for pk in expected], ["quantity_return_initiated"])
        return_order = ReturnOrder.objects.create(
            order_summary=summary,
            status=data.status,
            life_cycle_type=data.life_cycle_type,
            destination_location=destination,
            expected_arrival_date=data.expected_arrival_date,
            description=data.description or "",
            **actor_fields(actor),
        )
        created = ReturnOrderLineItem.objects.bulk_create(
            [
                ReturnOrderLineItem(
                    return_order=return_order,
                    order_item_summary_id=checked_id(line.order_item_summary_id),
                    quantity_expected=Decimal(line.quantity_expected),
                    reason_for_return=line.reason_for_return,
                    can_reduce_shipping=line.can_reduce_shipping,
                )
                for line in data.lines
            ]
        )
        ReturnOrderLineItemFee.objects.bulk_create(
            [
                ReturnOrderLineItemFee(
                    line=row,
                    amount=Decimal(fee.amount),
                    amount_type=fee.amount_type,
                    description=fee.description or "",
                    reason=fee.reason or "",
                )
                for row, line in zip(created, data.lines, strict=True)
                for fee in line.fees
            ]
        )
        if managed:
            refresh_summary(summary, items)
    return return_order


def preview_return_order(data: ReturnOrderInput, *, channel_id: int | None = None) -> ChangeResult:
    """What the return order credits once every expected unit is returned (the balances of the simple return
    of the same units, reason, shipping reduction and fees); writes nothing."""
    _check_create_shape(data)
    try:
        return preview_return(data.order_summary_id, _credit_items(data.lines), channel_id=channel_id)
    except (InvalidInput, InvalidState) as error:
        raise _as_line_error(error) from None


def _credit_items(lines: Sequence[ReturnOrderLineInput]) -> list[ChangeItemInput]:
    return [
        ChangeItemInput(
            order_item_summary_id=line.order_item_summary_id,
            quantity=Decimal(line.quantity_expected),
            reason=line.reason_for_return or "Unknown",
            shipping_reduction=line.can_reduce_shipping,
            fees=tuple(line.fees),
        )
        for line in lines
    ]


def _credit_plan(
    summary: OrderSummary, items: list[OrderItemSummary], lines: Sequence[ReturnOrderLineInput]
) -> ChangePlan:
    try:
        return plan_return(
            change_state(summary, items),
            _credit_items(lines),
            reason_codes=active_reason_codes(),
            max_items=max(settings.OMS_MAX_CHANGE_ITEMS, MAX_LINES),
        )
    except (InvalidInput, InvalidState) as error:
        raise _as_line_error(error) from None


_FEE_PATH = re.compile(r"^changeItems\[(\d+)\]\.changeItemFees(.*)$")
_ITEM_PATH = re.compile(r"^changeItems\[(\d+)\]\.(\w+)$")
_LINE_KEYS = {"quantity": "quantityExpected", "reason": "reasonForReturn", "shippingReductionFlag": "canReduceShipping"}


def _as_line_error(error: ServiceError) -> ServiceError:
    """The simple return's error, named by the return order's fields."""

    def rename(field: str | None) -> str | None:
        if not field:
            return field
        fee = _FEE_PATH.match(field)
        if fee:
            return f"returnOrderLineItems[{fee.group(1)}].returnOrderLineItemFees{fee.group(2)}"
        item = _ITEM_PATH.match(field)
        if item:
            return f"returnOrderLineItems[{item.group(1)}].{_LINE_KEYS.get(item.group(2), item.group(2))}"
        return field.replace("changeItems", "returnOrderLineItems")

    errors = [FieldError(item.message, rename(item.field), item.code) for item in error.errors]
    return type(error)(error.message, errors=errors)


def _check_create_shape(data: ReturnOrderInput) -> None:
    errors: list[FieldError] = []
    if data.life_cycle_type not in ReturnOrderLifeCycleType.values:
        errors.append(
            FieldError(f"Must be one of {', '.join(ReturnOrderLifeCycleType.values)}.", "returnOrderLifeCycleType")
        )
    elif data.status not in OPENING_STATUSES[data.life_cycle_type]:
        allowed = ", ".join(OPENING_STATUSES[data.life_cycle_type])
        errors.append(FieldError(f"A {data.life_cycle_type} return order starts as one of: {allowed}.", "status"))
    if not data.lines:
        errors.append(FieldError("Give at least one line.", "returnOrderLineItems"))
    elif len(data.lines) > MAX_LINES:
        errors.append(FieldError(f"At most {MAX_LINES} lines.", "returnOrderLineItems"))
    for index, line in enumerate(data.lines):
        path = f"returnOrderLineItems[{index}]"
        if parse_id(line.order_item_summary_id) is None:
            errors.append(FieldError("Not an order item summary id.", f"{path}.orderItemSummaryId"))
        errors += _quantity_errors(line.quantity_expected, f"{path}.quantityExpected", positive=True)
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _quantity_errors(value: object, field: str, *, positive: bool = False) -> list[FieldError]:
    quantity = as_decimal(value)
    if quantity is None:
        return [FieldError("Must be a number.", field)]
    if quantity < 0 or (positive and quantity == 0):
        return [FieldError("Must be greater than zero." if positive else "May not be negative.", field)]
    if not fits_quantity(quantity):
        return [FieldError("At most 2 decimal places.", field)]
    return []


def _visible_summary_id(raw_id: int | str, channel_id: int | None) -> int:
    pk = parse_id(raw_id)
    queryset = OrderSummary.objects.filter(pk=pk or 0)
    if channel_id is not None:
        queryset = queryset.filter(sales_channel_id=channel_id)
    if pk is None or not queryset.exists():
        raise NotFound(f"No order summary {raw_id}.", field="orderSummaryId")
    return pk


def _destination(raw_id: int | str | None) -> Location | None:
    if raw_id in (None, ""):
        return None
    pk = parse_id(raw_id)
    location = Location.objects.filter(pk=pk).first() if pk is not None else None
    if location is None:
        raise InvalidInput(f"No location {raw_id}.", field="destinationLocationId")
    return location


def _whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def _check_lines(data: ReturnOrderInput, by_id: dict[int, OrderItemSummary]) -> dict[int, Decimal]:
    errors: list[FieldError] = []
    expected: dict[int, Decimal] = defaultdict(lambda: ZERO)
    last_path: dict[int, str] = {}
    for index, line in enumerate(data.lines):
        path = f"returnOrderLineItems[{index}]"
        ois = by_id.get(checked_id(line.order_item_summary_id))
        if ois is None:
            errors.append(FieldError("No such item on this order summary.", f"{path}.orderItemSummaryId"))
        elif ois.type not in RETURNABLE_TYPES:
            errors.append(
                FieldError(f"Only products are returned; this is a {ois.type}.", f"{path}.orderItemSummaryId")
            )
        elif _whole(ois.quantity_ordered) and not _whole(Decimal(line.quantity_expected)):
            errors.append(
                FieldError(
                    "Must be a whole number: this item is ordered in whole units.",
                    f"{path}.quantityExpected",
                    WHOLE_UNITS_ONLY,
                )
            )
        else:
            expected[ois.pk] += Decimal(line.quantity_expected)
            last_path[ois.pk] = f"{path}.quantityExpected"
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    problems = [
        FieldError(
            f"Only {by_id[pk].quantity_available_to_return.normalize():f} of {by_id[pk].sku or by_id[pk].name} can "
            f"be returned; {quantity.normalize():f} expected.",
            last_path[pk],
        )
        for pk, quantity in expected.items()
        if quantity > by_id[pk].quantity_available_to_return
    ]
    if problems:
        raise InvalidState(problems[0].message, errors=problems)
    return expected


# --- Process (return-items) -----------------------------------------------------------------------------


@dataclass
class _Processing:
    line: ReturnOrderLineItem
    returned: Decimal
    rejected: Decimal
    canceled: Decimal
    received: Decimal
    reason_for_rejection: str

    @property
    def processed(self) -> Decimal:
        return self.returned + self.rejected + self.canceled


def return_items(
    return_order_id: int | str, items: list[ReturnItemInput], *, actor: Actor = None, channel_id: int | None = None
) -> ReturnItemsResult:
    _check_items_shape(items)
    with transaction.atomic():
        return_order, summary, ois_list = _lock(return_order_id, channel_id)
        if not return_order.is_managed:
            raise InvalidState("An unmanaged return order is for tracking only; it processes nothing.")
        if return_order.status in (ReturnOrderStatus.CLOSED, ReturnOrderStatus.CANCELED):
            raise InvalidState(f"Return order {return_order.number} is {return_order.status}.")
        lines = {
            line.pk: line
            for line in ReturnOrderLineItem.objects.select_for_update()
            .filter(return_order=return_order)
            .order_by("id")
            .prefetch_related("fees")
        }
        work = _check_items(items, lines)
        by_id = {ois.pk: ois for ois in ois_list}

        plan = _return_plan(summary, ois_list, work)
        withdrawn: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for entry in work:
            withdrawn[entry.line.order_item_summary_id] += entry.canceled + entry.rejected
        for pk, quantity in withdrawn.items():
            by_id[pk].quantity_return_initiated -= quantity
        written = ChangeWriter(summary, ois_list, actor).write(plan) if plan is not None else None
        if withdrawn:
            OrderItemSummary.objects.bulk_update([by_id[pk] for pk in withdrawn], ["quantity_return_initiated"])

        change_order_id = written.change_orders[0][1] if written and written.change_orders else None
        splits = _update_lines(work, change_order_id, summary.currency)
        _restock(return_order, work, by_id)
        _close_when_done(return_order)
        refresh_summary(summary, ois_list + (written.fee_items if written else []))
        emit_return_order_received(return_order)
        if change_order_id is not None:
            emit_order_summary_changed(summary.pk)
        # An exchange waiting for these units completes (or is canceled) once nothing more is expected.
        return_order_processed(return_order, summary, actor=actor)
    return ReturnItemsResult(
        return_order_id=return_order.pk,
        change_order_id=change_order_id,
        fee_change_order_id=written.fee_change_order_id if written else None,
        splits=tuple(splits),
    )


def _check_items_shape(items: list[ReturnItemInput]) -> None:
    errors: list[FieldError] = []
    if not items:
        errors.append(FieldError("Give at least one line.", "returnOrderItems"))
    elif len(items) > MAX_LINES:
        errors.append(FieldError(f"At most {MAX_LINES} lines.", "returnOrderItems"))
    for index, item in enumerate(items):
        path = f"returnOrderItems[{index}]"
        if parse_id(item.return_order_line_item_id) is None:
            errors.append(FieldError("Not a return order line id.", f"{path}.returnOrderLineItemId"))
        for name, value in (
            ("quantityReturned", item.quantity_returned),
            ("quantityToCancel", item.quantity_to_cancel),
            ("quantityRejected", item.quantity_rejected),
        ):
            errors += _quantity_errors(value, f"{path}.{name}")
        if item.quantity_received is not None:
            errors += _quantity_errors(item.quantity_received, f"{path}.quantityReceived")
        if len(item.reason_for_rejection or "") > 255:
            errors.append(FieldError("At most 255 characters.", f"{path}.reasonForRejection"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _lock(
    return_order_id: int | str, channel_id: int | None
) -> tuple[ReturnOrder, OrderSummary, list[OrderItemSummary]]:
    pk = parse_id(return_order_id)
    summary_id = None
    if pk is not None:
        queryset = ReturnOrder.objects.filter(pk=pk)
        if channel_id is not None:
            queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
        summary_id = queryset.values_list("order_summary_id", flat=True).first()
    if pk is None or summary_id is None:
        raise NotFound(f"No return order {return_order_id}.")
    summary = get_summary(summary_id, lock=True)
    ois_list = get_item_summaries(summary, lock=True)
    return_order = ReturnOrder.objects.select_for_update(of=("self",)).select_related("destination_location").get(pk=pk)
    return return_order, summary, ois_list


def _check_items(items: list[ReturnItemInput], lines: dict[int, ReturnOrderLineItem]) -> list[_Processing]:
    errors: list[FieldError] = []
    problems: list[FieldError] = []
    work: list[_Processing] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        path = f"returnOrderItems[{index}]"
        line = lines.get(checked_id(item.return_order_line_item_id))
        if line is None:
            errors.append(FieldError("No such line on this return order.", f"{path}.returnOrderLineItemId"))
            continue
        if line.pk in seen:
            errors.append(FieldError("This line is named twice.", f"{path}.returnOrderLineItemId"))
            continue
        seen.add(line.pk)
        returned, canceled = Decimal(item.quantity_returned), Decimal(item.quantity_to_cancel)
        rejected = Decimal(item.quantity_rejected)
        received = Decimal(item.quantity_received) if item.quantity_received is not None else returned + rejected
        entry = _Processing(line, returned, rejected, canceled, received, item.reason_for_rejection or "")
        fractional = [
            name
            for name, value in (
                ("quantityReturned", returned),
                ("quantityRejected", rejected),
                ("quantityToCancel", canceled),
                ("quantityReceived", received),
            )
            if not _whole(value)
        ]
        if _whole(line.quantity_expected) and fractional:
            # Lines of items ordered in whole units expect whole units (create-return-order checks it).
            errors.append(
                FieldError(
                    "Must be a whole number: this item is ordered in whole units.",
                    f"{path}.{fractional[0]}",
                    WHOLE_UNITS_ONLY,
                )
            )
            continue
        if line.is_processed:
            problems.append(
                FieldError("This line was processed already; it is read-only.", f"{path}.returnOrderLineItemId")
            )
        elif entry.processed == 0:
            errors.append(FieldError("Return, reject or cancel at least some units.", f"{path}.quantityReturned"))
        elif entry.processed > line.quantity_expected:
            problems.append(
                FieldError(
                    f"Returned {returned.normalize():f} + rejected {rejected.normalize():f} + canceled "
                    f"{canceled.normalize():f} exceeds the {line.quantity_expected.normalize():f} expected.",
                    f"{path}.quantityReturned",
                )
            )
        elif not rejected <= received <= returned + rejected:
            errors.append(
                FieldError(
                    "Received units must cover the rejected ones and be at most returned + rejected.",
                    f"{path}.quantityReceived",
                )
            )
        work.append(entry)
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    if problems:
        raise InvalidState(problems[0].message, errors=problems)
    return work


def _return_plan(summary: OrderSummary, ois_list: list[OrderItemSummary], work: list[_Processing]) -> ChangePlan | None:
    """The Return change order of the returned units: the simple return's calculation, on a state in
    which those units are not yet initiated (this return order initiated them), keeping only the
    QuantityReturned part of its quantity changes for them."""
    returning = [entry for entry in work if entry.returned > 0]
    if not returning:
        return None
    returned: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for entry in returning:
        returned[entry.line.order_item_summary_id] += entry.returned
    state = change_state(summary, ois_list)
    state = state.with_items(
        tuple(
            replace(
                item,
                quantities=replace(
                    item.quantities, return_initiated=item.quantities.return_initiated - returned[item.id]
                ),
            )
            if item.id in returned
            else item
            for item in state.items
        )
    )
    change_items = [
        ChangeItemInput(
            order_item_summary_id=entry.line.order_item_summary_id,
            quantity=entry.returned,
            reason=entry.line.reason_for_return or "Unknown",
            shipping_reduction=entry.line.can_reduce_shipping,
            fees=_fees_of(entry.line, entry.returned, summary.currency),
        )
        for entry in returning
    ]
    plan = plan_return(state, change_items, reason_codes=active_reason_codes(), max_items=settings.OMS_MAX_CHANGE_ITEMS)
    change_orders = tuple(
        replace(
            order,
            changes=tuple(
                replace(change, quantities=Quantities(returned=change.quantities.returned))
                if change.item_id in returned
                else change
                for change in order.changes
            ),
        )
        for order in plan.change_orders
    )
    return replace(plan, change_orders=change_orders)


def _fees_of(line: ReturnOrderLineItem, returned: Decimal, currency: str) -> tuple[FeeInput, ...]:
    """The line's fees on `returned` of its expected units: a percentage as it is (it is of those units), a
    fixed amount by the share of the units (all of it when every expected unit is returned)."""
    fees: list[FeeInput] = []
    for fee in line.fees.all():
        amount = fee.amount
        if fee.amount_type in _FIXED_FEES:
            amount = prorate(amount, returned, line.quantity_expected, currency)
        if amount > 0:
            fees.append(
                FeeInput(
                    amount=amount,
                    amount_type=fee.amount_type,
                    description=fee.description,
                    reason=fee.reason or line.reason_for_return,
                )
            )
    return tuple(fees)


_FIXED_FEES = (FeeAmountType.AMOUNT_WITHOUT_TAX, FeeAmountType.AMOUNT_WITH_TAX)


def _update_lines(work: list[_Processing], change_order_id: int | None, currency: str) -> list[tuple[int, int]]:
    now = timezone.now()
    change_items: dict[int | None, int] = {}
    if change_order_id is not None:
        change_items = dict(
            OrderItem.objects.filter(order_id=change_order_id).values_list("order_item_summary_id", "pk")
        )
    splits: list[tuple[int, int]] = []
    carried: list[ReturnOrderLineItemFee] = []
    for entry in work:
        line = entry.line
        expected = line.quantity_expected
        remaining = expected - entry.processed
        line.quantity_returned = entry.returned
        line.quantity_rejected = entry.rejected
        line.quantity_canceled = entry.canceled
        line.quantity_received = entry.received
        line.reason_for_rejection = entry.reason_for_rejection
        line.is_processed = True
        line.processed_at = now
        line.change_order_item_id = change_items.get(line.order_item_summary_id) if entry.returned else None
        if remaining > 0:
            line.quantity_expected = entry.processed
            rest = ReturnOrderLineItem.objects.create(
                return_order_id=line.return_order_id,
                order_item_summary_id=line.order_item_summary_id,
                quantity_expected=remaining,
                reason_for_return=line.reason_for_return,
                can_reduce_shipping=line.can_reduce_shipping,
                split_from=line,
            )
            splits.append((line.pk, rest.pk))
            for fee in line.fees.all():
                # The units still expected keep their share of a fixed fee; a percentage goes with them whole.
                amount = fee.amount
                if fee.amount_type in _FIXED_FEES:
                    amount = fee.amount - prorate(fee.amount, entry.processed, expected, currency)
                if amount > 0:
                    carried.append(
                        ReturnOrderLineItemFee(
                            line=rest,
                            amount=amount,
                            amount_type=fee.amount_type,
                            description=fee.description,
                            reason=fee.reason,
                        )
                    )
        line.save()
    ReturnOrderLineItemFee.objects.bulk_create(carried)
    return splits


def _restock(return_order: ReturnOrder, work: list[_Processing], by_id: dict[int, OrderItemSummary]) -> None:
    destination = return_order.destination_location
    if destination is None:
        return
    back: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in work:
        ois = by_id[entry.line.order_item_summary_id]
        if inventory.tracks_stock(destination, ois) and entry.received > entry.rejected:
            back[ois.sku] += entry.received - entry.rejected
    if not back:
        return
    for sku in sorted(back):
        InventoryLevel.objects.get_or_create(location=destination, sku=sku)
    levels = inventory.lock_level_keys((destination.pk, sku) for sku in back)
    for (_, sku), level in levels.items():
        level.quantity_on_hand += back[sku]
    inventory.save_levels(levels.values())


def _close_when_done(return_order: ReturnOrder) -> None:
    lines = list(return_order.lines.all())
    if any(not line.is_processed for line in lines):
        # Its lines changed: the return order counts as modified for the lists integrations poll.
        return_order.save(update_fields=["updated_at"])
        return
    nothing_came_back = all(line.quantity_returned == 0 and line.quantity_rejected == 0 for line in lines)
    return_order.status = ReturnOrderStatus.CANCELED if nothing_came_back else ReturnOrderStatus.CLOSED
    return_order.save(update_fields=["status", "updated_at"])
