"""Cancel units on a fulfillment order (cancel-item, DOMAIN.md §2, §3.4, §5.3).

The item summaries keep their units: QuantityAllocated drops, so the units can be placed on another
fulfillment order or canceled. Each canceled unit gives back its share of the line's amounts, and
the location's reservation is released. A fulfillment order left with no product units is Cancelled.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from orders.calculations.checks import as_decimal
from orders.calculations.plan import FulfillmentEffects, FulfillmentLineCancel
from orders.errors import (
    DELIVERY_CHARGE_STRANDED,
    UNITS_SHIPPED,
    WHOLE_UNITS_ONLY,
    FieldError,
    InvalidInput,
    InvalidState,
    NotFound,
)
from orders.event_data import emit_fulfillment_order
from orders.models import (
    FINAL_STATUS_CATEGORIES,
    STATUS_CATEGORY,
    EventType,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatus,
    FulfillmentOrderStatusCategory,
    ItemType,
    OrderItemSummary,
    OrderSummary,
)
from orders.money import ZERO, prorate
from orders.selectors.change_state import get_item_summaries, get_summary
from orders.selectors.summaries import parse_id
from orders.services import inventory
from orders.services.actor import Actor
from orders.services.fulfillment_create import placed_line, unplaced_amounts, update_totals
from orders.services.fulfillment_moves import REASON_MAX_LENGTH, line_gross, record_line_cancels, record_status_move
from orders.services.line_input import check_line_list
from orders.services.summary_refresh import refresh_summary


@dataclass(frozen=True)
class LineToCancel:
    fulfillment_order_line_item_id: int | str
    quantity: Decimal


def cancel_fulfillment_order_items(
    fulfillment_order_id: int | str,
    lines: list[LineToCancel],
    *,
    channel_id: int | None = None,
    reason: str = "",
    actor: Actor = None,
) -> FulfillmentOrder:
    """`reason` and `actor` are kept with each canceled line's move record (fulfillment_moves)."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(f"At most {REASON_MAX_LENGTH} characters.", field="reason")
    check_line_list(lines, "fulfillmentOrderLineItemsToCancel")
    with transaction.atomic():
        order, summary, items = lock_fulfillment_order(fulfillment_order_id, channel_id=channel_id)
        if order.is_final:
            raise InvalidState(f"Fulfillment order {order.number} is {order.status}; nothing can be canceled.")
        order_lines = {line.pk: line for line in order.lines.all()}
        wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
        ordered = {ois.pk: ois.quantity_ordered for ois in items}
        errors: list[FieldError] = []
        for index, entry in enumerate(lines):
            path = f"fulfillmentOrderLineItemsToCancel[{index}]"
            line_id = parse_id(entry.fulfillment_order_line_item_id)
            line = order_lines.get(line_id) if line_id is not None else None
            if line is None:
                errors.append(
                    FieldError("No such line on this fulfillment order.", f"{path}.fulfillmentOrderLineItemId")
                )
                continue
            if _is_whole(ordered[line.order_item_summary_id]) and not _is_whole(entry.quantity):
                errors.append(
                    FieldError(
                        "Must be a whole number: this item is ordered in whole units.",
                        f"{path}.quantity",
                        WHOLE_UNITS_ONLY,
                    )
                )
                continue
            wanted[line.pk] += Decimal(entry.quantity)
        if errors:
            raise InvalidInput(errors[0].message, errors=errors)
        for pk, quantity in wanted.items():
            line = order_lines[pk]
            if quantity > line.quantity:
                raise InvalidState(
                    f"Only {line.quantity.normalize():f} of {line.sku or line.name} are on this fulfillment order; "
                    f"asked to cancel {quantity.normalize():f}.",
                    field="fulfillmentOrderLineItemsToCancel",
                )
        from_status, total_before = order.status, order.grand_total_amount
        gross_before = {pk: line_gross(order_lines[pk]) for pk in wanted}
        products = {pk: quantity for pk, quantity in wanted.items() if order_lines[pk].type == ItemType.PRODUCT}
        # Product units go back to their item summaries (unallocated), to be placed again or canceled.
        cancel_lines(order, list(order_lines.values()), products, items)
        emptied = not any(line.quantity > 0 for line in order_lines.values() if line.type == ItemType.PRODUCT)
        # Delivery charges follow their products (issue #12 point 4): a charge canceled here, and every charge of
        # a fulfillment order left without products, goes back to its group and onto the group's next open
        # fulfillment order; with none, it waits for the group's next new fulfillment order, or (when no product
        # of the group is left to place) the cancel is refused.
        charges = {
            line.pk: wanted.get(line.pk, line.quantity)
            for line in order_lines.values()
            if line.type != ItemType.PRODUCT and line.quantity > 0 and (emptied or line.pk in wanted)
        }
        if charges:
            returned = _return_charges(order, order_lines, charges, items, emptied=emptied)
            reallocated = apply_fulfillment_effects(
                FulfillmentEffects(line_cancels=returned, canceled_orders=(order.pk,) if emptied else ()),
                {ois.pk: ois for ois in items},
            ).reallocated
            OrderItemSummary.objects.bulk_update(reallocated, ["quantity_allocated"])
            order.refresh_from_db()
        else:
            # Totals first: the status change's event carries the order as it is left.
            update_totals(order, list(order_lines.values()))
            if emptied:
                set_status(order, FulfillmentOrderStatus.CANCELLED)
        record_line_cancels(order, from_status, dict(wanted), gross_before, reason=reason, actor=actor)
        if order.status != from_status:
            record_status_move(order, from_status, order.status, total_before, reason=reason, actor=actor)
        refresh_summary(summary, items)
        _fulfil_when_all_shipped(order, order_lines.values())
    return order


def _fulfil_when_all_shipped(order: FulfillmentOrder, lines: Iterable[FulfillmentOrderLineItem]) -> None:
    """What is left after the cancel may all have shipped already: then the order is Fulfilled."""
    # Imported here: the shipments and status services build on this module.
    from orders.services.shipments import fulfil_when_all_shipped

    fulfil_when_all_shipped(order, lines)


def _is_whole(value: object) -> bool:
    number = as_decimal(value)
    return number is not None and number == number.to_integral_value()


def _return_charges(
    order: FulfillmentOrder,
    order_lines: dict[int, FulfillmentOrderLineItem],
    charges: dict[int, Decimal],
    items: list[OrderItemSummary],
    *,
    emptied: bool,
) -> tuple[FulfillmentLineCancel, ...]:
    """Where each delivery-charge line taken off `order` goes: the oldest other open fulfillment order of the
    group (locked here, after `order`), or back to the group when it still has product units to place."""
    others = list(
        FulfillmentOrder.objects.select_for_update()
        .filter(delivery_group_summary_id=order.delivery_group_summary_id, reshipment__isnull=True)
        .exclude(pk=order.pk)
        .exclude(status_category__in=FINAL_STATUS_CATEGORIES)
        .order_by("id")
        .values_list("id", flat=True)
    )
    target = others[0] if others else None
    if target is None and not emptied:
        unplaced = any(
            ois.type == ItemType.PRODUCT
            and ois.delivery_group_summary_id == order.delivery_group_summary_id
            and ois.quantity_available_to_fulfill > 0
            for ois in items
        )
        if not unplaced:
            raise InvalidState(
                f"The delivery charge has nowhere to go: fulfillment order {order.number} is the last of its "
                "delivery group with products. Cancel or adjust the delivery charge on the order summary instead.",
                errors=[
                    FieldError(
                        f"The delivery charge has nowhere to go: fulfillment order {order.number} is the last of its "
                        "delivery group with products. Cancel or adjust the delivery charge on the order summary "
                        "instead.",
                        "fulfillmentOrderLineItemsToCancel",
                        DELIVERY_CHARGE_STRANDED,
                    )
                ],
            )
    return tuple(
        FulfillmentLineCancel(
            line_id=pk,
            fulfillment_order_id=order.pk,
            fulfillment_order_number=order.number,
            item_id=order_lines[pk].order_item_summary_id,
            quantity=quantity,
            returned_to_group=True,
            moved_to_fulfillment_order_id=target,
        )
        for pk, quantity in sorted(charges.items())
    )


class LockedFulfillmentOrder(NamedTuple):
    order: FulfillmentOrder
    summary: OrderSummary
    items: list[OrderItemSummary]


def lock_fulfillment_order(fulfillment_order_id: int | str, *, channel_id: int | None = None) -> LockedFulfillmentOrder:
    """Inside a transaction: the summary, its item summaries by id, then the fulfillment order, locked.

    Another channel's fulfillment order, like a missing one, raises NotFound.
    """
    pk = parse_id(fulfillment_order_id)
    summary_id = None
    if pk is not None:
        queryset = FulfillmentOrder.objects.filter(pk=pk)
        if channel_id is not None:
            queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
        summary_id = queryset.values_list("order_summary_id", flat=True).first()
    if pk is None or summary_id is None:
        raise NotFound(f"No fulfillment order {fulfillment_order_id}.")
    summary = get_summary(summary_id, lock=True)
    items = get_item_summaries(summary, lock=True)
    order = FulfillmentOrder.objects.select_for_update(of=("self",)).select_related("location").get(pk=pk)
    return LockedFulfillmentOrder(order, summary, items)


def cancel_lines(
    order: FulfillmentOrder,
    lines: list[FulfillmentOrderLineItem],
    quantities: dict[int, Decimal],
    items: list[OrderItemSummary],
) -> None:
    """Take `quantities[line id]` units off the lines: amounts back, allocation and reservation released.

    The caller holds the summary and item locks; the inventory levels are locked here, after them.
    """
    changed = take_off_lines(order, lines, quantities)
    by_id = {ois.pk: ois for ois in items}
    # A reshipment's units were never allocated again: canceling them means they were not reshipped.
    counter = "quantity_reshipped" if order.is_reship else "quantity_allocated"
    touched: dict[int, OrderItemSummary] = {}
    for line in changed:
        ois = by_id[line.order_item_summary_id]
        setattr(ois, counter, getattr(ois, counter) - quantities[line.pk])
        touched[ois.pk] = ois
    if touched:
        OrderItemSummary.objects.bulk_update(list(touched.values()), [counter])


_LINE_AMOUNTS = ("total_line_amount", "total_line_tax_amount", "total_adjustment_amount", "total_adjustment_tax_amount")


def take_off_lines(
    order: FulfillmentOrder, lines: list[FulfillmentOrderLineItem], quantities: dict[int, Decimal]
) -> list[FulfillmentOrderLineItem]:
    """The lines' side of a cancel: units and their share of the amounts off, the reservation released,
    the lines saved. The item summaries' allocation is the caller's. Returns the lines changed."""
    changed = [line for line in lines if quantities.get(line.pk, ZERO) > 0]
    if not changed:
        return []
    _check_not_shipped(order, changed, quantities)
    levels = inventory.lock_level_keys(
        (order.location_id, line.sku) for line in changed if inventory.tracks_stock(order.location, line)
    )
    currency = order.currency
    for line in changed:
        quantity = quantities[line.pk]
        for name in _LINE_AMOUNTS:
            amount = getattr(line, name)
            setattr(line, name, amount - prorate(amount, quantity, line.quantity, currency))
        line.quantity -= quantity
        if inventory.tracks_stock(order.location, line):
            inventory.release(levels.get((order.location_id, line.sku)), quantity)
    FulfillmentOrderLineItem.objects.bulk_update(changed, ["quantity", *_LINE_AMOUNTS])
    inventory.save_levels(levels.values())
    return changed


def _check_not_shipped(
    order: FulfillmentOrder, lines: list[FulfillmentOrderLineItem], quantities: dict[int, Decimal]
) -> None:
    """Units that left in a shipment are with the carrier: canceling or rejecting them would put back stock
    and money for goods that are gone."""
    for line in lines:
        if quantities[line.pk] > line.quantity - line.quantity_shipped:
            message = (
                f"{line.quantity_shipped.normalize():f} of {line.sku or line.name} on fulfillment order "
                f"{order.number} have shipped; only the {(line.quantity - line.quantity_shipped).normalize():f} "
                "not shipped can be taken off."
            )
            raise InvalidState(message, errors=[FieldError(message, None, UNITS_SHIPPED)])


class AppliedEffects(NamedTuple):
    # The item summaries whose quantity_allocated changed here, unsaved (the caller saves them).
    reallocated: list[OrderItemSummary]
    # Open fulfillment orders left holding only units already shipped: the caller moves them to Fulfilled
    # (shipments.fulfil_all_shipped) once its own writes are saved.
    shipped_in_full: tuple[int, ...] = ()


def apply_fulfillment_effects(effects: FulfillmentEffects, items: dict[int, OrderItemSummary]) -> AppliedEffects:
    """A cancel's fulfillment-order side (the plan's FulfillmentEffects), under the summary, item and
    fulfillment-order locks: units off the lines (their item summaries' allocation is the change's own),
    delivery charges of emptied fulfillment orders back to the group and onto the group's next open
    fulfillment order, emptied fulfillment orders Cancelled, roll-ups saved.

    Returns the item summaries whose quantity_allocated changed here, unsaved (the caller saves them)."""
    if not effects.line_cancels:
        return AppliedEffects([])
    order_ids = {cancel.fulfillment_order_id for cancel in effects.line_cancels}
    order_ids |= {
        cancel.moved_to_fulfillment_order_id
        for cancel in effects.line_cancels
        if cancel.moved_to_fulfillment_order_id is not None
    }
    orders = FulfillmentOrder.objects.select_related("location").in_bulk(sorted(order_ids))
    lines_of: dict[int, list[FulfillmentOrderLineItem]] = defaultdict(list)
    for line in FulfillmentOrderLineItem.objects.filter(fulfillment_order_id__in=order_ids).order_by("id"):
        lines_of[line.fulfillment_order_id].append(line)
    by_source: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for cancel in effects.line_cancels:
        by_source[cancel.fulfillment_order_id][cancel.line_id] = cancel.quantity
    before = {
        line.pk: tuple(getattr(line, name) for name in _LINE_AMOUNTS)
        for cancel in effects.line_cancels
        if cancel.returned_to_group
        for line in lines_of[cancel.fulfillment_order_id]
        if line.pk == cancel.line_id
    }
    for order_id, quantities in sorted(by_source.items()):
        take_off_lines(orders[order_id], lines_of[order_id], quantities)
    touched: dict[int, OrderItemSummary] = {}
    moved = []
    for cancel in effects.line_cancels:
        if not cancel.returned_to_group:
            continue
        ois = items[cancel.item_id]
        ois.quantity_allocated -= cancel.quantity
        touched[ois.pk] = ois
        target = cancel.moved_to_fulfillment_order_id
        if target is None:
            continue
        source = next(line for line in lines_of[cancel.fulfillment_order_id] if line.pk == cancel.line_id)
        after = tuple(getattr(source, name) for name in _LINE_AMOUNTS)
        amounts = dict(
            zip(_LINE_AMOUNTS, (was - now for was, now in zip(before[source.pk], after, strict=True)), strict=True)
        )
        line = FulfillmentOrderLineItem(
            fulfillment_order_id=target,
            order_item_summary_id=ois.pk,
            type=source.type,
            sku=source.sku,
            name=source.name,
            unit_price=source.unit_price,
            original_quantity=cancel.quantity,
            quantity=cancel.quantity,
            **amounts,
        )
        moved.append(line)
        lines_of[target].append(line)
        ois.quantity_allocated += cancel.quantity
    FulfillmentOrderLineItem.objects.bulk_create(moved)
    for order_id in sorted(order_ids):
        update_totals(orders[order_id], lines_of[order_id])
    for order_id in effects.canceled_orders:
        set_status(orders[order_id], FulfillmentOrderStatus.CANCELLED)
    from orders.services.shipments import holds_only_shipped_units

    shipped_in_full = tuple(
        order_id for order_id in sorted(by_source) if holds_only_shipped_units(orders[order_id], lines_of[order_id])
    )
    return AppliedEffects(list(touched.values()), shipped_in_full)


def place_waiting_charges(summary: OrderSummary, items: list[OrderItemSummary]) -> list[OrderItemSummary]:
    """A delivery charge taken off a fulfillment order waits in its group for the group's next one (issue
    12 point 4). Once no product of the group is left to place, no new fulfillment order will come for it:
    it then rides on the group's oldest open fulfillment order that still holds products, as a canceled
    charge line does, so it is invoiced with them ("delivery follows its products"). Without it, canceling
    the group's last unplaced units left the charge on the summary's grand total, never invoiced.

    Under the summary and item locks (the fulfillment orders are locked here, after them); `items` carry
    their new values. Returns the item summaries whose allocation changed, unsaved (the caller saves them).
    A group with nothing left to ship at all never gets here with a waiting charge: the cancel that left it
    so canceled the charge with its last product (orders.calculations.reductions)."""
    to_place = [
        charge
        for charge in items
        if charge.type == ItemType.DELIVERY_CHARGE
        and charge.quantity_available_to_fulfill > 0
        and not any(
            product.type == ItemType.PRODUCT
            and product.delivery_group_summary_id == charge.delivery_group_summary_id
            and product.quantity_available_to_fulfill > 0
            for product in items
        )
    ]
    if not to_place:
        return []
    groups = sorted({charge.delivery_group_summary_id for charge in to_place})
    holding = (
        FulfillmentOrderLineItem.objects.filter(
            fulfillment_order__order_summary=summary,
            fulfillment_order__delivery_group_summary_id__in=groups,
            fulfillment_order__reshipment__isnull=True,
            type=ItemType.PRODUCT,
            quantity__gt=0,
        )
        .exclude(fulfillment_order__status_category__in=FINAL_STATUS_CATEGORIES)
        .values_list("fulfillment_order_id", flat=True)
    )
    targets: dict[int, FulfillmentOrder] = {}
    for order in FulfillmentOrder.objects.select_for_update().filter(pk__in=list(holding)).order_by("id"):
        targets.setdefault(order.delivery_group_summary_id, order)
    placed = [charge for charge in to_place if charge.delivery_group_summary_id in targets]
    if not placed:
        return []
    unplaced = unplaced_amounts(summary, placed)
    rows = []
    for charge in placed:
        units = charge.quantity_available_to_fulfill
        rows.append(placed_line(targets[charge.delivery_group_summary_id], charge, units, unplaced[charge.pk]))
        charge.quantity_allocated += units
    FulfillmentOrderLineItem.objects.bulk_create(rows)
    for order in {row.fulfillment_order_id: row.fulfillment_order for row in rows}.values():
        update_totals(order, list(FulfillmentOrderLineItem.objects.filter(fulfillment_order=order)))
    return placed


def settle_line_residues(summary: OrderSummary, items: list[OrderItemSummary]) -> None:
    """After a change took amounts off items with units on open fulfillment orders (a cancel of allocated
    units, a shipping reduction of an allocated delivery charge): an item with no unit left to place must
    have every cent on its fulfillment-order lines, or the cent would never be invoiced (or be invoiced
    twice). What `unplaced_amounts` still finds unplaced for such an item goes onto its newest open line.

    `items` carry their new values (saved or not); no query when no item is in fulfillment."""
    candidates = [
        ois
        for ois in items
        if ois.quantity_available_to_fulfill == 0 and ois.quantity_allocated > ois.quantity_fulfilled
    ]
    if not candidates:
        return
    residues = {pk: amounts for pk, amounts in unplaced_amounts(summary, candidates).items() if not amounts.is_zero}
    if not residues:
        return
    newest: dict[int, FulfillmentOrderLineItem] = {}
    for line in (
        FulfillmentOrderLineItem.objects.filter(
            order_item_summary_id__in=residues, quantity__gt=0, fulfillment_order__reshipment__isnull=True
        )
        .exclude(fulfillment_order__status_category__in=FINAL_STATUS_CATEGORIES)
        .order_by("id")
    ):
        newest[line.order_item_summary_id] = line
    changed = []
    for pk, residue in residues.items():
        last = newest.get(pk)
        if last is None:
            continue
        for name, delta in zip(
            _LINE_AMOUNTS, (residue.line, residue.line_tax, residue.adjustment, residue.adjustment_tax), strict=True
        ):
            setattr(last, name, getattr(last, name) + delta)
        changed.append(last)
    if not changed:
        return
    FulfillmentOrderLineItem.objects.bulk_update(changed, list(_LINE_AMOUNTS))
    orders = FulfillmentOrder.objects.in_bulk(sorted({line.fulfillment_order_id for line in changed}))
    for order_id, order in orders.items():
        update_totals(order, list(FulfillmentOrderLineItem.objects.filter(fulfillment_order_id=order_id)))


def set_status(order: FulfillmentOrder, status: str) -> None:
    """Move to `status` and stamp when the order was activated, fulfilled, canceled or rejected."""
    now = timezone.now()
    order.status = status
    order.status_category = STATUS_CATEGORY[status]
    fields = ["status", "status_category", "updated_at"]
    stamps = {
        FulfillmentOrderStatusCategory.ACTIVATED: "activated_at",
        FulfillmentOrderStatusCategory.CLOSED: "fulfilled_at",
        FulfillmentOrderStatusCategory.CANCELLED: "canceled_at",
        FulfillmentOrderStatusCategory.REJECTED: "rejected_at",
    }
    stamp = stamps.get(order.status_category)
    if stamp and getattr(order, stamp) is None:
        setattr(order, stamp, now)
        fields.append(stamp)
    if order.status_category != FulfillmentOrderStatusCategory.DRAFT and order.activated_at is None:
        order.activated_at = now
        fields.append("activated_at")
    order.save(update_fields=sorted(set(fields)))
    emit_fulfillment_order(order, EventType.FULFILLMENT_ORDER_STATUS_CHANGED)
