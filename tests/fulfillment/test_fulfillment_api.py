"""The fulfillment, routing, location and inventory resources over REST, checked against the schema."""

from decimal import Decimal as D

import pytest

from orders.models import FulfillmentOrder, InventoryLevel
from tests.api.schema import check_every_response
from tests.builders import items_by_sku, worked_example
from tests.factories import SalesChannelFactory
from tests.fulfillment.helpers import lines_by_sku, make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db

BASE = "/api/v1/commerce"
FO = f"{BASE}/fulfillment/fulfillment-orders"
ROUTING = f"{BASE}/order-management/routing/actions"


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


@pytest.fixture
def warehouse():
    location = make_location("WH-1", latitude="41.8858", longitude="-87.6181")
    stock("WH-1", A=5, B=3)
    return location


def fo_body(summary, location, lines, reference="r1"):
    group = summary.delivery_group_summaries.first()
    return {
        "orderSummaryId": str(summary.pk),
        "orderDeliveryGroupSummaryId": str(group.pk),
        "fulfillmentGroups": [
            {
                "fulfilledFromLocationId": str(location.pk),
                "fulfillmentType": "Warehouse",
                "referenceId": reference,
                "orderItemSummaries": [{"orderItemSummaryId": str(ois.pk), "quantity": q} for ois, q in lines],
            }
        ],
    }


def test_create_read_cancel_and_fulfil_over_rest(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)

    created = api.post_json(FO, fo_body(summary, warehouse, [(items["A"], 2), (items["B"], 1)]), key="fo-1")
    assert created.status_code == 201, created.json()
    (order_id,) = created.json()["fulfillmentOrderIds"]
    replay = api.post_json(FO, fo_body(summary, warehouse, [(items["A"], 2), (items["B"], 1)]), key="fo-1")
    assert replay["Idempotent-Replayed"] == "true" and FulfillmentOrder.objects.count() == 1

    body = api.get(f"{FO}/{order_id}").json()
    # 80.00 + 20.00 + 10.00 = 110.00; tax 6.40 + 1.60 + 0.80 = 8.80; grand 118.80
    assert (body["totalAmount"], body["totalTaxAmount"], body["grandTotalAmount"]) == (110.0, 8.8, 118.8)
    assert body["status"] == "Allocated" and body["statusCategory"] == "ACTIVATED"
    assert body["fulfilledFromLocationName"] == "WH-1"
    a_line = next(line for line in body["fulfillmentOrderLineItems"] if line["quantity"] == 2)

    canceled = api.post_json(
        f"{FO}/{order_id}/actions/cancel-item",
        {"fulfillmentOrderLineItemsToCancel": [{"fulfillmentOrderLineItemId": a_line["id"], "quantity": 1}]},
    )
    assert canceled.status_code == 200 and canceled.json()["success"] is True
    assert on_hand_reserved("WH-1", "A") == (D(5), D(1))

    fulfilled = api.patch(f"{FO}/{order_id}", {"status": "Fulfilled"}, format="json")
    assert fulfilled.status_code == 200
    assert fulfilled.json()["status"] == "Fulfilled" and fulfilled.json()["fulfilledDate"]
    assert on_hand_reserved("WH-1", "A") == (D(4), D(0))
    assert items_by_sku(summary)["A"].quantity_fulfilled == 1

    refused = api.patch(f"{FO}/{order_id}", {"status": "Allocated"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["errorCode"] == "INVALID_STATE"

    detail = api.get(f"{BASE}/order-management/order-summaries/{summary.pk}").json()
    assert [fo["id"] for fo in detail["fulfillmentOrders"]] == [order_id]


def test_create_refusals_name_the_field(api, warehouse):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    too_many = api.post_json(FO, fo_body(summary, warehouse, [(a, 3)]))
    assert too_many.status_code == 409
    assert too_many.json()["errors"][0]["field"] == "fulfillmentGroups[0].orderItemSummaries[0].quantity"
    negative = api.post_json(FO, fo_body(summary, warehouse, [(a, -1)]))
    assert negative.status_code == 400
    assert negative.json()["errors"][0]["field"] == "fulfillmentGroups[0].orderItemSummaries[0].quantity"
    missing = api.post_json(FO, {**fo_body(summary, warehouse, [(a, 1)]), "orderSummaryId": "999999"})
    assert missing.status_code == 404


def test_create_multiple_answers_per_group(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    response = api.post_json(
        f"{BASE}/fulfillment/actions/create-multiple",
        {
            "fulfillmentOrders": [
                fo_body(summary, warehouse, [(items["A"], 2)], reference="ok"),
                fo_body(summary, warehouse, [(items["B"], 5)], reference="too-many"),
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["fulfillmentOrders"]
    assert [(r["referenceId"], r["success"]) for r in results] == [("ok", True), ("too-many", False)]
    assert results[1]["fulfillmentOrderId"] is None
    field = "fulfillmentOrders[1].fulfillmentGroups[0].orderItemSummaries[0].quantity"
    assert results[1]["errors"][0]["field"] == field
    assert response.json()["success"] is False


def test_storefront_of_another_channel_sees_nothing(make_api, warehouse):
    summary = worked_example()
    (order,) = _place(summary, warehouse)
    stranger = make_api(scopes=["fulfillment:read", "fulfillment:write"], channel=SalesChannelFactory(name="Other"))
    assert stranger.get(f"{FO}/{order.pk}").status_code == 404
    assert stranger.patch(f"{FO}/{order.pk}", {"status": "Fulfilled"}, format="json").status_code == 404
    own = make_api(scopes=["fulfillment:read"], channel=summary.sales_channel)
    assert own.get(f"{FO}/{order.pk}").status_code == 200
    assert own.patch(f"{FO}/{order.pk}", {"status": "Fulfilled"}, format="json").status_code == 403


def _place(summary, warehouse):
    return place(summary, (warehouse, [(items_by_sku(summary)["A"], 1)]))


def test_find_routes(api):
    response = api.post_json(
        f"{ROUTING}/find-routes-with-fewest-splits",
        {
            "orderedQuantities": [{"stockKeepingUnit": "A", "quantity": 2}, {"stockKeepingUnit": "B", "quantity": 1}],
            "locationAvailableInventory": [
                {"externalReferenceId": "W2", "stockKeepingUnit": "A", "quantity": 2},
                {"externalReferenceId": "W1", "stockKeepingUnit": "A", "quantity": 1},
                {"externalReferenceId": "W1", "stockKeepingUnit": "B", "quantity": 1},
                {"externalReferenceId": "W3", "stockKeepingUnit": "B", "quantity": 4},
            ],
            "maximumNumberOfSplits": 1,
        },
    )
    assert response.status_code == 200
    # No location holds 2 × A and 1 × B; pairs that do: W1+W2 (A 1+2, B 1) and W2+W3 (A 2, B 4).
    assert response.json()["targetLocations"] == [{"locations": ["W1", "W2"]}, {"locations": ["W2", "W3"]}]


def test_rank_by_average_distance_from_a_us_postal_code(api):
    make_location("CHI", latitude="41.8858", longitude="-87.6181")
    make_location("NYC", latitude="40.7484", longitude="-73.9967")
    response = api.post_json(
        f"{ROUTING}/rank-byaverage-distance",
        {
            "deliveryCountryCode": "US",
            "deliveryPostalCode": "62701",
            "distanceUnit": "mi",
            "sortResult": "ASC",
            "targetLocations": [{"locations": ["NYC"]}, {"locations": ["CHI"]}, {"locations": ["CHI", "NYC"]}],
        },
    )
    assert response.status_code == 200
    body = response.json()
    # 62701 → CHI 178.99 mi (hand-checked in test_routing_distance); → NYC: h = sin²(0.0082764) +
    # 0.76828 × 0.75758 × sin²(0.13660) = 0.00006850 + 0.58204 × 0.018543 = 0.010861; c = 2 asin(0.10422)
    # = 0.20881 → × 3958.7613 = 826.64 mi. Pair: (178.99 + 826.64) / 2 = 502.82
    assert body["results"] == [
        {"locations": ["CHI"], "averageDistance": 178.99},
        {"locations": ["CHI", "NYC"], "averageDistance": 502.82},
        {"locations": ["NYC"], "averageDistance": 826.64},
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"deliveryCountryCode": "US", "deliveryPostalCode": "99999"}, "deliveryPostalCode"),
        ({"deliveryCountryCode": "DE", "deliveryPostalCode": "10115"}, "deliveryCountryCode"),
        ({"deliveryCountryCode": "US", "deliveryPostalCode": "62701", "distanceUnit": "ly"}, "distanceUnit"),
    ],
)
def test_rank_refusals(api, body, field):
    make_location("CHI", latitude="41.8858", longitude="-87.6181")
    body = {**body, "targetLocations": [{"locations": ["CHI"]}]}
    response = api.post_json(f"{ROUTING}/rank-byaverage-distance", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_rank_names_unknown_locations_and_takes_coordinates_abroad(api):
    make_location("BER", latitude="52.5200", longitude="13.4050")
    make_location("NOWHERE")
    bad = api.post_json(
        f"{ROUTING}/rank-byaverage-distance",
        {
            "deliveryCountryCode": "DE",
            "deliveryLatitude": 52.52,
            "deliveryLongitude": 13.405,
            "distanceUnit": "km",
            "targetLocations": [{"locations": ["BER", "GHOST"]}, {"locations": ["NOWHERE"]}],
        },
    )
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == [
        "targetLocations[0].locations[1]",
        "targetLocations[1].locations[0]",
    ]
    good = api.post_json(
        f"{ROUTING}/rank-byaverage-distance",
        {
            "deliveryCountryCode": "DE",
            "deliveryLatitude": 52.52,
            "deliveryLongitude": 13.405,
            "distanceUnit": "km",
            "targetLocations": [{"locations": ["BER"]}],
        },
    )
    assert good.json()["results"] == [{"locations": ["BER"], "averageDistance": 0.0}]


def test_locations_and_inventory_levels(api):
    created = api.post_json(
        f"{BASE}/locations",
        {
            "name": "Chicago DC",
            "externalReference": "CHI",
            "locationType": "Warehouse",
            "city": "Chicago",
            "state": "IL",
            "postalCode": "60601",
            "country": "US",
            "latitude": 41.8858,
            "longitude": -87.6181,
        },
    )
    assert created.status_code == 201, created.json()
    assert created.json()["externalReference"] == "CHI" and created.json()["isInventoryLocation"] is True
    duplicate = api.post_json(f"{BASE}/locations", {"name": "Again", "externalReference": "CHI"})
    assert duplicate.status_code == 409 and duplicate.json()["output"]["locationId"] == created.json()["id"]
    listed = api.get(f"{BASE}/locations").json()
    assert [row["externalReference"] for row in listed["rows"]] == ["CHI"] and listed["nextCursor"] is None

    level = api.post_json(
        f"{BASE}/inventory-levels", {"locationExternalReference": "CHI", "stockKeepingUnit": "A", "quantityOnHand": 7}
    )
    assert level.status_code == 200
    assert (level.json()["quantityOnHand"], level.json()["quantityReserved"], level.json()["quantityAvailable"]) == (
        7,
        0,
        7,
    )
    updated = api.post_json(
        f"{BASE}/inventory-levels", {"locationExternalReference": "CHI", "stockKeepingUnit": "A", "quantityOnHand": 4}
    )
    assert updated.json()["quantityOnHand"] == 4 and InventoryLevel.objects.count() == 1
    unknown = api.post_json(
        f"{BASE}/inventory-levels", {"locationExternalReference": "NOPE", "stockKeepingUnit": "A", "quantityOnHand": 1}
    )
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "locationExternalReference"
    page = api.get(f"{BASE}/inventory-levels", {"stockKeepingUnit": "A"}).json()
    assert [(row["locationExternalReference"], row["quantityAvailable"]) for row in page["rows"]] == [("CHI", 4)]


def test_on_hand_cannot_drop_below_what_is_reserved(api, warehouse):
    summary = worked_example()
    _place(summary, warehouse)  # reserves 1 × A at WH-1
    response = api.post_json(
        f"{BASE}/inventory-levels", {"locationExternalReference": "WH-1", "stockKeepingUnit": "A", "quantityOnHand": 0}
    )
    assert response.status_code == 409
    assert on_hand_reserved("WH-1", "A") == (D(5), D(1))


def test_scopes(make_api):
    reader = make_api(scopes=["orders:read"])
    assert reader.get(f"{BASE}/locations").status_code == 403
    fulfillment_reader = make_api(scopes=["fulfillment:read"])
    assert fulfillment_reader.get(f"{BASE}/locations").status_code == 200
    assert fulfillment_reader.post_json(f"{BASE}/locations", {"name": "X", "externalReference": "X"}).status_code == 403


def test_lines_of_an_order_placed_over_rest_carry_the_delivery_charge(api, warehouse):
    summary = worked_example()
    response = api.post_json(FO, fo_body(summary, warehouse, [(items_by_sku(summary)["B"], 1)]))
    order = FulfillmentOrder.objects.get(pk=response.json()["fulfillmentOrderIds"][0])
    assert set(lines_by_sku(order)) == {"B", "DELIVERY-GROUND"}


def test_return_order_over_rest(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    api.patch(f"{FO}/{order.pk}", {"status": "Fulfilled"}, format="json")

    created = api.post_json(
        f"{BASE}/returns/return-orders",
        {
            "orderSummaryId": str(summary.pk),
            "status": "Submitted",
            "returnOrderLifeCycleType": "Managed",
            "destinationLocationId": str(warehouse.pk),
            "returnOrderLineItems": [
                {
                    "orderItemSummaryId": str(items["B"].pk),
                    "quantityExpected": 1,
                    "reasonForReturn": "Wrong Item",
                    "canReduceShipping": False,
                }
            ],
        },
    )
    assert created.status_code == 201, created.json()
    return_order_id = created.json()["returnOrderId"]
    detail = api.get(f"{BASE}/returns/return-orders/{return_order_id}").json()
    (line,) = detail["returnOrderLineItems"]
    assert (line["quantityExpected"], line["reasonForReturn"], line["isProcessed"]) == (1, "Wrong Item", False)

    processed = api.post_json(
        f"{BASE}/returns/return-orders/{return_order_id}/actions/return-items",
        {"returnOrderItems": [{"returnOrderLineItemId": line["id"], "quantityReturned": 1, "quantityReceived": 1}]},
    )
    assert processed.status_code == 200, processed.json()
    body = processed.json()
    assert body["changeOrderId"] and body["returnLineItemSplits"] == [] and body["success"] is True
    # B 20.00 + 1.60 back, no shipping reduction: 118.80 − 21.60 = 97.20
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("97.20")
    assert on_hand_reserved("WH-1", "B") == (D(3), D(0))  # 3 − 1 shipped + 1 back

    again = api.post_json(
        f"{BASE}/returns/return-orders/{return_order_id}/actions/return-items",
        {"returnOrderItems": [{"returnOrderLineItemId": line["id"], "quantityReturned": 1}]},
    )
    assert again.status_code == 409
    summary_detail = api.get(f"{BASE}/order-management/order-summaries/{summary.pk}").json()
    assert [ro["id"] for ro in summary_detail["returnOrders"]] == [return_order_id]
    assert summary_detail["returnOrders"][0]["status"] == "Closed"


def test_return_order_input_errors(api, warehouse):
    summary = worked_example()
    response = api.post_json(
        f"{BASE}/returns/return-orders",
        {
            "orderSummaryId": str(summary.pk),
            "returnOrderLineItems": [{"orderItemSummaryId": str(items_by_sku(summary)["A"].pk), "quantityExpected": 1}],
        },
    )
    # Nothing shipped yet: nothing can come back.
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "returnOrderLineItems[0].quantityExpected"
    bad = api.post_json(
        f"{BASE}/returns/return-orders", {"orderSummaryId": str(summary.pk), "returnOrderLineItems": []}
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "returnOrderLineItems"
