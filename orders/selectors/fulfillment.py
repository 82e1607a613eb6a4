"""Read queries of the fulfillment side, with fixed joins and prefetches (query counts do not grow with rows)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet

from orders.cursors import decode_id_cursor, encode_id_cursor
from orders.errors import InvalidInput, NotFound
from orders.models import (
    FINAL_STATUS_CATEGORIES,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatusCategory,
    InventoryLevel,
    ItemType,
    Location,
    ReturnOrder,
    ReturnOrderLineItem,
    Shipment,
)
from orders.money import ZERO
from orders.selectors.summaries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parse_id


def fulfillment_orders_queryset() -> QuerySet:
    """Fulfillment orders with their location, invoice, lines and shipments: four queries for any number of them
    (three while none has shipped). `invoice` is the reverse one-to-one the payments app declares, joined here
    by name so the representation's invoiceId costs nothing."""
    return FulfillmentOrder.objects.select_related("location", "invoice").prefetch_related(
        Prefetch("lines", queryset=FulfillmentOrderLineItem.objects.order_by("id")),
        Prefetch("shipments", queryset=Shipment.objects.order_by("shipped_at", "id").prefetch_related("lines")),
    )


def fulfillment_orders_for_summary(summary_id) -> list[FulfillmentOrder]:
    """An order summary's fulfillment orders, oldest first, with location and lines."""
    return list(fulfillment_orders_queryset().filter(order_summary_id=summary_id).order_by("created_at", "id"))


def return_orders_queryset() -> QuerySet:
    return ReturnOrder.objects.select_related("destination_location").prefetch_related("lines", "lines__fees")


def fulfillment_order_detail(fulfillment_order_id, *, channel_id: int | None) -> FulfillmentOrder:
    """Another channel's fulfillment order, like a missing one, raises NotFound."""
    queryset = fulfillment_orders_queryset().select_related("order_summary")
    if channel_id is not None:
        queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
    pk = parse_id(fulfillment_order_id)
    order = queryset.filter(pk=pk).first() if pk is not None else None
    if order is None:
        raise NotFound(f"No fulfillment order {fulfillment_order_id}.")
    return order


def return_order_detail(return_order_id, *, channel_id: int | None) -> ReturnOrder:
    queryset = return_orders_queryset().select_related("order_summary")
    if channel_id is not None:
        queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
    pk = parse_id(return_order_id)
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFound(f"No return order {return_order_id}.")
    return found


def shipments_of_fulfillment_order(fulfillment_order_id, *, channel_id: int | None) -> list[Shipment]:
    """Another channel's fulfillment order, like a missing one, raises NotFound."""
    queryset = FulfillmentOrder.objects.all()
    if channel_id is not None:
        queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
    pk = parse_id(fulfillment_order_id)
    if pk is None or not queryset.filter(pk=pk).exists():
        raise NotFound(f"No fulfillment order {fulfillment_order_id}.")
    return list(Shipment.objects.filter(fulfillment_order_id=pk).prefetch_related("lines").order_by("shipped_at", "id"))


def shipment_detail(fulfillment_order_id, shipment_id, *, channel_id: int | None) -> Shipment:
    queryset = Shipment.objects.prefetch_related("lines")
    if channel_id is not None:
        queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
    pk, order_pk = parse_id(shipment_id), parse_id(fulfillment_order_id)
    found = (
        queryset.filter(pk=pk, fulfillment_order_id=order_pk).first()
        if pk is not None and order_pk is not None
        else None
    )
    if found is None:
        raise NotFound(f"No shipment {shipment_id} on fulfillment order {fulfillment_order_id}.")
    return found


def location_coordinates(references) -> dict[str, tuple[float, float] | None]:
    """Coordinates of the named locations; None for a location without them, absent when unknown."""
    rows = Location.objects.filter(external_reference__in=set(references)).values_list(
        "external_reference", "latitude", "longitude"
    )
    return {
        reference: (float(latitude), float(longitude)) if latitude is not None and longitude is not None else None
        for reference, latitude, longitude in rows
    }


# --- Lists, keyset-paginated on id ------------------------------------------------------------------


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def page_by_id(queryset: QuerySet, *, cursor: str | None, limit: int | None) -> Page:
    limit = DEFAULT_PAGE_SIZE if limit is None else limit
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}.", field="limit")
    if cursor:
        queryset = queryset.filter(pk__gt=decode_id_cursor(cursor))
    rows = list(queryset.order_by("id")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_id_cursor(rows[-1].pk))
    return Page(rows, None)


def locations_page(*, location_type: str | None = None, cursor: str | None = None, limit: int | None = None) -> Page:
    queryset = Location.objects.all()
    if location_type:
        queryset = queryset.filter(location_type=location_type)
    return page_by_id(queryset, cursor=cursor, limit=limit)


def inventory_levels_page(
    *,
    location_reference: str | None = None,
    sku: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page:
    queryset = InventoryLevel.objects.select_related("location")
    if location_reference:
        queryset = queryset.filter(location__external_reference=location_reference)
    if sku:
        queryset = queryset.filter(sku=sku)
    return page_by_id(queryset, cursor=cursor, limit=limit)


# --- What an order summary did to stock -------------------------------------------------------------


@dataclass(frozen=True)
class InventoryEffect:
    """Units of one sku at one location because of one order summary."""

    location_external_reference: str
    sku: str
    reserved: Decimal  # on open fulfillment orders
    shipped: Decimal  # taken off hand by fulfilled fulfillment orders
    restocked: Decimal  # put back on hand by processed return order lines


def inventory_effects_for_summary(summary_id) -> list[InventoryEffect]:
    """Per (location, sku): reserved, shipped and restocked units of the summary's products (two queries).

    Only product lines at locations that hold inventory count, as in the inventory service.
    """
    effects: dict[tuple[str, str], dict[str, Decimal]] = {}

    def entry(reference, sku):
        return effects.setdefault((reference, sku), {"reserved": ZERO, "shipped": ZERO, "restocked": ZERO})

    fulfillment_lines = (
        FulfillmentOrderLineItem.objects.filter(
            fulfillment_order__order_summary_id=summary_id,
            fulfillment_order__location__is_inventory_location=True,
            type=ItemType.PRODUCT,
            quantity__gt=0,
        )
        .exclude(sku="")
        .values_list(
            "fulfillment_order__location__external_reference", "sku", "fulfillment_order__status_category", "quantity"
        )
    )
    for reference, sku, category, quantity in fulfillment_lines:
        if category == FulfillmentOrderStatusCategory.CLOSED:
            entry(reference, sku)["shipped"] += quantity
        elif category not in FINAL_STATUS_CATEGORIES:
            entry(reference, sku)["reserved"] += quantity
    return_lines = (
        ReturnOrderLineItem.objects.filter(
            return_order__order_summary_id=summary_id,
            return_order__destination_location__is_inventory_location=True,
            order_item_summary__type=ItemType.PRODUCT,
            is_processed=True,
            quantity_received__gt=F("quantity_rejected"),
        )
        .exclude(order_item_summary__sku="")
        .values_list(
            "return_order__destination_location__external_reference",
            "order_item_summary__sku",
            "quantity_received",
            "quantity_rejected",
        )
    )
    for reference, sku, received, rejected in return_lines:
        entry(reference, sku)["restocked"] += received - rejected
    return [InventoryEffect(reference, sku, **values) for (reference, sku), values in sorted(effects.items())]
