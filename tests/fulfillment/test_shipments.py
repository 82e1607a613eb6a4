"""Shipments with tracking (issue 17 point 4), through the REST API as an integration sends them.

The order (tests/money/shop.py): A 2 × 40.00 at 8 % (6.40 tax), B 1 × 20.00 at 8 % (1.60): 108.00, authorized
in full. Celery tasks run in-process after each request's commit, as a worker would run them.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from orders.models import FulfillmentOrder, ItemType, OrderItemSummary, Shipment, ShipmentLineItem
from payments.models import Invoice
from tests.api.helpers import body_of
from tests.api.schema import check_every_response
from tests.builders import ensure_channel
from tests.money.shop import FO, Shop, money

pytestmark = pytest.mark.django_db

TRACKING = {
    "carrier": "UPS",
    "service": "Ground",
    "trackingNumber": "1Z999AA10123456784",
    "trackingUrl": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
}


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


@pytest.fixture
def placed(shop):
    """(summary, fulfillment order id, {sku: line id}) for A 2 and B 1 at the shop's warehouse."""
    summary = shop.order()
    fulfillment_order_id = shop.place(summary, [("A", 2), ("B", 1)])
    lines = {line.sku: line.pk for line in FulfillmentOrder.objects.get(pk=fulfillment_order_id).lines.all()}
    return summary, fulfillment_order_id, lines


def ship(shop, fulfillment_order_id, lines=None, *, expect=201, **extra):
    body = {**TRACKING, **extra}
    if lines is not None:
        body["lines"] = [{"fulfillmentOrderLineItemId": str(pk), "quantity": q} for pk, q in lines]
    return shop.post(f"{FO}/{fulfillment_order_id}/shipments", body, expect=expect)


def codes(response):
    return [(error["errorCode"], error["field"]) for error in body_of(response)["errors"]]


def test_a_partial_shipment_then_the_last_one_fulfils_invoices_and_captures(shop, placed):
    summary, fulfillment_order_id, lines = placed
    first = body_of(ship(shop, fulfillment_order_id, [(lines["A"], 1)], shippedDate="2026-03-02T10:00:00Z"))
    assert (first["carrier"], first["service"], first["trackingNumber"]) == ("UPS", "Ground", "1Z999AA10123456784")
    assert first["shippedDate"] == "2026-03-02T10:00:00Z" and first["deliveredDate"] is None
    assert first["lines"] == [
        {"id": first["lines"][0]["id"], "fulfillmentOrderLineItemId": str(lines["A"]), "quantity": 1.0}
    ]

    order = body_of(shop.call("get", f"{FO}/{fulfillment_order_id}", expect=200))
    assert order["status"] == "Allocated" and order["invoiceId"] is None
    assert {line["stockKeepingUnit"]: line["quantityShipped"] for line in order["fulfillmentOrderLineItems"]} == {
        "A": 1.0,
        "B": 0.0,
    }
    assert [s["id"] for s in order["shipments"]] == [first["id"]]
    # Nothing is fulfilled, billed or captured for a parcel alone: the fulfillment order is still open.
    assert OrderItemSummary.objects.get(order_summary=summary, sku="A").quantity_fulfilled == 0
    assert money(summary)["invoices"] == [] and money(summary)["captured"] == 0

    # No lines: every unit left (A 1, B 1).
    last = body_of(ship(shop, fulfillment_order_id, trackingNumber="1Z999AA10123456785"))
    assert sorted((line["fulfillmentOrderLineItemId"], line["quantity"]) for line in last["lines"]) == sorted(
        [(str(lines["A"]), 1.0), (str(lines["B"]), 1.0)]
    )

    order = body_of(shop.call("get", f"{FO}/{fulfillment_order_id}", expect=200))
    invoice = Invoice.objects.get(fulfillment_order_id=fulfillment_order_id)
    assert order["status"] == "Fulfilled" and order["invoiceId"] == str(invoice.pk)
    assert [s["trackingNumber"] for s in order["shipments"]] == ["1Z999AA10123456784", "1Z999AA10123456785"]
    fulfilled = dict(
        OrderItemSummary.objects.filter(order_summary=summary, type=ItemType.PRODUCT).values_list(
            "sku", "quantity_fulfilled"
        )
    )
    assert fulfilled == {"A": D("2"), "B": D("1")}
    # 80.00 + 6.40 + 20.00 + 1.60 = 108.00 billed and captured, the invoice paid.
    assert money(summary)["invoices"] == [(D("108.00"), D("0.00"))]
    assert money(summary)["captured"] == D("108.00")
    summary.refresh_from_db()
    assert summary.status == "Fulfilled"


def test_the_shipment_answer_is_replayed_under_its_idempotency_key(shop, placed):
    _summary, fulfillment_order_id, lines = placed
    body = {**TRACKING, "lines": [{"fulfillmentOrderLineItemId": str(lines["A"]), "quantity": 1}]}
    first = shop.api.post_json(f"{FO}/{fulfillment_order_id}/shipments", body, key="ship-1")
    again = shop.api.post_json(f"{FO}/{fulfillment_order_id}/shipments", body, key="ship-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and body_of(again) == body_of(first)
    assert Shipment.objects.count() == 1
    assert FulfillmentOrder.objects.get(pk=fulfillment_order_id).lines.get(sku="A").quantity_shipped == 1


def test_a_line_never_ships_more_than_it_has_left(shop, placed):
    _summary, fulfillment_order_id, lines = placed
    ship(shop, fulfillment_order_id, [(lines["A"], 1)])
    refused = ship(shop, fulfillment_order_id, [(lines["A"], 1), (lines["A"], 1)], expect=409)
    assert codes(refused) == [("EXCEEDS_QUANTITY_TO_SHIP", "lines")]
    assert "Only 1 of A are left to ship" in body_of(refused)["errors"][0]["message"]
    assert ShipmentLineItem.objects.count() == 1
    refused = ship(shop, fulfillment_order_id, [(lines["B"], "0.5")], expect=400)
    assert codes(refused) == [("WHOLE_UNITS_ONLY", "lines[0].quantity")]


def test_the_database_refuses_a_line_shipping_more_than_it_holds(placed):
    from django.db import IntegrityError, transaction

    _summary, fulfillment_order_id, lines = placed
    with pytest.raises(IntegrityError), transaction.atomic():
        FulfillmentOrder.objects.get(pk=fulfillment_order_id).lines.filter(pk=lines["B"]).update(quantity_shipped=2)


def test_nothing_ships_from_a_canceled_or_rejected_fulfillment_order(shop, api):
    summary = shop.order()
    canceled = shop.place(summary, [("A", 1)])
    shop.status(canceled, "Cancelled")
    refused = ship(shop, canceled, expect=409)
    assert codes(refused) == [("FULFILLMENT_ORDER_NOT_OPEN", None)]
    rejected = shop.place(summary, [("B", 1)])
    shop.status(rejected, "Rejected")
    assert codes(ship(shop, rejected, expect=409)) == [("FULFILLMENT_ORDER_NOT_OPEN", None)]
    assert Shipment.objects.count() == 0


def test_a_fulfilled_fulfillment_order_has_nothing_left_to_ship(shop, placed):
    _summary, fulfillment_order_id, _lines = placed
    ship(shop, fulfillment_order_id)
    assert codes(ship(shop, fulfillment_order_id, expect=409)) == [("FULFILLMENT_ORDER_NOT_OPEN", None)]


def test_shipped_units_cannot_be_canceled_nor_the_fulfillment_order(shop, placed):
    _summary, fulfillment_order_id, lines = placed
    ship(shop, fulfillment_order_id, [(lines["A"], 1)])
    refused = shop.cancel_line(fulfillment_order_id, lines["A"], 2, expect=409)
    assert codes(refused) == [("UNITS_SHIPPED", None)]
    refused = shop.status(fulfillment_order_id, "Cancelled", expect=409)
    assert codes(refused) == [("UNITS_SHIPPED", None)]
    # The unit not shipped can go.
    shop.cancel_line(fulfillment_order_id, lines["A"], 1, expect=200)
    assert FulfillmentOrder.objects.get(pk=fulfillment_order_id).lines.get(sku="A").quantity == 1


def test_a_held_order_and_a_pickup_do_not_ship(shop, placed):
    summary, fulfillment_order_id, _lines = placed
    shop.post(
        f"/api/v1/commerce/order-management/order-summaries/{summary.pk}/actions/hold",
        {"reason": "Address check"},
        expect=201,
    )
    assert codes(ship(shop, fulfillment_order_id, expect=409)) == [("FULFILLMENT_ORDER_HELD", None)]
    FulfillmentOrder.objects.filter(pk=fulfillment_order_id).update(type="In Store Pickup")
    shop.post(f"/api/v1/commerce/order-management/order-summaries/{summary.pk}/actions/release-hold", {}, expect=200)
    assert codes(ship(shop, fulfillment_order_id, expect=409)) == [("PICKUP_NOT_SHIPPED", None)]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("trackingUrl", "javascript:alert(1)", "Must be an http or https address."),
        ("trackingUrl", "ftp://example.com/x", "Must be an http or https address."),
        ("shippedDate", "2999-01-01T00:00:00Z", "Must not be in the future."),
    ],
)
def test_bad_tracking_and_dates_are_refused(shop, placed, field, value, message):
    _summary, fulfillment_order_id, _lines = placed
    refused = ship(shop, fulfillment_order_id, expect=400, **{field: value})
    assert [(e["field"], e["message"]) for e in body_of(refused)["errors"]] == [(field, message)]
    assert Shipment.objects.count() == 0


def test_the_delivery_date_is_set_later_and_can_be_cleared(shop, placed):
    _summary, fulfillment_order_id, lines = placed
    shipped = body_of(ship(shop, fulfillment_order_id, [(lines["A"], 1)], shippedDate="2026-03-02T10:00:00Z"))
    path = f"{FO}/{fulfillment_order_id}/shipments/{shipped['id']}"
    before = FulfillmentOrder.objects.get(pk=fulfillment_order_id).updated_at

    delivered = body_of(shop.call("patch", path, {"deliveredDate": "2026-03-04T15:30:00Z"}, expect=200))
    assert delivered["deliveredDate"] == "2026-03-04T15:30:00Z" and delivered["trackingNumber"] == "1Z999AA10123456784"
    assert body_of(shop.call("get", path, expect=200))["deliveredDate"] == "2026-03-04T15:30:00Z"
    # The fulfillment order shows its shipments, so it counts as modified for the lists polled by date.
    assert FulfillmentOrder.objects.get(pk=fulfillment_order_id).updated_at > before

    refused = shop.call("patch", path, {"deliveredDate": "2026-03-01T00:00:00Z"}, expect=400)
    assert codes(refused) == [("INVALID_API_INPUT", "deliveredDate")]
    refused = shop.call("patch", path, {"lines": []}, expect=400)
    assert codes(refused) == [("INVALID_API_INPUT", "lines")]

    corrected = body_of(shop.call("patch", path, {"deliveredDate": None, "trackingNumber": "1Z-NEW"}, expect=200))
    assert (corrected["deliveredDate"], corrected["trackingNumber"], corrected["carrier"]) == (None, "1Z-NEW", "UPS")
    listed = body_of(shop.call("get", f"{FO}/{fulfillment_order_id}/shipments", expect=200))
    assert [(s["id"], s["trackingNumber"]) for s in listed] == [(shipped["id"], "1Z-NEW")]


def test_a_shipment_is_found_under_its_own_fulfillment_order_only(shop, placed):
    _summary, fulfillment_order_id, lines = placed
    shipped = body_of(ship(shop, fulfillment_order_id, [(lines["A"], 1)]))
    other = shop.place(shop.order(), [("A", 1)])
    shop.call("get", f"{FO}/{other}/shipments/{shipped['id']}", expect=404)
    shop.call("patch", f"{FO}/{other}/shipments/{shipped['id']}", {"deliveredDate": None}, expect=404)
    assert body_of(shop.call("get", f"{FO}/{other}/shipments", expect=200)) == []


def test_a_channel_key_sees_and_ships_its_own_channel_only(shop, placed, make_api):
    _summary, fulfillment_order_id, lines = placed
    shipped = body_of(ship(shop, fulfillment_order_id, [(lines["A"], 1)]))
    other = make_api(channel=ensure_channel("Other Store"))
    base = f"{FO}/{fulfillment_order_id}/shipments"
    assert other.post_json(base, TRACKING).status_code == 404
    assert other.get(base).status_code == 404
    assert other.get(f"{base}/{shipped['id']}").status_code == 404
    assert other.patch(f"{base}/{shipped['id']}", {"deliveredDate": None}, format="json").status_code == 404
    assert Shipment.objects.count() == 1 and Shipment.objects.get().delivered_at is None

    own = make_api(channel=FulfillmentOrder.objects.get(pk=fulfillment_order_id).order_summary.sales_channel)
    assert own.get(base).status_code == 200
    assert (
        own.post_json(base, {**TRACKING, "shippedDate": (timezone.now() - timedelta(hours=1)).isoformat()}).status_code
        == 201
    )
    assert FulfillmentOrder.objects.get(pk=fulfillment_order_id).status == "Fulfilled"


def test_canceling_the_units_not_shipped_fulfils_what_shipped(shop, placed):
    summary, fulfillment_order_id, lines = placed
    ship(shop, fulfillment_order_id, [(lines["A"], 2)])
    shop.cancel_line(fulfillment_order_id, lines["B"], 1, expect=200)
    order = FulfillmentOrder.objects.get(pk=fulfillment_order_id)
    assert order.status == "Fulfilled"
    # A 2 × 40.00 + 6.40 tax = 86.40 billed and captured; B is back to be placed again or canceled.
    assert money(summary)["invoices"] == [(D("86.40"), D("0.00"))]
    assert OrderItemSummary.objects.get(order_summary=summary, sku="B").quantity_allocated == 0


def test_rejecting_the_units_not_shipped_fulfils_what_shipped(shop, placed, settings):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    _summary, fulfillment_order_id, lines = placed
    ship(shop, fulfillment_order_id, [(lines["B"], 1), (lines["A"], 1)])
    shop.post(
        f"{FO}/{fulfillment_order_id}/actions/reject-items",
        {
            "fulfillmentOrderLineItemsToReject": [
                {"fulfillmentOrderLineItemId": str(lines["A"]), "quantity": 1, "reason": "Damaged"}
            ]
        },
        expect=200,
    )
    order = FulfillmentOrder.objects.get(pk=fulfillment_order_id)
    assert order.status == "Fulfilled"
    assert {line.sku: (line.quantity, line.quantity_shipped) for line in order.lines.filter(type=ItemType.PRODUCT)} == {
        "A": (D("1"), D("1")),
        "B": (D("1"), D("1")),
    }


def test_a_change_order_canceling_the_units_not_shipped_fulfils_what_shipped(shop, placed):
    """The agent's cancel (a change order on the summary, not cancel-item on the fulfillment order) of the one
    unit not shipped leaves the fulfillment order holding only shipped units: it is Fulfilled, billed, captured."""
    summary, fulfillment_order_id, lines = placed
    ship(shop, fulfillment_order_id, [(lines["A"], 2)])
    shop.action(
        summary,
        "submit-cancel",
        {
            "cancelAllocatedQuantity": True,
            "changeItems": [
                {
                    "orderItemSummaryId": str(shop.item(summary, "B").pk),
                    "quantity": 1,
                    "reason": "Customer Changed Mind",
                }
            ],
        },
    )
    order = FulfillmentOrder.objects.get(pk=fulfillment_order_id)
    assert order.status == "Fulfilled"
    # A 2 × 40.00 + 6.40 tax = 86.40 billed and captured; B 20.00 + 1.60 canceled.
    assert money(summary)["invoices"] == [(D("86.40"), D("0.00"))]
    b = OrderItemSummary.objects.get(order_summary=summary, sku="B")
    assert (b.quantity_canceled, b.quantity_allocated, b.quantity_fulfilled) == (D("1"), D("0"), D("0"))
    a = OrderItemSummary.objects.get(order_summary=summary, sku="A")
    assert a.quantity_fulfilled == D("2")
