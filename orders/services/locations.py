"""Create locations and location groups (DOMAIN.md §1, Fulfillment)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from orders.errors import Conflict, FieldError, InvalidInput
from orders.models import Location, LocationGroup, LocationType


@dataclass(frozen=True)
class LocationInput:
    name: str
    external_reference: str
    location_type: str = LocationType.WAREHOUSE
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    is_inventory_location: bool = True
    group_references: tuple[str, ...] = ()


def _check(data: LocationInput) -> None:
    errors = []
    if not (data.name or "").strip():
        errors.append(FieldError("A location needs a name.", "name"))
    if not (data.external_reference or "").strip():
        errors.append(FieldError("A location needs an external reference.", "externalReference"))
    if data.location_type not in LocationType.values:
        errors.append(FieldError(f"Must be one of {', '.join(LocationType.values)}.", "locationType"))
    if (data.latitude is None) != (data.longitude is None):
        errors.append(FieldError("Give both latitude and longitude, or neither.", "latitude"))
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        errors.append(FieldError("Must be between -90 and 90.", "latitude"))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        errors.append(FieldError("Must be between -180 and 180.", "longitude"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def create_location(data: LocationInput) -> Location:
    _check(data)
    groups = list(LocationGroup.objects.filter(external_reference__in=data.group_references))
    unknown = sorted(set(data.group_references) - {group.external_reference for group in groups})
    if unknown:
        raise InvalidInput(f"No location group {unknown[0]!r}.", field="locationGroups")
    reference = data.external_reference.strip()
    existing = Location.objects.filter(external_reference=reference).values_list("pk", flat=True).first()
    if existing is not None:
        raise Conflict(
            f"A location with external reference {reference!r} exists.",
            field="externalReference",
            output={"locationId": str(existing)},
        )
    try:
        with transaction.atomic():
            location = Location.objects.create(
                name=data.name.strip(),
                external_reference=reference,
                location_type=data.location_type,
                street=data.street,
                city=data.city,
                state=data.state,
                postal_code=data.postal_code,
                country=(data.country or "").upper(),
                latitude=data.latitude,
                longitude=data.longitude,
                is_inventory_location=data.is_inventory_location,
            )
            if groups:
                location.groups.add(*groups)
    except IntegrityError:
        # Another request created the same reference between our check and our insert.
        raise Conflict(f"A location with external reference {reference!r} exists.", field="externalReference") from None
    return location
