"""Create fulfillment orders: place units of item summaries on locations (DOMAIN.md §2, §3.4).

Each fulfillment group becomes one fulfillment order at one location. Its lines take their share of
the item summary's amounts not yet placed on other fulfillment order lines; the delivery charge of
the group goes whole onto the first fulfillment order. QuantityAllocated grows by the units placed
and the location's inventory reserves them.

Locks, in this order: the order summary, its item summaries by id, the inventory levels by id.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.calculations.state import Amounts
from orders.errors import FieldError, InvalidInput, InvalidState, NotFound, ServiceError
from orders.event_data import emit_fulfillment_order
from orders.models import (
    ChangeType,
    EventType,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatus,
    FulfillmentOrderStatusCategory,
    FulfillmentOrderType,
    FulfillmentPhase,
    ItemType,
    Location,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemSummary,
    OrderKind,
    OrderSummary,
    Reshipment,
)
from orders.models.fields import MoneySum
from orders.money import ZERO, prorate
from orders.rollups import ROLLUP_FIELDS, compute_rollups
from orders.selectors.change_state import get_item_summaries, get_summary
from orders.selectors.summaries import parse_id
from orders.services import inventory
from orders.services.actor import Actor
from orders.services.change_flow import actor_fields
from orders.services.line_input import quantity_errors
from orders.services.summary_refresh import refresh_summary

MAX_GROUPS = 50
MAX_ITEMS_PER_GROUP = 500


@dataclass(frozen=True)
class FulfillmentItemInput:
    order_item_summary_id: int | str
    quantity: Decimal


@dataclass(frozen=True)
class FulfillmentGroupInput:
    location_id: int | str
    fulfillment_type: str
    items: tuple[FulfillmentItemInput, ...]
    reference_id: str = ""


@dataclass(frozen=True)
class FulfillmentOrderInput:
    order_summary_id: int | str
    delivery_group_summary_id: int | str
    groups: tuple[FulfillmentGroupInput, ...]


@dataclass(frozen=True)
class GroupResult:
    """One fulfillment group of create-multiple: created, or refused with its errors."""

    reference_id: str
    fulfillment_order_id: int | None
    errors: tuple[dict[str, str | None], ...] = ()

    @property
    def success(self) -> bool:
        return self.fulfillment_order_id is not None


def create_fulfillment_orders(
    data: FulfillmentOrderInput,
    *,
    actor: Actor = None,
    channel_id: int | None = None,
    prefix: str = "",
    group_offset: int = 0,
) -> list[FulfillmentOrder]:
    """One fulfillment order per group, all or nothing. `channel_id` hides other channels' summaries."""
    _check_shape(data, prefix, group_offset)
    summary_id = _visible_summary_id(data.order_summary_id, channel_id, prefix)
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True)
        if not summary.is_managed:
            raise InvalidState(
                "This order summary is unmanaged; it cannot be fulfilled here.", field=f"{prefix}orderSummaryId"
            )
        items = get_item_summaries(summary, lock=True)
        creation = _Creation(summary, items, actor)
        orders = creation.create(data, prefix, group_offset)
        refresh_summary(summary, items)
    return orders


def create_multiple_fulfillment_orders(
    inputs: list[FulfillmentOrderInput], *, actor: Actor = None, channel_id: int | None = None
) -> list[GroupResult]:
    """Each fulfillment group succeeds or fails on its own, in its own transaction."""
    if not inputs:
        raise InvalidInput("Give at least one fulfillment order.", field="fulfillmentOrders")
    results: list[GroupResult] = []
    for index, data in enumerate(inputs):
        prefix = f"fulfillmentOrders[{index}]."
        if not data.groups:
            error = InvalidInput("Give at least one fulfillment group.", field=f"{prefix}fulfillmentGroups")
            results.append(GroupResult("", None, tuple(error.as_error_list())))
            continue
        for group_index, group in enumerate(data.groups):
            try:
                created = create_fulfillment_orders(
                    replace(data, groups=(group,)),
                    actor=actor,
                    channel_id=channel_id,
                    prefix=prefix,
                    group_offset=group_index,
                )
            except ServiceError as error:
                results.append(GroupResult(group.reference_id, None, tuple(error.as_error_list())))
            else:
                results.append(GroupResult(group.reference_id, created[0].pk))
    return results


# --- Checks that need no database -----------------------------------------------------------------


def _check_shape(data: FulfillmentOrderInput, prefix: str, group_offset: int) -> None:
    errors: list[FieldError] = []
    if not data.groups:
        errors.append(FieldError("Give at least one fulfillment group.", f"{prefix}fulfillmentGroups"))
    elif len(data.groups) > MAX_GROUPS:
        errors.append(FieldError(f"At most {MAX_GROUPS} fulfillment groups.", f"{prefix}fulfillmentGroups"))
    for index, group in enumerate(data.groups[:MAX_GROUPS]):
        path = f"{prefix}fulfillmentGroups[{group_offset + index}]"
        if group.fulfillment_type not in FulfillmentOrderType.values:
            errors.append(
                FieldError(f"Must be one of {', '.join(FulfillmentOrderType.values)}.", f"{path}.fulfillmentType")
            )
        if parse_id(group.location_id) is None:
            errors.append(FieldError("Not a location id.", f"{path}.fulfilledFromLocationId"))
        if len(group.reference_id or "") > 80:
            errors.append(FieldError("At most 80 characters.", f"{path}.referenceId"))
        if not group.items:
            errors.append(FieldError("Give at least one item.", f"{path}.orderItemSummaries"))
        elif len(group.items) > MAX_ITEMS_PER_GROUP:
            errors.append(FieldError(f"At most {MAX_ITEMS_PER_GROUP} items.", f"{path}.orderItemSummaries"))
        for item_index, item in enumerate(group.items[:MAX_ITEMS_PER_GROUP]):
            item_path = f"{path}.orderItemSummaries[{item_index}]"
            if parse_id(item.order_item_summary_id) is None:
                errors.append(FieldError("Not an order item summary id.", f"{item_path}.orderItemSummaryId"))
            errors.extend(quantity_errors(item.quantity, f"{item_path}.quantity"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _visible_summary_id(raw_id: int | str, channel_id: int | None, prefix: str) -> int:
    pk = parse_id(raw_id)
    queryset = OrderSummary.objects.filter(pk=pk or 0)
    if channel_id is not None:
        queryset = queryset.filter(sales_channel_id=channel_id)
    if pk is None or not queryset.exists():
        raise NotFound(f"No order summary {raw_id}.", field=f"{prefix}orderSummaryId")
    return pk


# --- The work, under the locks ---------------------------------------------------------------------


def unplaced_amounts(summary: OrderSummary, items: list[OrderItemSummary]) -> dict[int, Amounts]:
    """Per item summary: its current amounts not yet on fulfillment order lines (§3.4).

    Lines keep the amounts frozen at allocation, while returns and in- or post-fulfillment discounts
    change the item's current amounts for units already placed; those changes are added back so
    they do not take from the units still to place. Two queries.
    """
    ids = [ois.pk for ois in items]
    placed = {
        row["order_item_summary_id"]: Amounts(
            row["line"] or ZERO, row["line_tax"] or ZERO, row["adjustment"] or ZERO, row["adjustment_tax"] or ZERO
        )
        for row in FulfillmentOrderLineItem.objects.filter(order_item_summary_id__in=ids)
        .values("order_item_summary_id")
        .annotate(
            line=MoneySum("total_line_amount"),
            line_tax=MoneySum("total_line_tax_amount"),
            adjustment=MoneySum("total_adjustment_amount"),
            adjustment_tax=MoneySum("total_adjustment_tax_amount"),
        )
        .order_by()
    }
    after_placement = {
        row["order_item_summary_id"]: Amounts(
            row["line"] or ZERO, row["line_tax"] or ZERO, row["adjustment"] or ZERO, row["adjustment_tax"] or ZERO
        )
        for row in OrderItem.objects.filter(
            Q(order__change_type=ChangeType.RETURN)
            | Q(
                order__change_type=ChangeType.ADJUST,
                order__fulfillment_phase__in=[FulfillmentPhase.IN, FulfillmentPhase.POST],
            ),
            order__kind=OrderKind.CHANGE,
            order__order_summary=summary,
            order_item_summary_id__in=ids,
        )
        .values("order_item_summary_id")
        .annotate(
            line=MoneySum("line_amount"),
            line_tax=MoneySum("line_tax_amount"),
            adjustment=MoneySum("adjustment_amount"),
            adjustment_tax=MoneySum("adjustment_tax_amount"),
        )
        .order_by()
    }
    result: dict[int, Amounts] = {}
    for ois in items:
        current = Amounts(
            ois.total_line_amount,
            ois.total_line_tax_amount,
            ois.total_adjustment_amount,
            ois.total_adjustment_tax_amount,
        )
        result[ois.pk] = current - placed.get(ois.pk, Amounts()) - after_placement.get(ois.pk, Amounts())
    return result


def line_share(unplaced: Amounts, quantity: Decimal, available: Decimal, currency: str) -> Amounts:
    """The share of the unplaced amounts that `quantity` of `available` units take (all of it for all)."""
    share = Amounts(
        *(
            prorate(value, quantity, available, currency)
            for value in (unplaced.line, unplaced.line_tax, unplaced.adjustment, unplaced.adjustment_tax)
        )
    )
    # Charges never below zero and discounts never above it, whatever rounding left behind.
    return Amounts(
        max(share.line, ZERO), max(share.line_tax, ZERO), min(share.adjustment, ZERO), min(share.adjustment_tax, ZERO)
    )


def create_reship_fulfillment_orders(
    summary: OrderSummary,
    items: list[OrderItemSummary],
    data: FulfillmentOrderInput,
    reshipment: Reshipment,
    actor: Actor,
) -> list[FulfillmentOrder]:
    """A reshipment's fulfillment orders, under the caller's summary and item locks (orders.services.reships
    checked the units against QuantityAvailableToReship): stock reserved as for any fulfillment order, but
    no delivery charge, zero amounts and no allocation, for those units were sold and shipped once already."""
    return _Creation(summary, items, actor, reshipment=reshipment).create(data, "", 0)


class _Creation:
    def __init__(
        self,
        summary: OrderSummary,
        items: list[OrderItemSummary],
        actor: Actor,
        *,
        reshipment: Reshipment | None = None,
    ) -> None:
        self.summary = summary
        self.items = {ois.pk: ois for ois in items}
        self.actor = actor_fields(actor)
        self.now = timezone.now()
        self.reshipment = reshipment

    def create(self, data: FulfillmentOrderInput, prefix: str, group_offset: int) -> list[FulfillmentOrder]:
        group = self._delivery_group(data.delivery_group_summary_id, prefix)
        locations = Location.objects.in_bulk([parse_id(g.location_id) for g in data.groups])
        wanted = self._check_items(data, group, locations, prefix, group_offset)

        # Stock, checked for the request as a whole: two groups at one location share its units.
        needed: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        for index, fulfillment_group in enumerate(data.groups):
            location = locations[parse_id(fulfillment_group.location_id)]
            for ois, quantity in wanted[index]:
                if inventory.tracks_stock(location, ois):
                    needed[(location.pk, ois.sku)] += quantity
        levels = inventory.lock_level_keys(needed)
        for (location_id, sku), quantity in needed.items():
            inventory.reserve(levels.get((location_id, sku)), quantity, location=locations[location_id], sku=sku)

        reship = self.reshipment is not None
        unplaced = {} if reship else unplaced_amounts(self.summary, list(self.items.values()))
        orders = []
        for index, fulfillment_group in enumerate(data.groups):
            location = locations[parse_id(fulfillment_group.location_id)]
            lines = wanted[index] + ([] if reship else self._delivery_charges(group))
            orders.append(self._write(group, location, fulfillment_group, lines, unplaced))
        inventory.save_levels(levels.values())
        if not reship:
            OrderItemSummary.objects.bulk_update(list(self.items.values()), ["quantity_allocated"])
        return orders

    def _delivery_group(self, raw_id: int | str, prefix: str) -> OrderDeliveryGroupSummary:
        pk = parse_id(raw_id)
        group = OrderDeliveryGroupSummary.objects.filter(pk=pk, order_summary=self.summary).first() if pk else None
        if group is None:
            raise InvalidInput(
                f"No delivery group {raw_id} on this order summary.", field=f"{prefix}orderDeliveryGroupSummaryId"
            )
        return group

    def _check_items(
        self,
        data: FulfillmentOrderInput,
        group: OrderDeliveryGroupSummary,
        locations: dict[int, Location],
        prefix: str,
        group_offset: int,
    ) -> list[list[tuple[OrderItemSummary, Decimal]]]:
        errors: list[FieldError] = []
        wanted: list[list[tuple[OrderItemSummary, Decimal]]] = []
        combined: dict[int, Decimal] = defaultdict(lambda: ZERO)
        last_path: dict[int, str] = {}
        for index, fulfillment_group in enumerate(data.groups):
            path = f"{prefix}fulfillmentGroups[{group_offset + index}]"
            if parse_id(fulfillment_group.location_id) not in locations:
                errors.append(
                    FieldError(f"No location {fulfillment_group.location_id}.", f"{path}.fulfilledFromLocationId")
                )
            group_items: list[tuple[OrderItemSummary, Decimal]] = []
            for item_index, item in enumerate(fulfillment_group.items):
                item_path = f"{path}.orderItemSummaries[{item_index}]"
                ois = self.items.get(parse_id(item.order_item_summary_id) or 0)
                if ois is None or ois.delivery_group_summary_id != group.pk:
                    errors.append(FieldError("No such item in this delivery group.", f"{item_path}.orderItemSummaryId"))
                    continue
                if ois.type != ItemType.PRODUCT:
                    errors.append(
                        FieldError(
                            f"Only products are placed by request; this is a {ois.type} (delivery charges follow "
                            "the first fulfillment order of their group).",
                            f"{item_path}.orderItemSummaryId",
                        )
                    )
                    continue
                quantity = Decimal(item.quantity)
                combined[ois.pk] += quantity
                last_path[ois.pk] = f"{item_path}.quantity"
                group_items.append((ois, quantity))
            wanted.append(group_items)
        if errors:
            raise InvalidInput(errors[0].message, errors=errors)
        problems: list[FieldError] = []
        for pk, quantity in [] if self.reshipment is not None else combined.items():
            ois = self.items[pk]
            if quantity > ois.quantity_available_to_fulfill:
                problems.append(
                    FieldError(
                        f"Only {ois.quantity_available_to_fulfill.normalize():f} of {ois.sku or ois.name} can be "
                        f"fulfilled; asked for {quantity.normalize():f}.",
                        last_path[pk],
                    )
                )
        if problems:
            raise InvalidState(problems[0].message, errors=problems)
        return wanted

    def _delivery_charges(self, group: OrderDeliveryGroupSummary) -> list[tuple[OrderItemSummary, Decimal]]:
        """The group's delivery charges not yet placed: they go whole onto this fulfillment order."""
        return [
            (ois, ois.quantity_available_to_fulfill)
            for ois in self.items.values()
            if ois.delivery_group_summary_id == group.pk
            and ois.type == ItemType.DELIVERY_CHARGE
            and ois.quantity_available_to_fulfill > 0
        ]

    def _write(
        self,
        group: OrderDeliveryGroupSummary,
        location: Location,
        fulfillment_group: FulfillmentGroupInput,
        lines: list[tuple[OrderItemSummary, Decimal]],
        unplaced: dict[int, Amounts],
    ) -> FulfillmentOrder:
        summary = self.summary
        order = FulfillmentOrder.objects.create(
            order_summary=summary,
            delivery_group_summary=group,
            location=location,
            type=fulfillment_group.fulfillment_type,
            status=FulfillmentOrderStatus.ALLOCATED,
            status_category=FulfillmentOrderStatusCategory.ACTIVATED,
            reference_id=fulfillment_group.reference_id or "",
            currency=summary.currency,
            tax_locale_type=summary.tax_locale_type,
            recipient_name=group.recipient_name,
            recipient_email=group.email,
            recipient_phone=group.phone,
            street=group.street,
            city=group.city,
            state=group.state,
            postal_code=group.postal_code,
            country=group.country,
            delivery_method=group.delivery_method,
            activated_at=self.now,
            reshipment=self.reshipment,
            **self.actor,
        )
        rows: list[FulfillmentOrderLineItem] = []
        for ois, quantity in lines:
            if self.reshipment is not None:
                share = Amounts()
            else:
                share = line_share(unplaced[ois.pk], quantity, ois.quantity_available_to_fulfill, summary.currency)
                unplaced[ois.pk] = unplaced[ois.pk] - share
                ois.quantity_allocated += quantity
            rows.append(placed_line(order, ois, quantity, share))
        FulfillmentOrderLineItem.objects.bulk_create(rows)
        update_totals(order, rows)
        emit_fulfillment_order(order, EventType.FULFILLMENT_ORDER_CREATED)
        return order


def placed_line(
    order: FulfillmentOrder, ois: OrderItemSummary, quantity: Decimal, share: Amounts
) -> FulfillmentOrderLineItem:
    """A new line of `order` placing `quantity` units of the item summary with their share of its amounts."""
    return FulfillmentOrderLineItem(
        fulfillment_order=order,
        order_item_summary=ois,
        type=ois.type,
        sku=ois.sku,
        name=ois.name,
        unit_price=ois.unit_price,
        original_quantity=quantity,
        quantity=quantity,
        total_line_amount=share.line,
        total_line_tax_amount=share.line_tax,
        total_adjustment_amount=share.adjustment,
        total_adjustment_tax_amount=share.adjustment_tax,
    )


def update_totals(order: FulfillmentOrder, lines: Iterable[FulfillmentOrderLineItem]) -> None:
    """The fulfillment order's roll-ups over its lines, saved."""
    for name, value in compute_rollups(lines, order.tax_locale_type).items():
        setattr(order, name, value)
    order.save(update_fields=[*ROLLUP_FIELDS, "updated_at"])
