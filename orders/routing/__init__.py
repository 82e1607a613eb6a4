"""Routing algorithms of DOMAIN.md §4.1-4.2: pure functions over plain data, no database."""

from .distance import DistanceUnit, LocationSetDistance, haversine_distance, rank_by_average_distance
from .fewest_splits import MAX_ROUTES, RoutingSearchTooLarge, find_routes_with_fewest_splits
from .geocoding import postal_code_coordinates

__all__ = [
    "MAX_ROUTES",
    "DistanceUnit",
    "LocationSetDistance",
    "RoutingSearchTooLarge",
    "find_routes_with_fewest_splits",
    "haversine_distance",
    "postal_code_coordinates",
    "rank_by_average_distance",
]
