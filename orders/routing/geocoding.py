"""US postal codes to coordinates from the data set the `zipcodes` package ships (no network)."""

import re
from functools import lru_cache

import zipcodes

from .distance import Coordinates

_US_ZIP = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")
GEOCODED_COUNTRIES = frozenset({"US"})


def postal_code_coordinates(country: str, postal_code: str) -> Coordinates | None:
    """Latitude and longitude of a postal code, or None when the code is unknown or not geocodable.

    Only US codes are in the offline data set; ZIP+4 codes are looked up by their first five digits.
    """
    if (country or "").strip().upper() not in GEOCODED_COUNTRIES:
        return None
    match = _US_ZIP.match(postal_code or "")
    if match is None:
        return None
    return _us_zip_coordinates(match.group(1))


@lru_cache(maxsize=4096)
def _us_zip_coordinates(zip5: str) -> Coordinates | None:
    try:
        found = zipcodes.matching(zip5)
    except (TypeError, ValueError):
        return None
    for entry in found:
        if entry.get("lat") and entry.get("long"):
            return float(entry["lat"]), float(entry["long"])
    return None
