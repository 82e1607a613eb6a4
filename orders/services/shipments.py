"""Ship a fulfillment order in parcels, with the carrier's tracking (issue 17 point 4).

`create_shipment` records a parcel: which units of which lines left, the carrier, service and
tracking number, when. No lines means everything left to ship. Once every product unit of the
fulfillment order has shipped, the last shipment moves it to Fulfilled through the status service,
so stock, QuantityFulfilled, the invoice and the capture follow exactly as for a status change.

`update_shipment` records the delivery date later (or corrects the tracking). A shipment's lines
never change: what left, left.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NoReturn
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from orders.calculations.checks import as_decimal, fits_quantity
from orders.errors import (
    EXCEEDS_QUANTITY_TO_SHIP,
    FULFILLMENT_ORDER_HELD,
    FULFILLMENT_ORDER_NOT_OPEN,
    PICKUP_NOT_SHIPPED,
    WHOLE_UNITS_ONLY,
    FieldError,
    InvalidInput,
    InvalidState,
    NotFound,
)
from orders.event_data import emit_shipment_created
from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatus,
    FulfillmentOrderType,
    ItemType,
    Shipment,
    ShipmentLineItem,
)
from orders.money import ZERO
from orders.selectors.summaries import parse_id
from orders.services.actor import Actor
from orders.services.change_flow import actor_fields
from orders.services.fulfillment_cancel import lock_fulfillment_order
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.holds import fulfillment_order_hold

# Clocks of warehouses and carriers drift; a date a few minutes ahead is theirs, not the future.
CLOCK_SKEW = timedelta(minutes=5)
TEXT_LIMITS = {"carrier": 80, "service": 80, "tracking_number": 120, "tracking_url": 2000}
_FIELD_NAMES = {
    "carrier": "carrier",
    "service": "service",
    "tracking_number": "trackingNumber",
    "tracking_url": "trackingUrl",
    "shipped_at": "shippedDate",
    "delivered_at": "deliveredDate",
}


@dataclass(frozen=True)
class ShipmentLineInput:
    fulfillment_order_line_item_id: int | str
    quantity: Decimal


@dataclass(frozen=True)
class ShipmentInput:
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    shipped_at: datetime | None = None  # now when not given
    lines: tuple[ShipmentLineInput, ...] = ()  # empty: every unit left to ship


@dataclass(frozen=True)
class ShipmentUpdate:
    """Only the fields named in `fields` change (so deliveredDate can be cleared with null)."""

    fields: frozenset[str]
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    delivered_at: datetime | None = None


def create_shipment(
    fulfillment_order_id: int | str, data: ShipmentInput, *, actor: Actor = None, channel_id: int | None = None
) -> Shipment:
    """Record one parcel of the fulfillment order; the last one moves it to Fulfilled."""
    _check_text(data)
    shipped_at = data.shipped_at or timezone.now()
    _check_not_future(shipped_at, "shipped_at")
    _check_line_shape(data.lines)
    with transaction.atomic():
        order, _summary, items = lock_fulfillment_order(fulfillment_order_id, channel_id=channel_id)
        _check_can_ship(order)
        lines = {line.pk: line for line in order.lines.all()}
        whole = {ois.pk: ois.quantity_ordered == ois.quantity_ordered.to_integral_value() for ois in items}
        quantities = _quantities(data.lines, lines, whole) if data.lines else _everything_left(order, lines)
        shipment = Shipment.objects.create(
            fulfillment_order=order,
            order_summary_id=order.order_summary_id,
            carrier=data.carrier.strip(),
            service=data.service.strip(),
            tracking_number=data.tracking_number.strip(),
            tracking_url=data.tracking_url.strip(),
            shipped_at=shipped_at,
            **actor_fields(actor),
        )
        ShipmentLineItem.objects.bulk_create(
            ShipmentLineItem(shipment=shipment, fulfillment_order_line_id=pk, quantity=quantity)
            for pk, quantity in sorted(quantities.items())
        )
        for pk, quantity in quantities.items():
            lines[pk].quantity_shipped += quantity
        FulfillmentOrderLineItem.objects.bulk_update([lines[pk] for pk in quantities], ["quantity_shipped"])
        # Before the status change the last parcel makes: a receiver sees the parcel, then Fulfilled.
        emit_shipment_created(shipment)
        if not fulfil_when_all_shipped(order, lines.values()):
            # The fulfillment order changed (what is left to ship): lists polled by modification date see it.
            order.save(update_fields=["updated_at"])
    return shipment


def fulfil_when_all_shipped(order: FulfillmentOrder, lines: Iterable[FulfillmentOrderLineItem]) -> bool:
    """Inside the caller's transaction, with the order locked: once shipments carry every product unit the
    order still holds (after a last parcel, or a cancel or rejection of the units not shipped), the order is
    Fulfilled through the status service. Whether it moved."""
    if not holds_only_shipped_units(order, lines):
        return False
    change_fulfillment_order_status(order.pk, FulfillmentOrderStatus.FULFILLED)
    return True


def holds_only_shipped_units(order: FulfillmentOrder, lines: Iterable[FulfillmentOrderLineItem]) -> bool:
    """An open order whose shipments carry every product unit it still holds (and at least one)."""
    products = [line for line in lines if line.type == ItemType.PRODUCT]
    shipped = any(line.quantity_shipped > 0 for line in products)
    return not order.is_final and shipped and not any(line.quantity_to_ship > 0 for line in products)


def fulfil_all_shipped(fulfillment_order_ids: Iterable[int]) -> None:
    """After a change order took the units not shipped off these orders (AppliedEffects.shipped_in_full), and
    its own writes are saved: each is Fulfilled through the status service (billed and captured after commit)."""
    for fulfillment_order_id in fulfillment_order_ids:
        change_fulfillment_order_status(fulfillment_order_id, FulfillmentOrderStatus.FULFILLED)


def update_shipment(
    fulfillment_order_id: int | str, shipment_id: int | str, data: ShipmentUpdate, *, channel_id: int | None = None
) -> Shipment:
    """Set or clear the delivery date, or correct the carrier and tracking of a shipment."""
    if not data.fields:
        raise InvalidInput("Give at least one field to change.", field=None)
    _check_text(data, only=data.fields)
    if "delivered_at" in data.fields and data.delivered_at is not None:
        _check_not_future(data.delivered_at, "delivered_at")
    with transaction.atomic():
        shipment = _locked_shipment(fulfillment_order_id, shipment_id, channel_id)
        if "delivered_at" in data.fields and data.delivered_at is not None and data.delivered_at < shipment.shipped_at:
            raise InvalidInput("Must not be before the shipment's shippedDate.", field="deliveredDate")
        for name in sorted(data.fields):
            value = getattr(data, name)
            setattr(shipment, name, value.strip() if isinstance(value, str) else value)
        shipment.save(update_fields=[*sorted(data.fields), "last_modified"])
        # The fulfillment order shows its shipments: lists polled by modification date must see the change.
        FulfillmentOrder.objects.filter(pk=shipment.fulfillment_order_id).update(updated_at=shipment.last_modified)
    return shipment


# --- Checks ----------------------------------------------------------------------------------------


def _check_text(data: ShipmentInput | ShipmentUpdate, only: Collection[str] | None = None) -> None:
    errors: list[FieldError] = []
    for name, limit in TEXT_LIMITS.items():
        if only is not None and name not in only:
            continue
        value = getattr(data, name)
        if not isinstance(value, str):
            errors.append(FieldError("Must be a string.", _FIELD_NAMES[name]))
        elif len(value.strip()) > limit:
            errors.append(FieldError(f"At most {limit} characters.", _FIELD_NAMES[name]))
    url = getattr(data, "tracking_url", "")
    if (only is None or "tracking_url" in only) and isinstance(url, str) and url.strip():
        # The console renders it as a link: only web addresses, never javascript: or data:.
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            errors.append(FieldError("Must be an http or https address.", "trackingUrl"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _check_not_future(moment: datetime, name: str) -> None:
    if moment > timezone.now() + CLOCK_SKEW:
        raise InvalidInput("Must not be in the future.", field=_FIELD_NAMES[name])


def _check_line_shape(lines: Sequence[ShipmentLineInput]) -> None:
    errors: list[FieldError] = []
    for index, entry in enumerate(lines):
        path = f"lines[{index}]"
        if parse_id(entry.fulfillment_order_line_item_id) is None:
            errors.append(FieldError("Not a line id.", f"{path}.fulfillmentOrderLineItemId"))
        quantity = as_decimal(entry.quantity)
        if quantity is None:
            errors.append(FieldError("Must be a number.", f"{path}.quantity"))
        elif quantity <= 0:
            errors.append(FieldError("Must be greater than zero.", f"{path}.quantity"))
        elif not fits_quantity(quantity):
            errors.append(FieldError("At most 2 decimal places.", f"{path}.quantity"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _check_can_ship(order: FulfillmentOrder) -> None:
    if order.is_final:
        _refuse(
            f"Fulfillment order {order.number} is {order.status}; nothing more ships from it.",
            FULFILLMENT_ORDER_NOT_OPEN,
        )
    if order.type == FulfillmentOrderType.IN_STORE_PICKUP:
        _refuse(
            f"Pickup {order.number} is collected by the customer, not shipped: move it to Picked Up.",
            PICKUP_NOT_SHIPPED,
        )
    hold = fulfillment_order_hold(order)
    if hold is not None:
        what = "its order summary" if hold.fulfillment_order_line_id is None else "one of its lines"
        _refuse(
            f"Fulfillment order {order.number} cannot ship: {what} is on hold ({hold.reason}).", FULFILLMENT_ORDER_HELD
        )


def _refuse(message: str, code: str, field: str | None = None) -> NoReturn:
    raise InvalidState(message, errors=[FieldError(message, field, code)])


def _quantities(
    entries: Sequence[ShipmentLineInput], lines: dict[int, FulfillmentOrderLineItem], whole: dict[int, bool]
) -> dict[int, Decimal]:
    """Units per line id asked for, checked against what each line has left to ship."""
    wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    errors: list[FieldError] = []
    for index, entry in enumerate(entries):
        path = f"lines[{index}]"
        line_id = parse_id(entry.fulfillment_order_line_item_id)
        line = lines.get(line_id) if line_id is not None else None
        if line is None or line.type != ItemType.PRODUCT:
            errors.append(
                FieldError(
                    "No product line with this id on this fulfillment order.", f"{path}.fulfillmentOrderLineItemId"
                )
            )
            continue
        quantity = Decimal(entry.quantity)
        if whole[line.order_item_summary_id] and quantity != quantity.to_integral_value():
            errors.append(
                FieldError(
                    "Must be a whole number: this item is ordered in whole units.", f"{path}.quantity", WHOLE_UNITS_ONLY
                )
            )
            continue
        wanted[line.pk] += quantity
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    for pk, quantity in wanted.items():
        line = lines[pk]
        if quantity > line.quantity_to_ship:
            _refuse(
                f"Only {line.quantity_to_ship.normalize():f} of {line.sku or line.name} are left to ship on this "
                f"fulfillment order; asked to ship {quantity.normalize():f}.",
                EXCEEDS_QUANTITY_TO_SHIP,
                "lines",
            )
    return dict(wanted)


def _everything_left(order: FulfillmentOrder, lines: dict[int, FulfillmentOrderLineItem]) -> dict[int, Decimal]:
    left = {
        pk: line.quantity_to_ship
        for pk, line in lines.items()
        if line.type == ItemType.PRODUCT and line.quantity_to_ship > 0
    }
    if not left:
        _refuse(f"Nothing is left to ship on fulfillment order {order.number}.", EXCEEDS_QUANTITY_TO_SHIP, "lines")
    return left


def _locked_shipment(fulfillment_order_id: int | str, shipment_id: int | str, channel_id: int | None) -> Shipment:
    pk, order_pk = parse_id(shipment_id), parse_id(fulfillment_order_id)
    shipment = None
    if pk is not None and order_pk is not None:
        queryset = Shipment.objects.select_for_update(of=("self",)).filter(pk=pk, fulfillment_order_id=order_pk)
        if channel_id is not None:
            queryset = queryset.filter(order_summary__sales_channel_id=channel_id)
        shipment = queryset.first()
    if shipment is None:
        raise NotFound(f"No shipment {shipment_id}.")
    return shipment
