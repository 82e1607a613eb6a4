"""Route an order summary automatically (DOMAIN.md §4.3, first step): fewest splits, then nearest.

For each delivery group with units still to place, the locations holding the skus are searched for
the smallest sets that can ship the group together; among those the set nearest the recipient wins,
and its fulfillment orders are created through the same service the API calls. When no set can ship
a group, a Fulfillment process exception is raised on the summary and nothing else changes.

Issue 16: the sales channel's routing policy (admin) sets the split limit, which location groups may
ship and whether stores may; locations that rejected units of the summary are never chosen again; a
Pickup group goes only to its pickup store, as an In Store Pickup fulfillment order; a summary on hold
is not routed; each run that finds units to place counts one routing attempt on the summary.
"""

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from orders.errors import InvalidState, ServiceError
from orders.event_data import emit_process_exception_created
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    DeliveryMethodType,
    FulfillmentOrderType,
    InventoryLevel,
    ItemType,
    Location,
    LocationType,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderSummary,
    ProcessException,
    ProcessExceptionCategory,
    ProcessExceptionSeverity,
    RoutingExclusion,
    RoutingPolicy,
)
from orders.money import ZERO
from orders.routing import (
    RoutingSearchTooLarge,
    find_routes_with_fewest_splits,
    postal_code_coordinates,
    rank_by_average_distance,
)
from orders.routing.distance import Coordinates
from orders.selectors.change_state import get_item_summaries, get_summary
from orders.services.fulfillment_create import (
    FulfillmentGroupInput,
    FulfillmentItemInput,
    FulfillmentOrderInput,
    create_fulfillment_orders,
)
from orders.services.holds import summary_hold

logger = logging.getLogger(__name__)

# More than this many locations for one delivery group is a shipment nobody wants: ask a person.
# A channel's routing policy (admin) may say otherwise.
MAX_SPLITS = RoutingPolicy.DEFAULT_MAX_SPLITS

FULFILLMENT_TYPE_OF_LOCATION: dict[str, FulfillmentOrderType] = {
    LocationType.WAREHOUSE: FulfillmentOrderType.WAREHOUSE,
    LocationType.STORE: FulfillmentOrderType.RETAIL_STORE,
    LocationType.SUPPLIER: FulfillmentOrderType.SUPPLIER,
}


@dataclass(frozen=True)
class RoutingOutcome:
    fulfillment_order_ids: tuple[int, ...] = ()
    unrouted_group_ids: tuple[int, ...] = ()
    routing_attempt_count: int = 0
    on_hold: bool = False


@dataclass(frozen=True)
class Policy:
    """What routing may use for one summary: the channel's policy and the locations it excludes."""

    max_splits: int = MAX_SPLITS
    ship_from_store: bool = True
    location_group_ids: tuple[int, ...] = ()
    excluded_location_ids: frozenset[int] = frozenset()


def routing_policy(summary: OrderSummary) -> Policy:
    found = RoutingPolicy.objects.filter(sales_channel_id=summary.sales_channel_id).first()
    excluded = frozenset(RoutingExclusion.objects.filter(order_summary=summary).values_list("location_id", flat=True))
    if found is None:
        return Policy(excluded_location_ids=excluded)
    groups = tuple(found.shipping_location_groups.filter(is_enabled=True).values_list("pk", flat=True))
    if not groups and found.shipping_location_groups.exists():
        groups = (0,)  # only disabled groups chosen: nothing may ship
    return Policy(found.max_splits, found.ship_from_store, groups, excluded)


def route_order_summary(summary_id: int, *, channel_id: int | None = None, on_demand: bool = False) -> RoutingOutcome:
    """Place every unplaced product unit of a managed summary; safe to run twice.

    The summary stays locked for the whole routing, so a second run waits and then finds nothing
    left to place. A summary on hold is left alone (on demand: 409). `on_demand` is the Route again
    action of a person or an integration: an unmanaged summary answers 409 instead of nothing.
    """
    created: list[int] = []
    unrouted: list[int] = []
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        if not summary.is_managed:
            if on_demand:
                raise InvalidState(f"Order summary {summary.order_number} is unmanaged: it is not routed.")
            return RoutingOutcome()
        if summary_hold(summary.pk) is not None:
            if on_demand:
                raise InvalidState(f"Order summary {summary.order_number} is on hold: release the hold to route it.")
            return RoutingOutcome(routing_attempt_count=summary.routing_attempt_count, on_hold=True)
        items = get_item_summaries(summary, lock=True)
        open_units = defaultdict(list)
        for ois in items:
            if ois.type == ItemType.PRODUCT and ois.quantity_available_to_fulfill > 0:
                open_units[ois.delivery_group_summary_id].append(ois)
        if not open_units:
            return RoutingOutcome(routing_attempt_count=summary.routing_attempt_count)
        summary.routing_attempt_count += 1
        OrderSummary.objects.filter(pk=summary.pk).update(routing_attempt_count=summary.routing_attempt_count)
        policy = routing_policy(summary)
        groups = OrderDeliveryGroupSummary.objects.select_related("pickup_location").in_bulk(list(open_units))
        for group_id in sorted(open_units):
            group = groups[group_id]
            if group.delivery_method_type == DeliveryMethodType.PICKUP:
                plan = plan_pickup(group, open_units[group_id], policy)
                store = group.pickup_location
                assert store is not None, "a Pickup group names its store (a CheckConstraint of the group)"
                failure = (
                    f"Pickup store {store.external_reference} cannot take these units.",
                    _pickup_shortfall(group, open_units[group_id], policy),
                )
            else:
                plan = plan_group(group, open_units[group_id], policy)
                failure = ("No location set can ship this delivery group.", _shortfall(open_units[group_id], policy))
            if plan is None:
                unrouted.append(group_id)
                _raise_exception(summary, group, *failure)
                continue
            try:
                # A savepoint: a refused group leaves the others' fulfillment orders in place.
                with transaction.atomic():
                    orders = create_fulfillment_orders(plan)
            except ServiceError as error:
                unrouted.append(group_id)
                _raise_exception(summary, group, "Routing found locations but placing the units failed.", error.message)
                continue
            created += [order.pk for order in orders]
    return RoutingOutcome(tuple(created), tuple(unrouted), summary.routing_attempt_count)


def _to_place(ois: OrderItemSummary, quantities: dict[int, Decimal] | None) -> Decimal:
    """The units of `ois` to place: those given (a reshipment's), else all still unallocated."""
    return quantities[ois.pk] if quantities is not None else ois.quantity_available_to_fulfill


def _ordered(items: Sequence[OrderItemSummary], quantities: dict[int, Decimal] | None = None) -> dict[str, Decimal]:
    ordered: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ois in items:
        ordered[ois.sku] += _to_place(ois, quantities)
    return ordered


def plan_pickup(
    group: OrderDeliveryGroupSummary, items: Sequence[OrderItemSummary], policy: Policy = Policy()
) -> FulfillmentOrderInput | None:
    """The whole group at its pickup store, or None: a pickup is never sent anywhere else."""
    store = group.pickup_location
    if store is None or store.pk in policy.excluded_location_ids or any(not ois.sku for ois in items):
        return None
    ordered = _ordered(items)
    if store.is_inventory_location:
        stock = {
            level.sku: level.quantity_available
            for level in InventoryLevel.objects.filter(location=store, sku__in=list(ordered))
        }
        if any(stock.get(sku, ZERO) < quantity for sku, quantity in ordered.items()):
            return None
    return FulfillmentOrderInput(
        order_summary_id=group.order_summary_id,
        delivery_group_summary_id=group.pk,
        groups=(
            FulfillmentGroupInput(
                location_id=store.pk,
                fulfillment_type=FulfillmentOrderType.IN_STORE_PICKUP,
                items=tuple(
                    FulfillmentItemInput(ois.pk, ois.quantity_available_to_fulfill)
                    for ois in sorted(items, key=lambda each: each.pk)
                ),
                reference_id=f"pickup-{store.external_reference}"[:80],
            ),
        ),
    )


def plan_group(
    group: OrderDeliveryGroupSummary,
    items: Sequence[OrderItemSummary],
    policy: Policy = Policy(),
    quantities: dict[int, Decimal] | None = None,
) -> FulfillmentOrderInput | None:
    """Where the group's units go: `quantities` per item summary id, or every unallocated unit of `items`."""
    if any(not ois.sku for ois in items):
        return None
    ordered = _ordered(items, quantities)
    levels = InventoryLevel.objects.filter(sku__in=list(ordered), location__is_inventory_location=True)
    if policy.excluded_location_ids:
        levels = levels.exclude(location_id__in=policy.excluded_location_ids)
    if not policy.ship_from_store:
        levels = levels.exclude(location__location_type=LocationType.STORE)
    if policy.location_group_ids:
        levels = levels.filter(
            location_id__in=Location.groups.through.objects.filter(
                locationgroup_id__in=policy.location_group_ids
            ).values("location_id")
        )
    levels = levels.select_related("location").order_by("location__external_reference", "sku")
    available: dict[str, dict[str, Decimal]] = defaultdict(dict)
    locations: dict[str, Location] = {}
    for level in levels:
        if level.quantity_available > 0:
            available[level.location.external_reference][level.sku] = level.quantity_available
            locations[level.location.external_reference] = level.location
    try:
        routes = find_routes_with_fewest_splits(ordered, available, policy.max_splits)
    except RoutingSearchTooLarge:
        return None
    if not routes:
        return None
    chosen = _nearest(group, routes, locations)
    return _fulfillment_input(group, items, chosen, available, locations, quantities)


def _destination(group: OrderDeliveryGroupSummary) -> Coordinates | None:
    if group.latitude is not None and group.longitude is not None:
        return float(group.latitude), float(group.longitude)
    return postal_code_coordinates(group.country, group.postal_code)


def _nearest(
    group: OrderDeliveryGroupSummary, routes: list[tuple[str, ...]], locations: Mapping[str, Location]
) -> tuple[str, ...]:
    """The route nearest the recipient; the first route when distance cannot be measured."""
    destination = _destination(group)
    coordinates = _coordinates(locations)
    measurable = [route for route in routes if all(name in coordinates for name in route)]
    if destination is None or not measurable:
        return routes[0]
    return rank_by_average_distance(destination, measurable, coordinates)[0].locations


def _coordinates(locations: Mapping[str, Location]) -> dict[str, Coordinates]:
    """Where each location is, for those whose place is known."""
    return {
        name: (float(location.latitude), float(location.longitude))
        for name, location in locations.items()
        if location.latitude is not None and location.longitude is not None
    }


def _fulfillment_input(
    group: OrderDeliveryGroupSummary,
    items: Sequence[OrderItemSummary],
    route: tuple[str, ...],
    available: Mapping[str, Mapping[str, Decimal]],
    locations: Mapping[str, Location],
    quantities: dict[int, Decimal] | None = None,
) -> FulfillmentOrderInput:
    """Split the units over the chosen locations, nearest first when known, item summaries by id."""
    destination = _destination(group)
    order = list(route)
    coordinates = _coordinates({name: locations[name] for name in order})
    if destination is not None and len(coordinates) == len(order):
        order = [
            result.locations[0]
            for result in rank_by_average_distance(destination, [[name] for name in order], coordinates)
        ]
    stock = {name: dict(available[name]) for name in order}
    placed: dict[str, list[FulfillmentItemInput]] = defaultdict(list)
    for ois in sorted(items, key=lambda each: each.pk):
        remaining = _to_place(ois, quantities)
        for name in order:
            take = min(remaining, stock[name].get(ois.sku, ZERO))
            if take > 0:
                placed[name].append(FulfillmentItemInput(ois.pk, take))
                stock[name][ois.sku] -= take
                remaining -= take
            if remaining == 0:
                break
    return FulfillmentOrderInput(
        order_summary_id=group.order_summary_id,
        delivery_group_summary_id=group.pk,
        groups=tuple(
            FulfillmentGroupInput(
                location_id=locations[name].pk,
                fulfillment_type=FULFILLMENT_TYPE_OF_LOCATION.get(
                    locations[name].location_type, FulfillmentOrderType.WAREHOUSE
                ),
                items=tuple(placed[name]),
                reference_id=f"auto-{name}"[:80],
            )
            for name in order
            if placed[name]
        ),
    )


def _wanted(items: Sequence[OrderItemSummary]) -> str:
    return ", ".join(f"{ois.sku or ois.name} × {ois.quantity_available_to_fulfill.normalize():f}" for ois in items)


def _shortfall(items: Sequence[OrderItemSummary], policy: Policy = Policy()) -> str:
    excluded = (
        f" {len(policy.excluded_location_ids)} location(s) rejected units of this order and are not used."
        if policy.excluded_location_ids
        else ""
    )
    return (
        f"Units to place: {_wanted(items)}.{excluded} Add stock or raise the split limit ({policy.max_splits}), "
        "then route again."
    )


def _pickup_shortfall(group: OrderDeliveryGroupSummary, items: Sequence[OrderItemSummary], policy: Policy) -> str:
    if group.pickup_location_id in policy.excluded_location_ids:
        why = "The store rejected units of this order."
    else:
        why = "The store does not hold enough stock."
    return f"Units to place: {_wanted(items)}. {why} Add stock at the store and route again, or cancel the units."


def _raise_exception(summary: OrderSummary, group: OrderDeliveryGroupSummary, message: str, description: str) -> None:
    """One active exception per delivery group and message: routing again does not pile them up."""
    group_type = ContentType.objects.get_for_model(OrderDeliveryGroupSummary)
    already = ProcessException.objects.filter(
        order_summary=summary,
        category=ProcessExceptionCategory.FULFILLMENT,
        attached_to_type=group_type,
        attached_to_id=str(group.pk),
        message=message,
        status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES,
    ).exists()
    if already:
        return
    exception = ProcessException.objects.create(
        order_summary=summary,
        attached_to_type=group_type,
        attached_to_id=str(group.pk),
        category=ProcessExceptionCategory.FULFILLMENT,
        severity=ProcessExceptionSeverity.HIGH,
        priority=ProcessExceptionSeverity.HIGH,
        message=message,
        description=description,
    )
    emit_process_exception_created(exception)
    active = ProcessException.objects.filter(
        order_summary=summary, status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES
    ).count()
    OrderSummary.objects.filter(pk=summary.pk).update(active_process_exception_count=active)
    summary.active_process_exception_count = active
    logger.warning("Order summary %s: %s %s", summary.pk, message, description)
