"""Stock per location and sku: set what is on hand, and reserve, release, consume and restock units.

The reserve/release/consume/restock helpers run inside a caller's transaction on levels it locked
with `lock_levels` (after the order summary and its item summaries, in id order).
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from orders.errors import FieldError, InvalidInput, InvalidState
from orders.models import InventoryLevel, ItemType, Location
from orders.money import QUANTITY_DECIMAL_PLACES, ZERO

MAX_CSV_ROWS = 10_000
MAX_QUANTITY = Decimal("9999999999.99")
CSV_COLUMNS = ("locationExternalReference", "stockKeepingUnit", "quantityOnHand")
MAX_REFERENCE_LENGTH = 255  # Location.external_reference
MAX_QUANTITY_LENGTH = 40  # far more than MAX_QUANTITY written any way


@dataclass(frozen=True)
class InventoryInput:
    location_external_reference: str
    sku: str
    quantity_on_hand: Decimal


def _check_quantity(quantity: object, field: str) -> list[FieldError]:
    if not isinstance(quantity, Decimal) or not quantity.is_finite():
        return [FieldError("Must be a number.", field)]
    if quantity < 0:
        return [FieldError("May not be negative.", field)]
    if quantity > MAX_QUANTITY:
        return [FieldError(f"At most {MAX_QUANTITY}.", field)]
    if quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_DECIMAL_PLACES)):
        return [FieldError(f"At most {QUANTITY_DECIMAL_PLACES} decimal places.", field)]
    return []


def set_inventory_levels(rows: Iterable[InventoryInput], *, path: str = "") -> list[InventoryLevel]:
    """Set quantity on hand for each (location, sku), creating levels as needed; all or nothing.

    Reserved units stay reserved: on hand may not drop below them.
    """
    rows = list(rows)
    errors: list[FieldError] = []
    for index, row in enumerate(rows):
        prefix = f"{path}[{index}]." if path else ""
        if not (row.sku or "").strip():
            errors.append(FieldError("Give the sku.", f"{prefix}stockKeepingUnit"))
        elif len(row.sku.strip()) > 80:
            errors.append(FieldError("At most 80 characters.", f"{prefix}stockKeepingUnit"))
        errors += _check_quantity(row.quantity_on_hand, f"{prefix}quantityOnHand")
    references = {row.location_external_reference for row in rows}
    locations = {
        location.external_reference: location for location in Location.objects.filter(external_reference__in=references)
    }
    for index, row in enumerate(rows):
        if row.location_external_reference not in locations:
            prefix = f"{path}[{index}]." if path else ""
            errors.append(
                FieldError(
                    f"No location {_shown(row.location_external_reference)}.", f"{prefix}locationExternalReference"
                )
            )
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)

    wanted: dict[tuple[int, str], Decimal] = {}
    for row in rows:
        # The last row for a (location, sku) wins, as it would in a spreadsheet applied top to bottom.
        wanted[(locations[row.location_external_reference].pk, row.sku.strip())] = row.quantity_on_hand
    with transaction.atomic():
        for location_id, sku in sorted(wanted):
            InventoryLevel.objects.get_or_create(location_id=location_id, sku=sku)
        levels = lock_level_keys(wanted)
        problems = []
        for key, level in levels.items():
            if wanted[key] < level.quantity_reserved:
                problems.append(
                    FieldError(
                        f"{level.sku} at {level.location.external_reference}: {level.quantity_reserved.normalize():f} "
                        f"units are reserved by open fulfillment orders; on hand cannot be "
                        f"{wanted[key].normalize():f}.",
                        "quantityOnHand",
                    )
                )
            level.quantity_on_hand = wanted[key]
        if problems:
            raise InvalidState(problems[0].message, errors=problems)
        save_levels(levels.values())
    return [levels[key] for key in wanted]


def set_inventory_level(row: InventoryInput) -> InventoryLevel:
    return set_inventory_levels([row])[0]


def _shown(value: str) -> str:
    """A value quoted back in a message, cut short: a message never repeats a 200 kB field."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def parse_inventory_csv(text: str) -> list[InventoryInput]:
    """Rows of a CSV with the header locationExternalReference,stockKeepingUnit,quantityOnHand.

    Anything that is not such a file (NUL bytes, a field longer than any reference, sku or quantity can
    be, an unclosed quote, a row of more or fewer fields) raises InvalidInput naming the line.
    """
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        line_number = text.count("\n", 0, text.index("\x00")) + 1
        raise InvalidInput(f"Line {line_number} has a NUL byte: this is not a text CSV file.", field="file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or [name.strip() for name in header] != list(CSV_COLUMNS):
            raise InvalidInput(f"The first line must be: {','.join(CSV_COLUMNS)}", field="file")
        rows: list[InventoryInput] = []
        errors: list[FieldError] = []
        for record in reader:
            line_number = reader.line_num
            if not any(field.strip() for field in record):
                continue  # a blank line, as spreadsheets leave at the end
            if len(rows) >= MAX_CSV_ROWS:
                raise InvalidInput(f"At most {MAX_CSV_ROWS} rows per file.", field="file")
            if len(record) != len(CSV_COLUMNS):
                errors.append(
                    FieldError(
                        f"Line {line_number} has {len(record)} fields, not {len(CSV_COLUMNS)}.", f"line {line_number}"
                    )
                )
                continue
            reference, sku, raw = (field.strip() for field in record)
            if len(reference) > MAX_REFERENCE_LENGTH:
                errors.append(
                    FieldError(
                        f"Line {line_number}: a location reference has at most {MAX_REFERENCE_LENGTH} characters.",
                        f"line {line_number}",
                    )
                )
                continue
            quantity = None if len(raw) > MAX_QUANTITY_LENGTH else _decimal(raw)
            if quantity is None:
                errors.append(FieldError(f"Line {line_number}: {_shown(raw)} is not a number.", f"line {line_number}"))
                continue
            rows.append(InventoryInput(reference, sku, quantity))
    except csv.Error as error:
        # The line the reader stopped on: an unclosed quote, or a field past csv's field size limit.
        raise InvalidInput(f"Line {reader.line_num} is not valid CSV: {error}.", field="file") from None
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    if not rows:
        raise InvalidInput("The file has no rows.", field="file")
    return rows


def _decimal(raw: str) -> Decimal | None:
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


# --- Inside a fulfillment or return transaction ---------------------------------------------------


def lock_level_keys(keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], InventoryLevel]:
    """Row-lock the levels of the given (location id, sku) pairs in id order; missing ones are absent."""
    keys = set(keys)
    if not keys:
        return {}
    location_ids = {location_id for location_id, _ in keys}
    skus = {sku for _, sku in keys}
    levels = (
        InventoryLevel.objects.select_for_update(of=("self",))
        .select_related("location")
        .filter(location_id__in=location_ids, sku__in=skus)
        .order_by("id")
    )
    return {(level.location_id, level.sku): level for level in levels if (level.location_id, level.sku) in keys}


def reserve(level: InventoryLevel | None, quantity: Decimal, *, location: Location, sku: str) -> None:
    available = level.quantity_available if level is not None else ZERO
    if quantity > available:
        raise InvalidState(
            f"Only {available.normalize():f} of {sku} available at {location.external_reference}; "
            f"asked for {quantity.normalize():f}."
        )
    if level is not None:
        level.quantity_reserved += quantity


def release(level: InventoryLevel | None, quantity: Decimal) -> None:
    if level is not None:
        # A level edited by hand below what was reserved must not make a cancel fail.
        level.quantity_reserved = max(level.quantity_reserved - quantity, ZERO)


def consume(level: InventoryLevel | None, quantity: Decimal) -> None:
    """Shipped units leave the shelf: off hand and out of the reservation."""
    if level is not None:
        level.quantity_reserved = max(level.quantity_reserved - quantity, ZERO)
        level.quantity_on_hand = max(level.quantity_on_hand - quantity, level.quantity_reserved)


def save_levels(levels: Iterable[InventoryLevel]) -> None:
    levels = [level for level in levels if level is not None]
    now = timezone.now()
    for level in levels:
        level.updated_at = now
    if levels:
        InventoryLevel.objects.bulk_update(levels, ["quantity_on_hand", "quantity_reserved", "updated_at"])


class StockItem(Protocol):
    """What tracks_stock reads of an item summary or a fulfillment, return or shipment line."""

    @property
    def sku(self) -> str: ...

    @property
    def type(self) -> str: ...


def tracks_stock(location: Location, item: StockItem) -> bool:
    """Units of a product with a sku (an item summary or a line), at a location that holds inventory,
    are counted; delivery charges and fees never are."""
    return bool(location.is_inventory_location and item.sku and item.type == ItemType.PRODUCT)
