"""Great-circle distances and ranking (DOMAIN.md §4.2), checked against arithmetic done by hand."""

import math

import pytest

from orders.routing import haversine_distance, postal_code_coordinates, rank_by_average_distance
from orders.routing.distance import MissingCoordinates

SPRINGFIELD_IL = (39.8, -89.6495)  # 62701
CHICAGO = (41.8858, -87.6181)  # 60601
NEW_YORK = (40.7484, -73.9967)  # 10001
BOSTON = (42.3576, -71.0684)  # 02108
BEVERLY_HILLS = (34.0901, -118.4065)  # 90210


def test_postal_codes_from_the_offline_data_set():
    assert postal_code_coordinates("US", "62701") == SPRINGFIELD_IL
    assert postal_code_coordinates("us", "10001-1234") == NEW_YORK
    assert postal_code_coordinates("US", "02108") == BOSTON
    assert postal_code_coordinates("US", "99999") is None
    assert postal_code_coordinates("US", "ABCDE") is None
    assert postal_code_coordinates("DE", "10115") is None


def test_one_degree_along_a_meridian():
    # Same longitude: distance = R × Δlat in radians = 3958.7613 × π/180 = 69.0934 mi; 6371.0088 × π/180 = 111.1951 km.
    assert haversine_distance((40.0, -74.0), (41.0, -74.0), "mi") == pytest.approx(69.0934, abs=1e-4)
    assert haversine_distance((40.0, -74.0), (41.0, -74.0), "km") == pytest.approx(111.1951, abs=1e-4)


def test_springfield_to_chicago():
    # Δlat = 2.0858° = 0.036404 rad, Δlon = 2.0314° = 0.035455 rad
    # sin²(Δlat/2) = 0.00033128; cos(39.8°) = 0.76828; cos(41.8858°) = 0.74448; sin²(Δlon/2) = 0.00031422
    # h = 0.00033128 + 0.76828 × 0.74448 × 0.00031422 = 0.00051100
    # c = 2 asin(√h) = 2 asin(0.022605) = 0.045215 rad
    # → 3958.7613 × 0.045215 = 178.99 mi, 6371.0088 × 0.045215 = 288.06 km
    assert haversine_distance(SPRINGFIELD_IL, CHICAGO, "mi") == pytest.approx(178.99, abs=0.01)
    assert haversine_distance(SPRINGFIELD_IL, CHICAGO, "km") == pytest.approx(288.06, abs=0.01)


def test_new_york_to_boston_and_beverly_hills():
    # NY→Boston: h = sin²(0.014043) + 0.75758 × 0.73895 × sin²(0.025554) = 0.00019719 + 0.55981 × 0.00065288
    #           = 0.00056268; c = 2 asin(0.023721) = 0.047446 → × 3958.7613 = 187.83 mi
    assert haversine_distance(NEW_YORK, BOSTON) == pytest.approx(187.83, abs=0.01)
    # NY→Beverly Hills: h = 0.0033724 + 0.75758 × 0.82816 × 0.14282 = 0.092980; c = 2 asin(0.30493) = 0.61972
    #           → × 3958.7613 = 2453.32 mi (the usual "about 2,450 miles")
    assert haversine_distance(NEW_YORK, BEVERLY_HILLS) == pytest.approx(2453.32, abs=0.01)


def test_rank_by_average_distance_from_a_zip_code():
    coordinates = {"NYC": NEW_YORK, "BOS": BOSTON, "LAX": BEVERLY_HILLS, "CHI": CHICAGO}
    destination = postal_code_coordinates("US", "10001")
    ranked = rank_by_average_distance(destination, [["LAX"], ["BOS", "NYC"], ["NYC"], ["CHI", "BOS"]], coordinates)
    # NY→Chicago: h = sin²(0.0099257) + 0.56400 × sin²(0.11887) = 0.00009852 + 0.56400 × 0.014063 = 0.0080303;
    #             c = 2 asin(0.089612) = 0.17947 → × 3958.7613 = 710.46 mi
    # NYC alone: 0; BOS+NYC: (187.83 + 0) / 2 = 93.91; CHI+BOS: (710.46 + 187.83) / 2 = 449.14; LAX 2453.32
    assert [r.locations for r in ranked] == [("NYC",), ("BOS", "NYC"), ("CHI", "BOS"), ("LAX",)]
    assert ranked[0].average_distance == pytest.approx(0.0, abs=1e-9)
    assert ranked[1].average_distance == pytest.approx(93.91, abs=0.01)
    assert ranked[2].average_distance == pytest.approx(449.14, abs=0.01)
    descending = rank_by_average_distance(destination, [["NYC"], ["LAX"]], coordinates, descending=True)
    assert [r.locations for r in descending] == [("LAX",), ("NYC",)]


def test_ties_keep_input_order_both_ways():
    coordinates = {"A": (10.0, 10.0), "B": (10.0, 10.0)}
    for descending in (False, True):
        ranked = rank_by_average_distance((0.0, 0.0), [["B"], ["A"]], coordinates, descending=descending)
        assert [r.locations for r in ranked] == [("B",), ("A",)]


def test_location_without_coordinates_is_named():
    with pytest.raises(MissingCoordinates) as caught:
        rank_by_average_distance((0.0, 0.0), [["A"], ["A", "B"]], {"A": (1.0, 1.0), "B": None})
    assert (caught.value.location, caught.value.set_index, caught.value.position) == ("B", 1, 1)


def test_antipodes_do_not_overflow_asin():
    # Half the circumference: π × 6371.0088 = 20015.09 km.
    assert haversine_distance((0.0, 0.0), (0.0, 180.0), "km") == pytest.approx(math.pi * 6371.0088, abs=1e-6)
