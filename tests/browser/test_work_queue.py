"""Issue 16 in a real Chromium: a store associate works their store's queue — a pickup through to
Ready for Pickup, and a shipped order's units rejected with a reason (they go to the warehouse)."""

import pytest
from playwright.sync_api import expect

from console.models import LocationAssignment
from orders.models import FulfillmentOrder
from orders.services.route_summary import route_order_summary
from tests.browser.conftest import PASSWORD, screenshot, serious_violations
from tests.builders import ingest, worked_example_body
from tests.fulfillment.helpers import make_location, stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_a_store_associate_works_the_queue(page, live_server, console_user, settings):
    store = make_location(
        "STORE-1", name="Main Street store", location_type="Store", latitude="41.8858", longitude="-87.6181"
    )
    make_location("WH-1", name="Central warehouse", latitude="40.7484", longitude="-73.9967")
    stock("STORE-1", A=5, B=5)
    stock("WH-1", A=5, B=5)
    pickup_body = worked_example_body(number="PICK-1")
    pickup_body["deliveryGroups"][0]["pickupLocationExternalReference"] = "STORE-1"
    pickup = ingest(pickup_body)
    route_order_summary(pickup.pk)
    shipped = ingest(worked_example_body(number="SHIP-1"))
    route_order_summary(shipped.pk)  # the store is nearer the customer: it ships from the store
    pickup_fo = FulfillmentOrder.objects.get(order_summary=pickup)
    shipped_fo = FulfillmentOrder.objects.get(order_summary=shipped)
    assert (pickup_fo.location_id, shipped_fo.location_id) == (store.pk, store.pk)
    LocationAssignment.objects.create(user=console_user("associate", "Fulfillment"), location=store)
    settings.OMS_AUTO_ROUTE_ORDERS = True  # the rejected units re-route once the rejection commits

    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("Username").fill("associate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Home for the Fulfillment role is the work queue of their one store.
    page.wait_for_url(f"{live_server.url}/console/locations/{store.pk}/queue/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Main Street store")
    entries = page.get_by_test_id("queue-entry")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text(pickup_fo.number)  # oldest first
    assert serious_violations(page) == []

    pickup_card = page.locator(f"#fo-{pickup_fo.pk}")
    pickup_card.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{pickup_fo.number} is now Assigned")
    page.locator(f"#fo-{pickup_fo.pk}").get_by_role("button", name="Start picking").click()
    expect(page.locator(f"#fo-{pickup_fo.pk}")).to_contain_text("Pickpack")
    page.locator(f"#fo-{pickup_fo.pk}").get_by_role("button", name="Ready for pickup").click()
    expect(page.locator(f"#fo-{pickup_fo.pk}")).to_contain_text("Ready for Pickup")
    expect(page.locator(f"#fo-{pickup_fo.pk}").get_by_role("button", name="Picked up by the customer")).to_be_visible()

    shipped_card = page.locator(f"#fo-{shipped_fo.pk}")
    shipped_card.get_by_text(f"Reject units of {shipped_fo.number}").click()
    shipped_card.get_by_label("Units of Product A to reject (of 2)").fill("2")
    shipped_card.get_by_label("Units of Product B to reject (of 1)").fill("1")
    shipped_card.get_by_label("Reason").fill("Shelf is empty")
    shipped_card.get_by_role("button", name="Reject these units").click()
    expect(page.get_by_role("status").first).to_contain_text("routed to another location")
    expect(page.get_by_test_id("queue-entry")).to_have_count(1)
    screenshot(page, "work-queue")

    again = FulfillmentOrder.objects.get(order_summary=shipped, status="Allocated")
    assert again.location.external_reference == "WH-1"
    assert FulfillmentOrder.objects.get(pk=shipped_fo.pk).status == "Rejected"

    # The associate's orders open; nothing else of the console does.
    page.goto(f"{live_server.url}/console/orders/{pickup.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order PICK-1")
    response = page.goto(f"{live_server.url}/console/exceptions/")
    assert response.status == 403
