"""Issue 16, point 2: pickup in store, routed only to its store, through Picked Up to captured."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from orders.errors import InvalidState
from orders.models import FulfillmentOrder, ProcessException
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.route_summary import route_order_summary
from orders.tasks import cancel_unclaimed_pickups
from payments.models import Invoice, OrderPaymentSummary
from tests.api.helpers import INGEST
from tests.api.schema import check_every_response
from tests.builders import ensure_channel, ingest, worked_example_body
from tests.fulfillment.helpers import make_location, on_hand_reserved, stock

pytestmark = pytest.mark.django_db

CHICAGO = {"latitude": "41.8858", "longitude": "-87.6181"}
NEW_YORK = {"latitude": "40.7484", "longitude": "-73.9967"}


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


@pytest.fixture
def locations():
    # The warehouse is nearer the customer and holds everything: a shipped order would go there.
    make_location("WH-CHI", **CHICAGO)
    make_location("STORE-NY", location_type="Store", **NEW_YORK)
    stock("WH-CHI", A=10, B=10)


def pickup_body(store="STORE-NY", **extra):
    body = worked_example_body()
    body["deliveryGroups"][0].update({"pickupLocationExternalReference": store, **extra})
    return body


def test_a_pickup_goes_only_to_its_store(locations):
    stock("STORE-NY", A=2, B=1)
    summary = ingest(pickup_body())
    group = summary.delivery_group_summaries.get()
    assert (group.delivery_method_type, group.pickup_location.external_reference) == ("Pickup", "STORE-NY")

    route_order_summary(summary.pk)

    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)
    assert (order.location.external_reference, order.type) == ("STORE-NY", "In Store Pickup")
    assert on_hand_reserved("STORE-NY", "A") == (D(2), D(2))
    assert on_hand_reserved("WH-CHI", "A") == (D(10), D(0))


def test_a_pickup_store_without_stock_raises_an_exception_instead_of_shipping(locations):
    stock("STORE-NY", A=1, B=1)
    summary = ingest(pickup_body())

    outcome = route_order_summary(summary.pk)

    assert outcome.fulfillment_order_ids == ()
    assert not FulfillmentOrder.objects.filter(order_summary=summary).exists()
    (exception,) = ProcessException.objects.filter(order_summary=summary)
    assert exception.message == "Pickup store STORE-NY cannot take these units."
    assert exception.description.startswith("Units to place: A × 2, B × 1. The store does not hold enough stock.")


def test_picked_up_counts_as_fulfilled_and_is_captured(locations, django_capture_on_commit_callbacks):
    stock("STORE-NY", A=2, B=1)
    summary = ingest(pickup_body())
    route_order_summary(summary.pk)
    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)

    with pytest.raises(InvalidState, match="use Picked Up"):
        change_fulfillment_order_status(order.pk, "Fulfilled")
    change_fulfillment_order_status(order.pk, "Pickpack")
    ready = change_fulfillment_order_status(order.pk, "Ready for Pickup")
    assert ready.status_category == "FULFILLING" and ready.ready_for_pickup_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        collected = change_fulfillment_order_status(order.pk, "Picked Up")

    assert (collected.status, collected.status_category) == ("Picked Up", "CLOSED")
    assert collected.fulfilled_at is not None
    summary.refresh_from_db()
    assert summary.status == "Fulfilled"
    assert on_hand_reserved("STORE-NY", "A") == (D(0), D(0))
    invoice = Invoice.objects.get(fulfillment_order=order)
    assert (invoice.total_amount_with_tax, invoice.balance) == (D("118.80"), D("0"))
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == D("118.80")


def test_pickup_statuses_are_for_pickups_only(locations):
    summary = ingest(worked_example_body())
    route_order_summary(summary.pk)
    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)
    assert order.type == "Warehouse"
    with pytest.raises(InvalidState, match="Ready for Pickup is for In Store Pickup"):
        change_fulfillment_order_status(order.pk, "Ready for Pickup")


def test_ingest_names_a_bad_pickup_store(api, locations):
    ensure_channel()
    unknown = api.post_json(INGEST, pickup_body("NOWHERE"), key="pickup-1")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "deliveryGroups[0].pickupLocationExternalReference"
    body = worked_example_body()
    body["deliveryGroups"][0]["deliveryMethodType"] = "Pickup"
    missing = api.post_json(INGEST, body, key="pickup-2")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["message"] == "A Pickup delivery group names its store."
    shipped = api.post_json(INGEST, pickup_body(deliveryMethodType="Ship"), key="pickup-3")
    assert shipped.status_code == 400
    assert shipped.json()["errors"][0]["field"] == "deliveryGroups[0].deliveryMethodType"


def test_an_unclaimed_pickup_goes_back_to_stock_after_the_configured_days(locations, settings):
    settings.OMS_PICKUP_UNCLAIMED_DAYS = 3
    stock("STORE-NY", A=2, B=1)
    summary = ingest(pickup_body())
    route_order_summary(summary.pk)
    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)
    change_fulfillment_order_status(order.pk, "Ready for Pickup")
    assert cancel_unclaimed_pickups.apply().get() == []  # just ready: not yet

    FulfillmentOrder.objects.filter(pk=order.pk).update(ready_for_pickup_at=timezone.now() - timedelta(days=3, hours=1))
    assert cancel_unclaimed_pickups.apply().get() == [order.pk]

    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert on_hand_reserved("STORE-NY", "A") == (D(2), D(0))
    items = {ois.sku: ois for ois in summary.item_summaries.all()}
    assert (items["A"].quantity_canceled, items["B"].quantity_canceled) == (D(2), D(1))
    summary.refresh_from_db()
    assert summary.status == "Canceled"
    # Run again: nothing left waiting.
    assert cancel_unclaimed_pickups.apply().get() == []
