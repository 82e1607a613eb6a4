"""Move a fulfillment order through the statuses of DOMAIN.md §5.3.

DRAFT → ACTIVATED → FULFILLING → CLOSED, forward only (a step may be skipped, e.g. Allocated →
Fulfilled); moves between the FULFILLING statuses are free; DRAFT, ACTIVATED and FULFILLING may go to
CANCELLED or REJECTED. CLOSED, CANCELLED and REJECTED are final. Asking for the status the order
already has changes nothing, so a retried request is harmless.

Reaching Fulfilled adds each line's units to QuantityFulfilled and takes them off hand at the
location; Cancelled and Rejected release every line as cancel-item would.

Issue 16: an In Store Pickup fulfillment order goes Allocated → Pickpack → Ready for Pickup → Picked Up
(Picked Up is its Fulfilled: units fulfilled, invoice and capture follow); the pickup statuses are for
pickups only and a pickup never becomes Fulfilled. A fulfillment order on hold (its summary or one of
its lines) may not move forward. Rejected records the location as excluded for the summary and re-routes
the released units (see fulfillment_reject).
"""

from django.db import transaction
from django.utils import timezone

from orders.automation import fulfillment_order_fulfilled
from orders.errors import InvalidInput, InvalidState
from orders.models import (
    FINAL_STATUS_CATEGORIES,
    STATUS_CATEGORY,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatus,
    FulfillmentOrderStatusCategory,
    FulfillmentOrderType,
    ItemType,
    OrderItemSummary,
)
from orders.services import inventory
from orders.services.actor import Actor
from orders.services.fulfillment_cancel import cancel_lines, lock_fulfillment_order, set_status
from orders.services.fulfillment_create import update_totals
from orders.services.fulfillment_moves import record_status_move
from orders.services.fulfillment_reject import REASON_MAX_LENGTH, exclude_and_reroute, reject_lines
from orders.services.holds import fulfillment_order_hold
from orders.services.summary_refresh import refresh_summary

PICKUP_ONLY_STATUSES = (FulfillmentOrderStatus.READY_FOR_PICKUP, FulfillmentOrderStatus.PICKED_UP)

_FORWARD = {
    FulfillmentOrderStatusCategory.DRAFT: 0,
    FulfillmentOrderStatusCategory.ACTIVATED: 1,
    FulfillmentOrderStatusCategory.FULFILLING: 2,
    FulfillmentOrderStatusCategory.CLOSED: 3,
}
_RELEASING = (FulfillmentOrderStatusCategory.CANCELLED, FulfillmentOrderStatusCategory.REJECTED)


def is_allowed_move(current: str, new: str) -> bool:
    """Whether status `current` may become `new` (both FulfillmentOrderStatus values, different)."""
    current_category, new_category = STATUS_CATEGORY[current], STATUS_CATEGORY[new]
    if current_category in FINAL_STATUS_CATEGORIES:
        return False
    if new_category in _RELEASING:
        return True
    return _FORWARD[new_category] >= _FORWARD[current_category]


def check_type_allows(order: FulfillmentOrder, status: str) -> None:
    is_pickup = order.type == FulfillmentOrderType.IN_STORE_PICKUP
    if status in PICKUP_ONLY_STATUSES and not is_pickup:
        raise InvalidState(
            f"{status} is for In Store Pickup fulfillment orders; {order.number} is {order.type}.", field="status"
        )
    if status == FulfillmentOrderStatus.FULFILLED and is_pickup:
        raise InvalidState(
            f"Pickup {order.number} is fulfilled when the customer collects it: use Picked Up.", field="status"
        )


def check_not_held(order: FulfillmentOrder, status: str) -> None:
    """Forward moves (into FULFILLING or CLOSED) wait while the order or one of its lines is on hold."""
    if STATUS_CATEGORY[status] not in (
        FulfillmentOrderStatusCategory.FULFILLING,
        FulfillmentOrderStatusCategory.CLOSED,
    ):
        return
    hold = fulfillment_order_hold(order)
    if hold is not None:
        what = "its order summary" if hold.fulfillment_order_line_id is None else "one of its lines"
        raise InvalidState(
            f"Fulfillment order {order.number} cannot move to {status}: {what} is on hold ({hold.reason}).",
            field="status",
        )


def change_fulfillment_order_status(
    fulfillment_order_id: int | str,
    status: str,
    *,
    channel_id: int | None = None,
    reason: str = "",
    actor: Actor = None,
) -> FulfillmentOrder:
    """`reason` and `actor` are kept with the move (fulfillment_moves), and for Rejected on each product
    line rejected (fulfillment_reject)."""
    if status not in FulfillmentOrderStatus.values:
        raise InvalidInput(f"Must be one of {', '.join(FulfillmentOrderStatus.values)}.", field="status")
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(f"At most {REASON_MAX_LENGTH} characters.", field="reason")
    with transaction.atomic():
        order, summary, items = lock_fulfillment_order(fulfillment_order_id, channel_id=channel_id)
        if order.status == status:
            return order
        if not is_allowed_move(order.status, status):
            raise InvalidState(
                f"Fulfillment order {order.number} cannot go from {order.status} to {status}.", field="status"
            )
        check_type_allows(order, status)
        check_not_held(order, status)
        from_status, total_before = order.status, order.grand_total_amount
        lines = list(order.lines.all())
        new_category = STATUS_CATEGORY[status]
        if new_category == FulfillmentOrderStatusCategory.CLOSED:
            _fulfil(order, lines, items)
            fulfillment_order_fulfilled(order)
        elif new_category in _RELEASING:
            if status == FulfillmentOrderStatus.REJECTED:
                # Every product unit refused with the one reason; the delivery charge only goes back.
                reject_lines(
                    order,
                    lines,
                    {
                        line.pk: [(line.quantity, reason)]
                        for line in lines
                        if line.type == ItemType.PRODUCT and line.quantity > 0
                    },
                    items,
                    actor=actor,
                )
            cancel_lines(order, lines, {line.pk: line.quantity for line in lines}, items)
            update_totals(order, lines)
        if status == FulfillmentOrderStatus.READY_FOR_PICKUP and order.ready_for_pickup_at is None:
            order.ready_for_pickup_at = timezone.now()
            FulfillmentOrder.objects.filter(pk=order.pk).update(ready_for_pickup_at=order.ready_for_pickup_at)
        set_status(order, status)
        record_status_move(order, from_status, status, total_before, reason=reason, actor=actor)
        refresh_summary(summary, items)
        if status == FulfillmentOrderStatus.REJECTED:
            exclude_and_reroute(order, summary, reason or "Rejected the fulfillment order")
    return order


def _fulfil(order: FulfillmentOrder, lines: list[FulfillmentOrderLineItem], items: list[OrderItemSummary]) -> None:
    by_id = {ois.pk: ois for ois in items}
    shipping = [line for line in lines if line.quantity > 0]
    levels = inventory.lock_level_keys(
        (order.location_id, line.sku) for line in shipping if inventory.tracks_stock(order.location, line)
    )
    touched: dict[int, OrderItemSummary] = {}
    for line in shipping:
        # A reshipment's units were fulfilled once already: they only leave the shelf (issue 15).
        if not order.is_reship:
            ois = by_id[line.order_item_summary_id]
            ois.quantity_fulfilled += line.quantity
            touched[ois.pk] = ois
        if inventory.tracks_stock(order.location, line):
            inventory.consume(levels.get((order.location_id, line.sku)), line.quantity)
    if touched:
        OrderItemSummary.objects.bulk_update(list(touched.values()), ["quantity_fulfilled"])
    inventory.save_levels(levels.values())
