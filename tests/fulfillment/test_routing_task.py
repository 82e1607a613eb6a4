"""Automatic routing (DOMAIN.md §4.3): fewest splits, then nearest; a process exception when no route."""

from decimal import Decimal as D

import pytest

from orders.models import FulfillmentOrder, ProcessException, ProcessExceptionCategory
from orders.routing_tasks import route_order_summary, schedule_routing
from tests.builders import ingest, order_body, worked_example_body
from tests.fulfillment.helpers import lines_by_sku, make_location, on_hand_reserved, stock

pytestmark = pytest.mark.django_db

# Delivery goes to 62701 (Springfield, IL: 39.80, −89.65).
CHICAGO = {"latitude": "41.8858", "longitude": "-87.6181"}  # 179 mi away
NEW_YORK = {"latitude": "40.7484", "longitude": "-73.9967"}  # about 850 mi away
ST_LOUIS = {"latitude": "38.6270", "longitude": "-90.1994"}  # about 87 mi away


def route(summary):
    return route_order_summary.apply(args=[summary.pk]).get()


def test_new_managed_summary_is_queued_for_routing_after_commit(django_capture_on_commit_callbacks, settings):
    settings.OMS_AUTO_ROUTE_ORDERS = True
    with django_capture_on_commit_callbacks() as callbacks:
        summary = ingest(worked_example_body())
    assert len(callbacks) == 1
    settings.OMS_AUTO_ROUTE_ORDERS = False
    with django_capture_on_commit_callbacks() as callbacks:
        schedule_routing(summary.pk)
    assert callbacks == []


def test_one_location_beats_a_nearer_split_and_the_nearest_single_location_wins():
    make_location("CHI", **CHICAGO)
    make_location("NYC", **NEW_YORK)
    make_location("STL", **ST_LOUIS)
    stock("CHI", A=2, B=1)
    stock("NYC", A=5, B=5)
    stock("STL", A=2)  # nearest, but B would need a second location
    summary = ingest(worked_example_body())

    result = route(summary)

    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)
    assert result["fulfillmentOrderIds"] == [str(order.pk)]
    assert order.location.external_reference == "CHI"
    lines = lines_by_sku(order)
    assert (lines["A"].quantity, lines["B"].quantity, lines["DELIVERY-GROUND"].quantity) == (2, 1, 1)
    assert on_hand_reserved("CHI", "A") == (D(2), D(2))


def test_split_when_no_single_location_can_ship():
    make_location("NYC", **NEW_YORK)
    make_location("STL", **ST_LOUIS)
    stock("NYC", B=1)
    stock("STL", A=2)
    summary = ingest(worked_example_body())

    route(summary)

    orders = {order.location.external_reference: order for order in FulfillmentOrder.objects.all()}
    assert set(orders) == {"NYC", "STL"}
    # The delivery charge rides on the first fulfillment order: the nearest location's (St. Louis).
    assert set(lines_by_sku(orders["STL"])) == {"A", "DELIVERY-GROUND"}
    assert set(lines_by_sku(orders["NYC"])) == {"B"}


def test_running_twice_places_nothing_twice():
    make_location("CHI", **CHICAGO)
    stock("CHI", A=9, B=9)
    summary = ingest(worked_example_body())
    route(summary)
    second = route(summary)
    assert second == {"fulfillmentOrderIds": [], "unroutedDeliveryGroupSummaryIds": []}
    assert FulfillmentOrder.objects.count() == 1
    assert on_hand_reserved("CHI", "A") == (D(9), D(2))


def test_no_route_raises_one_fulfillment_exception_and_loses_nothing():
    make_location("CHI", **CHICAGO)
    stock("CHI", A=1, B=1)  # 2 × A wanted
    summary = ingest(worked_example_body())

    route(summary)
    route(summary)

    assert FulfillmentOrder.objects.count() == 0
    (exception,) = ProcessException.objects.filter(order_summary=summary)
    assert exception.category == ProcessExceptionCategory.FULFILLMENT
    assert "A × 2" in exception.description
    summary.refresh_from_db()
    assert summary.active_process_exception_count == 1
    assert summary.status == "Created"
    # Stock arrives; routing again places the order.
    stock("CHI", A=2)
    route(summary)
    assert FulfillmentOrder.objects.filter(order_summary=summary).count() == 1


def test_unmanaged_summaries_are_left_alone():
    make_location("CHI", **CHICAGO)
    stock("CHI", **{"SKU-1": 5})
    summary = ingest(order_body(orderLifeCycleType="UNMANAGED"))
    assert route(summary) == {"fulfillmentOrderIds": [], "unroutedDeliveryGroupSummaryIds": []}
    assert FulfillmentOrder.objects.count() == 0
