"""Great-circle distances and the ranking of location sets by average distance (DOMAIN.md §4.2)."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class DistanceUnit(StrEnum):
    MILES = "mi"
    KILOMETERS = "km"


# Mean Earth radius (IUGG): the haversine formula assumes a sphere, so the mean radius is the
# choice that keeps the error under about 0.5 % everywhere.
EARTH_RADIUS = {DistanceUnit.MILES: 3958.7613, DistanceUnit.KILOMETERS: 6371.0088}

Coordinates = tuple[float, float]


class MissingCoordinates(ValueError):
    """A location in a set has no latitude/longitude, so no distance can be measured."""

    def __init__(self, location: str, set_index: int, position: int):
        super().__init__(f"Location {location!r} has no latitude and longitude.")
        self.location = location
        self.set_index = set_index
        self.position = position


def haversine_distance(origin: Coordinates, destination: Coordinates, unit: str = DistanceUnit.MILES) -> float:
    lat1, lon1 = map(math.radians, map(float, origin))
    lat2, lon2 = map(math.radians, map(float, destination))
    half_chord = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS[DistanceUnit(unit)] * math.asin(min(1.0, math.sqrt(half_chord)))


@dataclass(frozen=True)
class LocationSetDistance:
    locations: tuple[str, ...]
    average_distance: float


def rank_by_average_distance(
    destination: Coordinates,
    location_sets: Sequence[Sequence[str]],
    coordinates: Mapping[str, Coordinates | None],
    *,
    unit: str = DistanceUnit.MILES,
    descending: bool = False,
) -> list[LocationSetDistance]:
    """Each set with the mean distance of its locations to `destination`, nearest first (or farthest).

    Sets at the same distance keep the order they were given in, so the answer is deterministic.
    """
    ranked = []
    for set_index, locations in enumerate(location_sets):
        distances = []
        for position, name in enumerate(locations):
            point = coordinates.get(name)
            if point is None:
                raise MissingCoordinates(name, set_index, position)
            distances.append(haversine_distance(point, destination, unit))
        average = sum(distances) / len(distances) if distances else 0.0
        ranked.append(LocationSetDistance(tuple(locations), average))
    # sorted() is stable, and negating the key keeps ties in input order for DESC as well.
    return sorted(ranked, key=lambda result: -result.average_distance if descending else result.average_distance)
