"""Locations, stock and fulfillment orders for tests, through the real services."""

from decimal import Decimal

from orders.models import FulfillmentOrder, InventoryLevel, Location
from orders.services.fulfillment_create import (
    FulfillmentGroupInput,
    FulfillmentItemInput,
    FulfillmentOrderInput,
    create_fulfillment_orders,
)
from orders.services.inventory import InventoryInput, set_inventory_levels
from orders.services.locations import LocationInput, create_location


def make_location(reference, *, latitude=None, longitude=None, **extra) -> Location:
    return create_location(
        LocationInput(
            name=extra.pop("name", reference),
            external_reference=reference,
            latitude=None if latitude is None else Decimal(str(latitude)),
            longitude=None if longitude is None else Decimal(str(longitude)),
            **extra,
        )
    )


def stock(reference, **quantities) -> None:
    """stock("WH-1", A=5, B=3): set on-hand quantities at a location."""
    set_inventory_levels([InventoryInput(reference, sku, Decimal(str(q))) for sku, q in quantities.items()])


def level(reference, sku) -> InventoryLevel:
    return InventoryLevel.objects.get(location__external_reference=reference, sku=sku)


def on_hand_reserved(reference, sku) -> tuple[Decimal, Decimal]:
    found = level(reference, sku)
    return found.quantity_on_hand, found.quantity_reserved


def fulfil_input(summary, *groups) -> FulfillmentOrderInput:
    """groups: (location, [(ois, quantity), ...]) pairs, all in the summary's first delivery group."""
    group = summary.delivery_group_summaries.order_by("id").first()
    return FulfillmentOrderInput(
        order_summary_id=summary.pk,
        delivery_group_summary_id=group.pk,
        groups=tuple(
            FulfillmentGroupInput(
                location_id=location.pk,
                fulfillment_type="Warehouse",
                items=tuple(FulfillmentItemInput(ois.pk, Decimal(str(q))) for ois, q in lines),
                reference_id=f"ref-{index}",
            )
            for index, (location, lines) in enumerate(groups)
        ),
    )


def place(summary, *groups) -> list[FulfillmentOrder]:
    return create_fulfillment_orders(fulfil_input(summary, *groups))


def lines_by_sku(order: FulfillmentOrder) -> dict:
    return {line.sku or line.type: line for line in order.lines.all()}
