"""Move a fulfillment order through the statuses of DOMAIN.md §5.3.

DRAFT → ACTIVATED → FULFILLING → CLOSED, forward only (a step may be skipped, e.g. Allocated →
Fulfilled); moves between the FULFILLING statuses are free; DRAFT, ACTIVATED and FULFILLING may go to
CANCELLED or REJECTED. CLOSED, CANCELLED and REJECTED are final. Asking for the status the order
already has changes nothing, so a retried request is harmless.

Reaching Fulfilled adds each line's units to QuantityFulfilled and takes them off hand at the
location; Cancelled and Rejected release every line as cancel-item would.
"""

from django.db import transaction

from orders.automation import fulfillment_order_fulfilled
from orders.errors import InvalidInput, InvalidState
from orders.models import (
    FINAL_STATUS_CATEGORIES,
    STATUS_CATEGORY,
    FulfillmentOrder,
    FulfillmentOrderStatus,
    FulfillmentOrderStatusCategory,
    OrderItemSummary,
)
from orders.services import inventory
from orders.services.fulfillment_cancel import cancel_lines, lock_fulfillment_order, set_status
from orders.services.fulfillment_create import update_totals
from orders.services.summary_refresh import refresh_summary

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


def change_fulfillment_order_status(fulfillment_order_id, status: str, *,
                                    channel_id: int | None = None) -> FulfillmentOrder:
    if status not in FulfillmentOrderStatus.values:
        raise InvalidInput(f"Must be one of {', '.join(FulfillmentOrderStatus.values)}.", field="status")
    with transaction.atomic():
        order, summary, items = lock_fulfillment_order(fulfillment_order_id, channel_id=channel_id)
        if order.status == status:
            return order
        if not is_allowed_move(order.status, status):
            raise InvalidState(f"Fulfillment order {order.number} cannot go from {order.status} to {status}.",
                               field="status")
        lines = list(order.lines.all())
        new_category = STATUS_CATEGORY[status]
        if new_category == FulfillmentOrderStatusCategory.CLOSED:
            _fulfil(order, lines, items)
            fulfillment_order_fulfilled(order)
        elif new_category in _RELEASING:
            cancel_lines(order, lines, {line.pk: line.quantity for line in lines}, items)
            update_totals(order, lines)
        set_status(order, status)
        refresh_summary(summary, items)
    return order


def _fulfil(order: FulfillmentOrder, lines, items) -> None:
    by_id = {ois.pk: ois for ois in items}
    shipping = [line for line in lines if line.quantity > 0]
    levels = inventory.lock_level_keys(
        (order.location_id, line.sku) for line in shipping if inventory.tracks_stock(order.location, line)
    )
    touched = {}
    for line in shipping:
        ois = by_id[line.order_item_summary_id]
        ois.quantity_fulfilled += line.quantity
        touched[ois.pk] = ois
        if inventory.tracks_stock(order.location, line):
            inventory.consume(levels.get((order.location_id, line.sku)), line.quantity)
    OrderItemSummary.objects.bulk_update(list(touched.values()), ["quantity_fulfilled"])
    inventory.save_levels(levels.values())
