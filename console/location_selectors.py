"""Reads of the location work queues and the hold queue (issue 16)."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from orders.models import (
    OPEN_STATUSES,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatus,
    FulfillmentOrderType,
    ItemType,
    Location,
    OrderHold,
)
from orders.services.fulfillment_status import is_allowed_move

# The moves a store associate or warehouse worker makes from the queue, by name.
QUEUE_MOVES = {
    "accept": (FulfillmentOrderStatus.ASSIGNED, "Accept"),
    "pick": (FulfillmentOrderStatus.PICKPACK, "Start picking"),
    "ready": (FulfillmentOrderStatus.READY_FOR_PICKUP, "Ready for pickup"),
    "collected": (FulfillmentOrderStatus.PICKED_UP, "Picked up by the customer"),
}
PICKUP_ONLY = {"ready", "collected"}


WORKING_ORDER = [
    FulfillmentOrderStatus.ALLOCATED,
    FulfillmentOrderStatus.ASSIGNED,
    FulfillmentOrderStatus.PICKPACK,
    FulfillmentOrderStatus.READY_FOR_PICKUP,
    FulfillmentOrderStatus.PICKED_UP,
]


def queue_moves(order: FulfillmentOrder) -> list[tuple[str, str]]:
    """(action, label) of the moves open to `order` from the queue: forward only, in working order."""
    is_pickup = order.type == FulfillmentOrderType.IN_STORE_PICKUP
    position = WORKING_ORDER.index(order.status) if order.status in WORKING_ORDER else len(WORKING_ORDER)
    moves = []
    for action, (status, label) in QUEUE_MOVES.items():
        if action in PICKUP_ONLY and not is_pickup:
            continue
        if WORKING_ORDER.index(status) <= position or not is_allowed_move(order.status, status):
            continue
        moves.append((action, label))
    return moves


@dataclass
class QueueEntry:
    order: FulfillmentOrder
    lines: list[FulfillmentOrderLineItem]
    moves: list[tuple[str, str]]
    held: bool = False
    rejectable: list[FulfillmentOrderLineItem] = field(default_factory=list)
    shippable: bool = False  # a parcel can be recorded: not a pickup, not held, units left to ship


def locations_of(ids: set[int] | None) -> list[Location]:
    """The locations (all when `ids` is None) with the count of their open fulfillment orders."""
    queryset = Location.objects.all() if ids is None else Location.objects.filter(pk__in=ids)
    return list(
        queryset.annotate(
            open_count=Count("fulfillment_orders", filter=Q(fulfillment_orders__status__in=OPEN_STATUSES))
        ).order_by("name", "id")
    )


def location_queue(location: Location, status: str = "") -> list[QueueEntry]:
    """The location's open fulfillment orders, oldest first (three queries whatever the count)."""
    orders = (
        FulfillmentOrder.objects.filter(location=location, status__in=OPEN_STATUSES)
        .select_related("order_summary")
        .order_by("created_at", "id")
        .prefetch_related(Prefetch("lines", FulfillmentOrderLineItem.objects.order_by("id")))
    )
    if status:
        orders = orders.filter(status=status)
    orders = list(orders)
    holds = OrderHold.objects.filter(
        released_at__isnull=True, order_summary_id__in={o.order_summary_id for o in orders}
    )
    held_summaries, held_lines = set(), set()
    for summary_id, line_id in holds.values_list("order_summary_id", "fulfillment_order_line_id"):
        (held_lines.add(line_id) if line_id else held_summaries.add(summary_id))
    entries = []
    for order in orders:
        lines = list(order.lines.all())
        held = order.order_summary_id in held_summaries or any(line.pk in held_lines for line in lines)
        entries.append(
            QueueEntry(
                order=order,
                lines=lines,
                moves=[] if held else queue_moves(order),
                held=held,
                rejectable=[line for line in lines if line.type == ItemType.PRODUCT and line.quantity > 0],
                shippable=not held
                and order.type != FulfillmentOrderType.IN_STORE_PICKUP
                and any(line.type == ItemType.PRODUCT and line.quantity > line.quantity_shipped for line in lines),
            )
        )
    return entries


def held_orders() -> list[OrderHold]:
    """Every active hold, oldest first, with its order."""
    return list(
        OrderHold.objects.filter(released_at__isnull=True)
        .select_related(
            "order_summary", "held_by", "held_by_client", "rule", "fulfillment_order_line__fulfillment_order"
        )
        .order_by("held_at", "id")[:500]
    )
