"""Issue 16, point 3: holds stop routing, forward moves and capture until released; rules hold at ingest."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidState
from orders.models import FulfillmentOrder, HoldRule, OrderHold, SalesChannel
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.holds import hold_order_summary, release_holds
from orders.services.route_summary import route_order_summary
from payments.models import Invoice, OrderPaymentSummary
from tests.api.schema import check_every_response
from tests.builders import ingest, worked_example_body
from tests.fulfillment.helpers import lines_by_sku, make_location, stock

pytestmark = pytest.mark.django_db

SUMMARIES = "/api/v1/commerce/order-management/order-summaries"
FO = "/api/v1/commerce/fulfillment/fulfillment-orders"


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


@pytest.fixture
def warehouse():
    location = make_location("WH-1", latitude="41.8858", longitude="-87.6181")
    stock("WH-1", A=5, B=5)
    return location


def fulfillment_orders(summary):
    return list(FulfillmentOrder.objects.filter(order_summary=summary))


def test_a_held_summary_is_not_routed_until_release(api, warehouse, settings, django_capture_on_commit_callbacks):
    summary = ingest(worked_example_body())
    response = api.post(f"{SUMMARIES}/{summary.pk}/actions/hold", {"reason": "Address check"}, format="json")
    assert response.status_code == 201, response.content
    (hold,) = response.json()["holds"]
    assert (hold["reason"], hold["heldBy"], hold["fulfillmentOrderLineItemId"], hold["releasedDate"]) == (
        "Address check",
        "api:backoffice",
        None,
        None,
    )

    assert route_order_summary(summary.pk).on_hold is True
    refused = api.post(f"{SUMMARIES}/{summary.pk}/actions/route", format="json")
    assert refused.status_code == 409
    assert "on hold" in refused.json()["message"]
    assert fulfillment_orders(summary) == []
    again = api.post(f"{SUMMARIES}/{summary.pk}/actions/hold", {"reason": "Twice"}, format="json")
    assert again.status_code == 409

    settings.OMS_AUTO_ROUTE_ORDERS = True
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{SUMMARIES}/{summary.pk}/actions/release-hold", {"note": "Address fine"}, format="json")
    assert response.status_code == 200, response.content
    (released,) = response.json()["holds"]
    assert (released["releasedBy"], released["releaseNote"]) == ("api:backoffice", "Address fine")
    assert released["releasedDate"] is not None
    (order,) = fulfillment_orders(summary)
    assert order.location_id == warehouse.pk and order.status == "Allocated"
    assert api.post(f"{SUMMARIES}/{summary.pk}/actions/release-hold", {}, format="json").status_code == 409


def test_a_hold_stops_forward_moves_but_not_cancel(api, warehouse):
    summary = ingest(worked_example_body())
    route_order_summary(summary.pk)
    (order,) = fulfillment_orders(summary)
    hold_order_summary(summary.pk, "Fraud review")

    response = api.patch(f"{FO}/{order.pk}", {"status": "Pickpack"}, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == (
        f"Fulfillment order {order.number} cannot move to Pickpack: its order summary is on hold (Fraud review)."
    )
    with pytest.raises(InvalidState, match="on hold"):
        change_fulfillment_order_status(order.pk, "Fulfilled")

    release_holds(summary.pk)
    assert change_fulfillment_order_status(order.pk, "Pickpack").status == "Pickpack"


def test_a_held_line_keeps_its_fulfillment_order_where_it_is(api, warehouse):
    summary = ingest(worked_example_body())
    route_order_summary(summary.pk)
    (order,) = fulfillment_orders(summary)
    line = lines_by_sku(order)["B"]
    response = api.post(
        f"{SUMMARIES}/{summary.pk}/actions/hold",
        {"reason": "Engraving to confirm", "fulfillmentOrderLineItemIds": [str(line.pk)]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["holds"][0]["fulfillmentOrderLineItemId"] == str(line.pk)
    # The summary itself is not held: its other units could still be routed.
    assert route_order_summary(summary.pk).on_hold is False

    with pytest.raises(InvalidState, match="one of its lines is on hold"):
        change_fulfillment_order_status(order.pk, "Pickpack")
    assert (
        api.post(
            f"{SUMMARIES}/{summary.pk}/actions/hold",
            {"reason": "x", "fulfillmentOrderLineItemIds": ["999999"]},
            format="json",
        ).status_code
        == 400
    )

    release_holds(summary.pk, line_ids=[line.pk])
    assert change_fulfillment_order_status(order.pk, "Fulfilled").status == "Fulfilled"
    assert OrderHold.objects.get().released_at is not None


def test_nothing_is_captured_while_held_and_release_captures(warehouse, settings, django_capture_on_commit_callbacks):
    summary = ingest(worked_example_body())
    route_order_summary(summary.pk)
    (order,) = fulfillment_orders(summary)
    with django_capture_on_commit_callbacks() as shipped:
        change_fulfillment_order_status(order.pk, "Fulfilled")
    # Held after shipping, before the capture task ran.
    hold_order_summary(summary.pk, "Chargeback risk")
    for callback in shipped:
        callback()

    invoice = Invoice.objects.get(fulfillment_order=order)
    assert (invoice.total_amount_with_tax, invoice.balance) == (D("118.80"), D("118.80"))
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == D("0")

    with django_capture_on_commit_callbacks(execute=True):
        release_holds(summary.pk, note="Cleared")

    invoice.refresh_from_db()
    assert invoice.balance == D("0")
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == D("118.80")
    assert Invoice.objects.filter(order_summary=summary).count() == 1


def test_hold_rules_hold_matching_orders_at_ingest(warehouse, settings, django_capture_on_commit_callbacks):
    settings.OMS_AUTO_ROUTE_ORDERS = True
    big = HoldRule.objects.create(
        name="Big orders", reason="Over 100.00: fraud review", minimum_grand_total=D("100.00"), currency="USD"
    )
    HoldRule.objects.create(name="Canada", reason="Export papers", country="CA")

    with django_capture_on_commit_callbacks(execute=True):
        held = ingest(worked_example_body())  # 118.80 USD to the US
    (hold,) = OrderHold.objects.filter(order_summary=held)
    assert (hold.rule, hold.reason, hold.held_by_name) == (big, "Over 100.00: fraud review", "rule: Big orders")
    assert fulfillment_orders(held) == []

    big.minimum_grand_total = D("118.80")  # "above": the same total no longer matches
    big.save()
    with django_capture_on_commit_callbacks(execute=True):
        free = ingest(worked_example_body())
    assert not OrderHold.objects.filter(order_summary=free).exists()
    assert len(fulfillment_orders(free)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        release_holds(held.pk)
    assert len(fulfillment_orders(held)) == 1


def test_a_channel_rule_holds_that_channel_only(warehouse):
    outlet = SalesChannel.objects.create(name="Outlet")
    HoldRule.objects.create(name="Outlet review", reason="Outlet orders are checked", sales_channel=outlet)
    assert OrderHold.objects.filter(order_summary=ingest(worked_example_body(channel="Outlet"))).count() == 1
    assert not OrderHold.objects.filter(order_summary=ingest(worked_example_body())).exists()


def test_the_routing_sweep_leaves_a_held_summary_alone(warehouse, settings, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import OrderSummary
    from orders.sweepers import sweep_unrouted_summaries

    settings.OMS_SWEEP_AFTER_SECONDS = 600
    settings.OMS_SWEEP_LOOKBACK_DAYS = 7
    held, free = ingest(worked_example_body()), ingest(worked_example_body())
    hold_order_summary(held.pk, "Fraud review")
    OrderSummary.objects.filter(pk__in=[held.pk, free.pk]).update(created_at=timezone.now() - timedelta(minutes=20))
    settings.OMS_AUTO_ROUTE_ORDERS = True

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unrouted_summaries() == {"requeued": 1, "exceptions": 0}
    assert fulfillment_orders(held) == [] and len(fulfillment_orders(free)) == 1
