"""Issue 16, point 1: rejections re-route, never back to the rejecting location; Route again; attempts counted."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidInput, InvalidState
from orders.models import (
    FulfillmentOrder,
    FulfillmentRejection,
    Location,
    LocationGroup,
    LocationType,
    OrderSummary,
    ProcessException,
    ProcessExceptionCategory,
    RoutingExclusion,
    RoutingPolicy,
    SalesChannel,
)
from orders.services.fulfillment_reject import LineToReject, reject_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.route_summary import route_order_summary
from tests.api.schema import check_every_response
from tests.builders import ingest, worked_example_body
from tests.fulfillment.helpers import lines_by_sku, make_location, on_hand_reserved, stock

pytestmark = pytest.mark.django_db

# The worked example ships A × 2, B × 1 and a delivery charge to 62701 (Springfield, IL).
CHICAGO = {"latitude": "41.8858", "longitude": "-87.6181"}  # about 179 mi away: nearest
NEW_YORK = {"latitude": "40.7484", "longitude": "-73.9967"}  # about 850 mi away
SUMMARIES = "/api/v1/commerce/order-management/order-summaries"
FO = "/api/v1/commerce/fulfillment/fulfillment-orders"


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def open_orders(summary):
    return list(FulfillmentOrder.objects.filter(order_summary=summary, status="Allocated").select_related("location"))


def routed_to_chicago(chicago: dict, new_york: dict | None = None):
    make_location("CHI", **CHICAGO)
    make_location("NYC", **NEW_YORK)
    stock("CHI", **chicago)
    if new_york:
        stock("NYC", **new_york)
    summary = ingest(worked_example_body())
    route_order_summary(summary.pk)
    (order,) = open_orders(summary)
    assert order.location.external_reference == "CHI"
    return summary, order


def reject(order, *entries):
    """entries: (sku, quantity, reason)."""
    lines = lines_by_sku(order)
    return reject_fulfillment_order_items(
        order.pk, [LineToReject(lines[sku].pk, D(str(quantity)), reason) for sku, quantity, reason in entries]
    )


def test_rejecting_a_whole_order_reroutes_it_elsewhere(settings, django_capture_on_commit_callbacks):
    summary, order = routed_to_chicago({"A": 2, "B": 1}, {"A": 5, "B": 5})
    settings.OMS_AUTO_ROUTE_ORDERS = True

    with django_capture_on_commit_callbacks(execute=True):
        rejected = reject(order, ("A", 2, "Shelf empty"), ("B", 1, "Shelf empty"))

    assert rejected.status == "Rejected"
    assert rejected.rejected_at is not None
    assert on_hand_reserved("CHI", "A") == (D(2), D(0))
    assert on_hand_reserved("CHI", "B") == (D(1), D(0))
    (again,) = open_orders(summary)
    assert again.location.external_reference == "NYC"
    lines = lines_by_sku(again)
    # The delivery charge left with the rejected units and travels with them.
    assert (lines["A"].quantity, lines["B"].quantity, lines["DELIVERY-GROUND"].quantity) == (2, 1, 1)
    assert (lines["A"].total_line_amount, lines["DELIVERY-GROUND"].total_line_amount) == (D("80.00"), D("10.00"))
    assert on_hand_reserved("NYC", "A") == (D(5), D(2))
    assert list(
        RoutingExclusion.objects.filter(order_summary=summary).values_list("location__external_reference", "reason")
    ) == [("CHI", "Shelf empty")]
    assert FulfillmentRejection.objects.filter(fulfillment_order=order).count() == 2
    assert OrderSummary.objects.get(pk=summary.pk).routing_attempt_count == 2


def test_rejecting_part_keeps_the_rest_and_never_sends_the_units_back(settings, django_capture_on_commit_callbacks):
    # Chicago could still ship one more A, but it refused one.
    summary, order = routed_to_chicago({"A": 3, "B": 1}, {"A": 5})
    settings.OMS_AUTO_ROUTE_ORDERS = True

    with django_capture_on_commit_callbacks(execute=True):
        kept = reject(order, ("A", 1, "Damaged box"))

    assert kept.status == "Allocated"
    lines = lines_by_sku(kept)
    assert (lines["A"].quantity, lines["B"].quantity) == (1, 1)
    assert lines["A"].total_line_amount == D("40.00")  # 80.00 for two, one refused
    assert on_hand_reserved("CHI", "A") == (D(3), D(1))
    (rejection,) = FulfillmentRejection.objects.all()
    assert (rejection.quantity, rejection.reason, rejection.fulfillment_order_line_id) == (
        D(1),
        "Damaged box",
        lines["A"].pk,
    )
    new = [each for each in open_orders(summary) if each.pk != order.pk]
    assert [each.location.external_reference for each in new] == ["NYC"]
    new_lines = lines_by_sku(new[0])
    assert new_lines["A"].quantity == 1 and "B" not in new_lines
    assert on_hand_reserved("NYC", "A") == (D(5), D(1))
    items = {ois.sku: ois for ois in summary.item_summaries.all()}
    assert items["A"].quantity_allocated == 2 and items["A"].status == "ALLOCATED"


def test_nowhere_to_go_raises_a_fulfillment_exception(settings, django_capture_on_commit_callbacks):
    summary, order = routed_to_chicago({"A": 2, "B": 1})
    settings.OMS_AUTO_ROUTE_ORDERS = True

    with django_capture_on_commit_callbacks(execute=True):
        change_fulfillment_order_status(order.pk, "Rejected")

    assert open_orders(summary) == []
    (exception,) = ProcessException.objects.filter(order_summary=summary)
    assert exception.category == ProcessExceptionCategory.FULFILLMENT
    assert exception.message == "No location set can ship this delivery group."
    assert "A × 2, B × 1" in exception.description
    assert "1 location(s) rejected units of this order" in exception.description
    summary.refresh_from_db()
    assert (summary.active_process_exception_count, summary.routing_attempt_count) == (1, 2)
    assert summary.status == "Created"


def test_route_again_places_what_is_unallocated_and_counts_attempts(api, settings, django_capture_on_commit_callbacks):
    summary, order = routed_to_chicago({"A": 2, "B": 1})
    settings.OMS_AUTO_ROUTE_ORDERS = True
    lines = lines_by_sku(order)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"{FO}/{order.pk}/actions/reject-items",
            {
                "fulfillmentOrderLineItemsToReject": [
                    {"fulfillmentOrderLineItemId": str(lines["A"].pk), "quantity": 2, "reason": "Water damage"},
                    {"fulfillmentOrderLineItemId": str(lines["B"].pk), "quantity": 1, "reason": "Water damage"},
                ]
            },
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "fulfillmentOrderId": str(order.pk),
        "status": "Rejected",
        "excludedLocationId": str(order.location_id),
        "success": True,
        "errors": [],
    }
    assert open_orders(summary) == []

    stock("NYC", A=2, B=1)
    response = api.post(f"{SUMMARIES}/{summary.pk}/actions/route", format="json")

    assert response.status_code == 200, response.content
    (placed,) = open_orders(summary)
    assert placed.location.external_reference == "NYC"
    assert response.json() == {
        "fulfillmentOrderIds": [str(placed.pk)],
        "unroutedDeliveryGroupSummaryIds": [],
        "routingAttemptCount": 3,
        "success": True,
        "errors": [],
    }
    # Nothing left to place: a further run changes nothing and is not an attempt.
    again = api.post(f"{SUMMARIES}/{summary.pk}/actions/route", format="json").json()
    assert (again["fulfillmentOrderIds"], again["routingAttemptCount"]) == ([], 3)


def test_route_again_lists_the_groups_it_could_not_place(api):
    make_location("CHI", **CHICAGO)
    summary = ingest(worked_example_body())

    response = api.post(f"{SUMMARIES}/{summary.pk}/actions/route", format="json")

    group = summary.delivery_group_summaries.get()
    assert response.json()["unroutedDeliveryGroupSummaryIds"] == [str(group.pk)]
    assert ProcessException.objects.filter(order_summary=summary, category="Fulfillment").count() == 1


def test_reject_refusals_name_the_field(api):
    order = routed_to_chicago_with_stock()
    line = lines_by_sku(order)["A"]
    response = api.post(
        f"{FO}/{order.pk}/actions/reject-items",
        {
            "fulfillmentOrderLineItemsToReject": [
                {"fulfillmentOrderLineItemId": str(line.pk), "quantity": 1, "reason": "  "}
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "fulfillmentOrderLineItemsToReject[0].reason"
    with pytest.raises(InvalidState, match="Only 2 of A are on this fulfillment order; asked to reject 3"):
        reject(order, ("A", 3, "Too many"))
    delivery = lines_by_sku(order)["DELIVERY-GROUND"]
    with pytest.raises(InvalidInput, match="Only product lines"):
        reject_fulfillment_order_items(order.pk, [LineToReject(delivery.pk, D(1), "No")])
    change_fulfillment_order_status(order.pk, "Cancelled")
    with pytest.raises(InvalidState, match="is Cancelled; nothing can be rejected"):
        reject(order, ("A", 1, "Late"))


def routed_to_chicago_with_stock():
    return routed_to_chicago({"A": 2, "B": 1})[1]


def test_channel_policy_limits_splits_groups_and_stores():
    web = SalesChannel.objects.get_or_create(name="Web")[0]
    make_location("STORE", location_type=LocationType.STORE, **CHICAGO)
    make_location("WH-A", **NEW_YORK)
    make_location("WH-B", latitude="40.7", longitude="-74.0")
    stock("STORE", A=2, B=1)
    stock("WH-A", A=2)
    stock("WH-B", B=1)
    policy = RoutingPolicy.objects.create(sales_channel=web, ship_from_store=False, max_splits=0)

    summary = ingest(worked_example_body(channel="Web"))
    outcome = route_order_summary(summary.pk)
    # No store may ship and no split is allowed: A and B are in two warehouses, so nothing routes.
    assert outcome.fulfillment_order_ids == () and len(outcome.unrouted_group_ids) == 1
    assert "split limit (0)" in ProcessException.objects.get(order_summary=summary).description

    policy.max_splits = 1
    policy.save()
    outcome = route_order_summary(summary.pk)
    assert sorted(o.location.external_reference for o in open_orders(summary)) == ["WH-A", "WH-B"]
    assert outcome.routing_attempt_count == 2

    other = ingest(worked_example_body(channel="Web", number="W-2"))
    east = LocationGroup.objects.create(name="East", external_reference="EAST")
    east.locations.add(Location.objects.get(external_reference="STORE"))
    policy.ship_from_store = True
    policy.save()
    policy.shipping_location_groups.add(east)
    route_order_summary(other.pk)
    assert [o.location.external_reference for o in open_orders(other)] == ["STORE"]


# --- Issue 16 point 1: the reason of a rejection is kept on each line, however the rejection was made ----


def test_patch_to_rejected_keeps_the_reason_on_each_product_line(api, settings, django_capture_on_commit_callbacks):
    summary, order = routed_to_chicago({"A": 2, "B": 1}, {"A": 5, "B": 5})
    settings.OMS_AUTO_ROUTE_ORDERS = True
    lines = lines_by_sku(order)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"{FO}/{order.pk}", {"status": "Rejected", "reason": "Flooded stockroom"}, format="json")

    assert response.status_code == 200, response.content
    body = {line["stockKeepingUnit"]: line for line in response.json()["fulfillmentOrderLineItems"]}
    assert {
        sku: (line["quantity"], line["quantityCanceled"], line["quantityRejected"], line["rejectionReason"])
        for sku, line in body.items()
    } == {
        "A": (0, 2, 2, "Flooded stockroom"),
        "B": (0, 1, 1, "Flooded stockroom"),
        # The delivery charge is not refused: it goes back to the group and travels with the units.
        "DELIVERY-GROUND": (0, 1, 0, ""),
    }
    rejections = FulfillmentRejection.objects.filter(fulfillment_order=order).order_by("fulfillment_order_line_id")
    assert [(r.fulfillment_order_line_id, r.quantity, r.reason, r.created_by_client.name) for r in rejections] == [
        (lines["A"].pk, D(2), "Flooded stockroom", "backoffice"),
        (lines["B"].pk, D(1), "Flooded stockroom", "backoffice"),
    ]
    assert RoutingExclusion.objects.get(order_summary=summary).reason == "Flooded stockroom"
    (again,) = open_orders(summary)
    assert again.location.external_reference == "NYC"
    # The summary's representation carries the same lines.
    summary_body = api.get(f"{SUMMARIES}/{summary.pk}").json()
    (shown,) = [fo for fo in summary_body["fulfillmentOrders"] if fo["id"] == str(order.pk)]
    assert {line["stockKeepingUnit"]: line["rejectionReason"] for line in shown["fulfillmentOrderLineItems"]} == {
        "A": "Flooded stockroom",
        "B": "Flooded stockroom",
        "DELIVERY-GROUND": "",
    }


def test_patch_to_rejected_without_a_reason_still_counts_the_refused_units(api):
    _, order = routed_to_chicago({"A": 2, "B": 1})

    response = api.patch(f"{FO}/{order.pk}", {"status": "Rejected"}, format="json")

    assert response.status_code == 200, response.content
    assert {
        line["stockKeepingUnit"]: (line["quantityRejected"], line["rejectionReason"])
        for line in response.json()["fulfillmentOrderLineItems"]
    } == {"A": (2, ""), "B": (1, ""), "DELIVERY-GROUND": (0, "")}
    assert FulfillmentRejection.objects.filter(fulfillment_order=order).count() == 2
    too_long = api.patch(f"{FO}/{order.pk}", {"status": "Rejected", "reason": "x" * 256}, format="json")
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["field"] == "reason"


def test_a_line_rejected_twice_keeps_both_reasons_and_the_sum(api):
    _, order = routed_to_chicago({"A": 3, "B": 1})

    reject(order, ("A", 1, "Damaged box"))
    with pytest.raises(InvalidState):  # one A is left, two asked: nothing recorded
        reject(order, ("A", 1, "Wrong colour"), ("A", 1, "Late"))
    reject(order, ("A", 1, "Wrong colour"))

    line = lines_by_sku(FulfillmentOrder.objects.get(pk=order.pk))["A"]
    assert (line.quantity, line.quantity_rejected, line.rejection_reason) == (0, 2, "Damaged box; Wrong colour")
    assert FulfillmentRejection.objects.filter(fulfillment_order_line=line).count() == 2
    body = api.get(f"{FO}/{order.pk}").json()
    assert body["status"] == "Allocated"  # B is still to ship
    (shown,) = [each for each in body["fulfillmentOrderLineItems"] if each["stockKeepingUnit"] == "A"]
    assert (shown["quantityCanceled"], shown["quantityRejected"], shown["rejectionReason"]) == (
        2,
        2,
        "Damaged box; Wrong colour",
    )
