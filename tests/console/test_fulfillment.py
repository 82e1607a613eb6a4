"""Fulfillment actions from the order page: create (routing's suggestion), move status, cancel lines."""

from decimal import Decimal

import pytest

from orders.models import FulfillmentOrder
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import lines_by_sku, make_location, place, stock

pytestmark = pytest.mark.django_db


def create_url(summary):
    group = summary.delivery_group_summaries.get()
    return f"/console/orders/{summary.pk}/groups/{group.pk}/fulfillment-orders/new/"


def test_create_page_is_prefilled_with_the_routing_suggestion(supervisor_client):
    warehouse = make_location("WH-EAST", name="East warehouse")
    stock("WH-EAST", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    body = supervisor_client.get(create_url(summary)).content.decode()
    assert "East warehouse</strong> (WH-EAST): A × 2, B × 1" in body
    assert f'<option value="{warehouse.pk}" selected>' in body
    assert f'name="item-{items["A"].pk}" id="id_item-{items["A"].pk}" value="2"' in body
    assert f'name="item-{items["B"].pk}" id="id_item-{items["B"].pk}" value="1"' in body


def test_no_stock_anywhere_means_no_suggestion(supervisor_client):
    make_location("WH-EMPTY")
    summary = worked_example()
    assert "No set of locations has the stock" in supervisor_client.get(create_url(summary)).content.decode()


def test_creating_an_edited_fulfillment_order(supervisor_client):
    warehouse = make_location("WH-EAST")
    stock("WH-EAST", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    response = supervisor_client.post(
        create_url(summary),
        {
            "location": warehouse.pk,
            "fulfillment_type": "Warehouse",
            f"item-{items['A'].pk}": "1",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/console/orders/{summary.pk}/"
    fulfillment_order = FulfillmentOrder.objects.get(order_summary=summary)
    # One A as asked, and the group's delivery charge whole on its first fulfillment order (§3.4).
    assert {(line.type, line.quantity) for line in fulfillment_order.lines.all()} == {
        ("Order Product", Decimal("1")),
        ("Delivery Charge", Decimal("1")),
    }
    items["A"].refresh_from_db()
    assert items["A"].quantity_allocated == 1
    page = supervisor_client.get(response["Location"]).content.decode()
    assert f"{fulfillment_order.number} created at WH-EAST." in page


def test_more_units_than_unplaced_is_an_error_next_to_the_item(supervisor_client):
    warehouse = make_location("WH-EAST")
    stock("WH-EAST", A=5)
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    body = supervisor_client.post(
        create_url(summary),
        {
            "location": warehouse.pk,
            "fulfillment_type": "Warehouse",
            f"item-{a.pk}": "3",
        },
    ).content.decode()
    assert f'id="id_item-{a.pk}-error"' in body
    assert "Only 2 of A can be fulfilled; asked for 3." in body
    assert not FulfillmentOrder.objects.exists()


def test_nothing_entered_is_a_form_error(supervisor_client):
    warehouse = make_location("WH-EAST")
    summary = worked_example()
    body = supervisor_client.post(
        create_url(summary),
        {
            "location": warehouse.pk,
            "fulfillment_type": "Warehouse",
        },
    ).content.decode()
    assert "Enter the units to place for at least one item." in body


def test_agent_cannot_open_fulfillment_actions(agent_client):
    make_location("WH-EAST")
    summary = worked_example()
    assert agent_client.get(create_url(summary)).status_code == 403
    assert "Create fulfillment order" not in agent_client.get(f"/console/orders/{summary.pk}/").content.decode()


def placed_order():
    warehouse = make_location("WH-EAST")
    stock("WH-EAST", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    [fulfillment_order] = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    return summary, fulfillment_order


def test_order_page_offers_the_allowed_moves_only(supervisor_client):
    summary, fulfillment_order = placed_order()
    body = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    # From Allocated (ACTIVATED): forward to the FULFILLING statuses and Fulfilled, or Cancelled/Rejected;
    # never back to Draft.
    select = body[body.index(f'id="move-{fulfillment_order.pk}"') :]
    select = select[: select.index("</select>")]
    assert '<option value="Draft">' not in select
    # The pickup statuses are for In Store Pickup fulfillment orders only (issue 16).
    assert '<option value="Ready for Pickup">' not in select and '<option value="Picked Up">' not in select
    for status in ("Assigned", "Pickpack", "Fulfilled", "Cancelled", "Rejected"):
        assert f'<option value="{status}">' in select


def test_moving_to_fulfilled_ships_the_units(supervisor_client):
    summary, fulfillment_order = placed_order()
    response = supervisor_client.post(
        f"/console/fulfillment-orders/{fulfillment_order.pk}/status/", {"status": "Fulfilled"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/console/orders/{summary.pk}/#fo-{fulfillment_order.pk}"
    fulfillment_order.refresh_from_db()
    assert fulfillment_order.status == "Fulfilled"
    assert items_by_sku(summary)["A"].quantity_fulfilled == 2


def test_an_illegal_move_is_refused_with_a_message(supervisor_client):
    _, fulfillment_order = placed_order()
    supervisor_client.post(
        f"/console/fulfillment-orders/{fulfillment_order.pk}/status/",
        {"status": "Cancelled", "confirm": "1", "reason": "Customer called"},
    )
    response = supervisor_client.post(
        f"/console/fulfillment-orders/{fulfillment_order.pk}/status/", {"status": "Fulfilled"}, follow=True
    )
    assert "cannot go from Cancelled to Fulfilled" in response.content.decode()


def test_cancel_lines_releases_the_units(supervisor_client):
    summary, fulfillment_order = placed_order()
    line_a = lines_by_sku(fulfillment_order)["A"]
    supervisor_client.post(
        f"/console/fulfillment-orders/{fulfillment_order.pk}/cancel-lines/",
        {f"line-{line_a.pk}": "1", "reason": "Damaged in the warehouse"},
    )
    line_a.refresh_from_db()
    assert (line_a.original_quantity, line_a.quantity) == (2, 1)
    assert items_by_sku(summary)["A"].quantity_allocated == 1


def test_cancel_more_than_the_line_holds_is_refused(supervisor_client):
    _, fulfillment_order = placed_order()
    line_a = lines_by_sku(fulfillment_order)["A"]
    response = supervisor_client.post(
        f"/console/fulfillment-orders/{fulfillment_order.pk}/cancel-lines/",
        {f"line-{line_a.pk}": "5", "reason": "Customer called"},
        follow=True,
    )
    assert "Only 2 of A are on this fulfillment order; asked to cancel 5." in response.content.decode()


def test_agent_cannot_move_or_cancel(agent_client):
    _, fulfillment_order = placed_order()
    assert (
        agent_client.post(
            f"/console/fulfillment-orders/{fulfillment_order.pk}/status/", {"status": "Fulfilled"}
        ).status_code
        == 403
    )
    assert agent_client.post(f"/console/fulfillment-orders/{fulfillment_order.pk}/cancel-lines/", {}).status_code == 403
