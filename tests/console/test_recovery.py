"""Issue 16 in the console: a location's work queue for the Fulfillment role (its locations only),
the hold queue, hold and release buttons, Route again."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from console.models import LocationAssignment
from orders.models import FulfillmentOrder, FulfillmentRejection, OrderHold, RoutingExclusion, Shipment
from orders.services.holds import hold_order_summary
from orders.services.route_summary import route_order_summary
from payments.models import Invoice
from tests.builders import ingest, worked_example_body
from tests.fulfillment.helpers import lines_by_sku, make_location, on_hand_reserved, stock

pytestmark = pytest.mark.django_db


def pickup_order(store: str):
    body = worked_example_body()
    body["deliveryGroups"][0]["pickupLocationExternalReference"] = store
    summary = ingest(body)
    route_order_summary(summary.pk)
    return summary, FulfillmentOrder.objects.get(order_summary=summary)


@pytest.fixture
def stores():
    north = make_location("STORE-N", name="North store", location_type="Store")
    south = make_location("STORE-S", name="South store", location_type="Store")
    stock("STORE-N", A=5, B=5)
    stock("STORE-S", A=5, B=5)
    return north, south


@pytest.fixture
def associate(stores):
    person = User.objects.create_user("associate", password="correct horse battery staple")
    person.groups.add(Group.objects.get(name="Fulfillment"))
    LocationAssignment.objects.create(user=person, location=stores[0])
    client = Client()
    client.force_login(person)
    return client


def test_the_associate_sees_their_location_only(associate, stores):
    north, south = stores
    mine, mine_fo = pickup_order("STORE-N")
    theirs, theirs_fo = pickup_order("STORE-S")

    home = associate.get("/console/")
    assert home.status_code == 302 and home["Location"] == "/console/locations/"
    queues = associate.get("/console/locations/")
    assert queues.status_code == 302 and queues["Location"] == f"/console/locations/{north.pk}/queue/"
    page = associate.get(f"/console/locations/{north.pk}/queue/").content.decode()
    assert mine_fo.number in page and theirs_fo.number not in page
    assert "Work queue" in page and ">Orders<" not in page

    assert associate.get(f"/console/locations/{south.pk}/queue/").status_code == 403
    assert (
        associate.post(
            f"/console/locations/{south.pk}/fulfillment-orders/{theirs_fo.pk}/move/", {"action": "accept"}
        ).status_code
        == 403
    )
    # Another location's order through this location's URL is not found here.
    assert (
        associate.post(
            f"/console/locations/{north.pk}/fulfillment-orders/{theirs_fo.pk}/move/", {"action": "accept"}
        ).status_code
        == 404
    )
    assert associate.get(f"/console/orders/{mine.pk}/").status_code == 200
    assert associate.get(f"/console/orders/{theirs.pk}/").status_code == 403
    assert associate.get("/console/exceptions/").status_code == 403
    assert associate.get("/console/holds/").status_code == 403
    assert associate.post(f"/console/orders/{mine.pk}/hold/", {"reason": "x"}).status_code == 403
    assert FulfillmentOrder.objects.get(pk=theirs_fo.pk).status == "Allocated"


def test_the_associate_works_a_pickup_through_to_collected(associate, stores, django_capture_on_commit_callbacks):
    north, _ = stores
    summary, order = pickup_order("STORE-N")
    move = f"/console/locations/{north.pk}/fulfillment-orders/{order.pk}/move/"
    for action, status in (("accept", "Assigned"), ("pick", "Pickpack"), ("ready", "Ready for Pickup")):
        assert associate.post(move, {"action": action}).status_code == 302
        assert FulfillmentOrder.objects.get(pk=order.pk).status == status
    page = associate.get(f"/console/locations/{north.pk}/queue/").content.decode()
    assert "Picked up by the customer" in page and "Start picking" not in page
    with django_capture_on_commit_callbacks(execute=True):
        associate.post(move, {"action": "collected"})
    assert FulfillmentOrder.objects.get(pk=order.pk).status == "Picked Up"
    summary.refresh_from_db()
    assert summary.status == "Fulfilled"
    assert "The queue is clear" in associate.get(f"/console/locations/{north.pk}/queue/").content.decode()


def test_the_associate_rejects_lines_with_a_reason(associate, stores, settings, django_capture_on_commit_callbacks):
    north, _ = stores
    make_location("WH", name="Warehouse")
    stock("WH", A=5, B=5)
    summary = ingest(worked_example_body())
    order = FulfillmentOrder.objects.get(pk=route_order_summary(summary.pk).fulfillment_order_ids[0])
    FulfillmentOrder.objects.filter(pk=order.pk).update(location=north)  # as if routed to the store
    settings.OMS_AUTO_ROUTE_ORDERS = True
    line = lines_by_sku(order)["A"]

    with django_capture_on_commit_callbacks(execute=True):
        response = associate.post(
            f"/console/locations/{north.pk}/fulfillment-orders/{order.pk}/reject/",
            {f"line-{line.pk}": "2", "reason": "Broken in the back room"},
        )

    assert response.status_code == 302
    assert RoutingExclusion.objects.get(order_summary=summary).location == north
    assert lines_by_sku(FulfillmentOrder.objects.get(pk=order.pk))["A"].quantity == 0
    rerouted = FulfillmentOrder.objects.exclude(pk=order.pk).get(order_summary=summary)
    assert rerouted.location != north
    assert lines_by_sku(rerouted)["A"].quantity == 2
    assert on_hand_reserved("STORE-N", "A") == (D(5), D(0))


def test_a_supervisor_works_every_location(supervisor_client, stores):
    _, south = stores
    pickup_order("STORE-S")
    assert supervisor_client.get(f"/console/locations/{south.pk}/queue/").status_code == 200
    page = supervisor_client.get("/console/locations/").content.decode()
    assert "North store" in page and "South store" in page


def test_hold_release_and_route_again_from_the_order_page(supervisor_client, stores):
    summary = ingest(worked_example_body())
    page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert "Put on hold" in page and "Route again" in page and "Routing attempts: 0." in page

    supervisor_client.post(f"/console/orders/{summary.pk}/hold/", {"reason": "Address check"})
    hold = OrderHold.objects.get(order_summary=summary)
    assert (hold.reason, hold.held_by.username) == ("Address check", "supervisor")
    page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert "Release hold" in page and "Route again" not in page
    queue = supervisor_client.get("/console/holds/").content.decode()
    assert summary.order_number in queue and "Address check" in queue

    supervisor_client.post(f"/console/orders/{summary.pk}/release-hold/", {"note": "Checked"})
    hold.refresh_from_db()
    assert (hold.released_by.username, hold.release_note) == ("supervisor", "Checked")
    assert "Nothing on hold" in supervisor_client.get("/console/holds/").content.decode()

    supervisor_client.post(f"/console/orders/{summary.pk}/route/")
    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)
    assert order.location.external_reference in ("STORE-N", "STORE-S")
    summary.refresh_from_db()
    assert summary.routing_attempt_count == 1


def test_an_agent_holds_but_does_not_route(agent_client, stores):
    summary = ingest(worked_example_body())
    hold_order_summary(summary.pk, "Fraud review")
    page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert "Fraud review" in page and "Release hold" in page
    assert agent_client.post(f"/console/orders/{summary.pk}/route/").status_code == 403


def test_the_order_page_shows_each_lines_rejected_units_and_reason(associate, supervisor_client, stores):
    north, _ = stores
    summary = ingest(worked_example_body())
    order = FulfillmentOrder.objects.get(pk=route_order_summary(summary.pk).fulfillment_order_ids[0])
    FulfillmentOrder.objects.filter(pk=order.pk).update(location=north)  # as if routed to the store
    lines = lines_by_sku(order)
    associate.post(
        f"/console/locations/{north.pk}/fulfillment-orders/{order.pk}/reject/",
        {f"line-{lines['A'].pk}": "1", "reason": "Crushed <box>"},
    )
    associate.post(
        f"/console/locations/{north.pk}/fulfillment-orders/{order.pk}/reject/",
        {f"line-{lines['A'].pk}": "1", "reason": "Wrong colour"},
    )

    page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert '<span class="sub" data-testid="rejected">Rejected 2: Crushed &lt;box&gt;; Wrong colour</span>' in page
    assert page.count('data-testid="rejected"') == 1  # B and the delivery charge were not refused
    # Moved to Rejected from the console: B's unit is refused too, by the supervisor.
    supervisor_client.post(
        f"/console/fulfillment-orders/{order.pk}/status/",
        {"status": "Rejected", "confirm": "1", "reason": "Shelf empty"},
    )
    rejection = FulfillmentRejection.objects.get(fulfillment_order_line=lines["B"])
    assert (rejection.quantity, rejection.reason, rejection.created_by.username) == (D(1), "Shelf empty", "supervisor")
    page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert "Rejected 1: Shelf empty" in page


def test_the_associate_polls_the_background_jobs_of_the_orders_they_see_and_no_others(associate, stores):
    from payments.models import BackgroundOperation, OperationType

    mine, _ = pickup_order("STORE-N")
    theirs, _ = pickup_order("STORE-S")
    for summary in (mine, theirs):
        BackgroundOperation.objects.create(order_summary=summary, type=OperationType.ENSURE_FUNDS)
    htmx = {"HTTP_HX_REQUEST": "true"}

    page = associate.get(f"/console/orders/{mine.pk}/").content.decode()
    assert f'hx-get="/console/orders/{mine.pk}/operations/?was_running=1"' in page
    polled = associate.get(f"/console/orders/{mine.pk}/operations/?was_running=1", **htmx)
    assert polled.status_code == 200
    assert "EnsureFunds #" in polled.content.decode()

    assert associate.get(f"/console/orders/{theirs.pk}/").status_code == 403
    assert associate.get(f"/console/orders/{theirs.pk}/operations/?was_running=1", **htmx).status_code == 403
    assert associate.get("/console/orders/999999/operations/", **htmx).status_code == 403


def test_lines_are_held_and_released_from_the_order_page_with_who_and_when_in_the_timeline(agent_client, stores):
    summary = ingest(worked_example_body())
    order = FulfillmentOrder.objects.get(pk=route_order_summary(summary.pk).fulfillment_order_ids[0])
    lines = lines_by_sku(order)
    page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert f'data-testid="hold-lines-{order.pk}"' in page
    # A and B can be held; the delivery charge is no product.
    assert f'id="hold-line-{lines["A"].pk}"' in page and f'id="hold-line-{lines["B"].pk}"' in page
    assert f'id="hold-line-{lines["DELIVERY-GROUND"].pk}"' not in page

    refused = agent_client.post(
        f"/console/orders/{summary.pk}/hold/", {"scope": "lines", "reason": "Engraving"}, follow=True
    )
    assert [str(m) for m in refused.context["messages"]] == ["Tick the lines to hold."]
    assert not OrderHold.objects.exists()  # never the whole order by mistake

    response = agent_client.post(
        f"/console/orders/{summary.pk}/hold/",
        {"scope": "lines", "line": [lines["A"].pk], "reason": "Engraving to check"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "1 line on hold: their fulfillment orders do not move forward until released."
    ]
    hold = OrderHold.objects.get(order_summary=summary)
    assert (hold.fulfillment_order_line_id, hold.reason, hold.held_by.username) == (
        lines["A"].pk,
        "Engraving to check",
        "agent",
    )
    page = response.content.decode()
    assert '<span class="sub" data-testid="held">On hold: Engraving to check</span>' in page
    assert f'id="hold-line-{lines["A"].pk}"' not in page  # held already: not offered again
    assert f"On hold: Product A on {order.number}" in page  # the timeline, with who
    assert "Put on hold" in page  # the whole order can still be held
    # Holding it twice is refused (the service says why).
    twice = agent_client.post(
        f"/console/orders/{summary.pk}/hold/",
        {"scope": "lines", "line": [lines["A"].pk], "reason": "Twice"},
        follow=True,
    )
    assert [str(m) for m in twice.context["messages"]] == [
        f"These fulfillment order lines are on hold already: {lines['A'].pk}."
    ]

    released = agent_client.post(
        f"/console/orders/{summary.pk}/release-hold/", {"line": lines["A"].pk, "note": "Engraving fine"}, follow=True
    )
    assert [str(m) for m in released.context["messages"]] == ["1 hold released; its fulfillment order may move on."]
    hold.refresh_from_db()
    assert (hold.released_by.username, hold.release_note, hold.released_at is not None) == (
        "agent",
        "Engraving fine",
        True,
    )
    page = released.content.decode()
    assert 'data-testid="held"' not in page
    timeline = page[page.index('id="timeline"') :]
    held_at = timeline.index(f"On hold: Product A on {order.number}")
    released_at = timeline.index(f"Hold released: Product A on {order.number}")
    assert held_at < released_at
    assert "Reason: Engraving to check" in timeline and "Reason: Engraving fine" in timeline
    assert timeline[held_at - 200 : held_at].count("agent") == 1  # who, beside when


def test_the_associate_ships_with_tracking_from_the_queue(associate, stores, django_capture_on_commit_callbacks):
    north, _ = stores
    make_location("WH", name="Warehouse")
    stock("WH", A=5, B=5)
    summary = ingest(worked_example_body())
    order = FulfillmentOrder.objects.get(pk=route_order_summary(summary.pk).fulfillment_order_ids[0])
    FulfillmentOrder.objects.filter(pk=order.pk).update(location=north)  # as if routed to the store
    queue = f"/console/locations/{north.pk}/queue/"
    ship = f"/console/locations/{north.pk}/fulfillment-orders/{order.pk}/ship/"
    assert 'data-testid="ship-form"' in associate.get(queue).content.decode()

    refused = associate.post(ship, {"carrier": "UPS", "tracking_url": "javascript:alert(1)"}, follow=True)
    assert "Tracking link: Must be an http or https address." in refused.content.decode()
    assert not Shipment.objects.filter(fulfillment_order=order).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = associate.post(
            ship,
            {
                "carrier": "UPS",
                "service": "Ground",
                "tracking_number": "1Z999",
                "tracking_url": "https://track.example/1Z999",
            },
            follow=True,
        )
    assert "Shipped what was left of" in response.content.decode()
    (shipment,) = Shipment.objects.filter(fulfillment_order=order)
    assert (shipment.carrier, shipment.tracking_number, shipment.created_by_id) == (
        "UPS",
        "1Z999",
        User.objects.get(username="associate").pk,
    )
    assert FulfillmentOrder.objects.get(pk=order.pk).status == "Fulfilled"
    assert Invoice.objects.filter(fulfillment_order=order).count() == 1  # billing follows the last parcel
    # Another location's associate cannot ship it.
    _, south = stores
    assert associate.post(
        f"/console/locations/{south.pk}/fulfillment-orders/{order.pk}/ship/", {"carrier": "UPS"}
    ).status_code in (403, 404)
