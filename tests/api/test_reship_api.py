"""preview-reship / submit-reship over REST (issue 15, point 3), and the money around a reshipment: nothing
invoiced or captured, check_money balanced, on an order shipped, invoiced and captured through the API."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from orders.models import FulfillmentOrder, OrderItemSummary, Reshipment
from payments.models import Invoice, Payment
from tests.api.helpers import body_of
from tests.money.shop import SUMMARIES, Shop, money

pytestmark = pytest.mark.django_db

USD = {"currency": "USD", "items": (("A", 2, "40.00", 8), ("B", 1, "20.00", 8)), "delivery": ("10.00", "0.80")}


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


@pytest.fixture
def shipped(shop):
    summary = shop.order(**USD)
    shop.ship(shop.place(summary, [("A", 2), ("B", 1)]))
    return summary


def body(shop, summary, *lines):
    return {
        "reshipItems": [
            {
                "orderItemSummaryId": str(shop.item(summary, sku).pk),
                "quantity": quantity,
                "reason": "Damaged",
                "reasonForChangeText": "Lost by the carrier",
            }
            for sku, quantity in lines
        ]
    }


def test_preview_then_submit_reships_at_no_charge_and_the_money_balances(shop, shipped):
    before = money(shipped)
    assert before["captured"] == D("118.80") and before["invoices"] == [(D("118.80"), D("0.00"))]

    preview = shop.action(shipped, "preview-reship", body(shop, shipped, ("A", 1)), expect=200)
    a = shop.item(shipped, "A")
    assert preview == {
        "orderSummaryId": str(shipped.pk),
        "fulfillmentOrderIds": [],
        "reshipmentId": None,
        "fulfillmentGroups": [
            {
                "orderDeliveryGroupSummaryId": str(a.delivery_group_summary_id),
                "fulfilledFromLocationId": str(shop.location.pk),
                "fulfillmentType": "Warehouse",
                "orderItemSummaries": [{"orderItemSummaryId": str(a.pk), "quantity": 1.0}],
            }
        ],
        "amountToCharge": 0.0,
        "success": True,
        "errors": [],
    }
    assert not Reshipment.objects.exists()

    submitted = shop.action(shipped, "submit-reship", body(shop, shipped, ("A", 1)))
    (fulfillment_order_id,) = submitted["fulfillmentOrderIds"]
    assert submitted["amountToCharge"] == 0 and submitted["reshipmentId"] is not None
    assert {k: v for k, v in submitted.items() if k not in ("fulfillmentOrderIds", "reshipmentId")} == {
        k: v for k, v in preview.items() if k not in ("fulfillmentOrderIds", "reshipmentId")
    }

    detail = shop.summary_json(shipped)
    item_a = next(item for item in detail["orderItemSummaries"] if item["stockKeepingUnit"] == "A")
    assert (item_a["quantityReshipped"], item_a["quantityAvailableToReship"], item_a["status"]) == (1, 1, "FULFILLED")
    reship_fo = next(fo for fo in detail["fulfillmentOrders"] if fo["id"] == fulfillment_order_id)
    assert reship_fo["reshipmentId"] == submitted["reshipmentId"] and reship_fo["grandTotalAmount"] == 0

    # Shipped: no invoice, no capture, the settling pass finds the order paid for what shipped.
    shop.ship(int(fulfillment_order_id))
    assert FulfillmentOrder.objects.get(pk=fulfillment_order_id).status == "Fulfilled"
    assert not Invoice.objects.filter(fulfillment_order_id=fulfillment_order_id).exists()
    after = money(shipped)
    assert after["captured"] == D("118.80") and after["invoices"] == before["invoices"]
    assert Payment.objects.filter(order_payment_summary__order_summary=shipped).count() == 1
    refused = body_of(shop.create_invoice(int(fulfillment_order_id), expect=409))
    assert refused["errors"][0]["errorCode"] == "RESHIP_NOT_BILLED"
    out = StringIO()
    call_command("check_money", str(shipped.pk), stdout=out)
    assert out.getvalue() == "Every order summary keeps the money invariant.\n"


def test_reshipping_more_than_was_fulfilled_answers_409(shop, shipped):
    answer = shop.action(shipped, "submit-reship", body(shop, shipped, ("B", 2)), expect=409)
    assert answer["errors"][0]["field"] == "reshipItems[0].quantity"
    assert "Only 1 of B can be reshipped" in answer["errors"][0]["message"]
    shop.action(shipped, "submit-reship", body(shop, shipped, ("B", 1)))
    assert OrderItemSummary.objects.get(pk=shop.item(shipped, "B").pk).status == "RESHIPPED"
    again = shop.action(shipped, "preview-reship", body(shop, shipped, ("B", 1)), expect=409)
    assert "Only 0 of B" in again["errors"][0]["message"]


def test_bad_bodies_answer_400(shop, shipped):
    answer = shop.action(shipped, "submit-reship", {"reshipItems": []}, expect=400)
    assert answer["errors"][0]["field"].startswith("reshipItems")
    url = f"{SUMMARIES}/{shipped.pk}/actions/submit-reship"
    assert shop.post(
        url, {"reshipItems": [{"orderItemSummaryId": "x", "quantity": -1, "reason": "Damaged"}]}, expect=400
    )
