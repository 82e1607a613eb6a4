"""Issue #13 points 3-4 and issue #12 points 4-5 over REST: whole units, delivery charges in cancel and
adjust, delivery charges that follow their products, and fees taken once.

The worked example of DOMAIN.md §6: A 2 × 40.00 (tax 6.40), B 1 × 20.00 (tax 1.60), delivery 10.00
(tax 0.80), USD Net, grand total 118.80; JPY: K 2 × 1500 (tax 10 % = 300), delivery 500 (tax 50), 3850.
"""

from decimal import Decimal as D

import pytest

from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    Order,
    OrderItemSummary,
    OrderSummaryStatus,
    ReturnOrder,
)
from orders.services.fulfillment_status import change_fulfillment_order_status
from tests.api.helpers import SUMMARY_TEMPLATE, body_of, summary_path
from tests.api.schema import assert_response_matches_schema
from tests.builders import address, ingest, item, items_by_sku, order_body, tax, worked_example, worked_example_body
from tests.fulfillment.helpers import lines_by_sku, make_location, place, stock

pytestmark = pytest.mark.django_db

ACTIONS = SUMMARY_TEMPLATE + "/actions/"
FO = "/api/v1/commerce/fulfillment/fulfillment-orders"


def post(client, summary_id, action, body, *, expect):
    response = client.post_json(f"{summary_path(summary_id)}/actions/{action}", body)
    assert response.status_code == expect, response.content
    assert_response_matches_schema(response, "post", ACTIONS + action)
    return body_of(response)


def change(ois, quantity, **extra):
    return {"changeItems": [{"orderItemSummaryId": str(ois.pk), "quantity": quantity, "reason": "Damaged", **extra}]}


def written():
    return (
        Order.objects.count(),
        ReturnOrder.objects.count(),
        list(
            OrderItemSummary.objects.order_by("pk").values_list(
                "quantity_canceled", "quantity_allocated", "quantity_return_initiated"
            )
        ),
        list(FulfillmentOrderLineItem.objects.order_by("pk").values_list("quantity", flat=True)),
    )


def paid_worked_example():
    body = worked_example_body()
    body["payments"] = [
        {
            "kind": "sale",
            "method": "Visa",
            "gatewayToken": "tok_visa",
            "amount": D("118.80"),
            "gatewayReference": "sale_1",
        }
    ]
    return ingest(body)


def paid_jpy_order():
    return ingest(
        order_body(
            currency="JPY",
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "deliveryCharge": {"amount": D("500"), "taxes": [tax(10, "50")]},
                    "items": [item("K", 2, "1500", taxes=[tax(10, "300")])],
                }
            ],
            payments=[
                {
                    "kind": "sale",
                    "method": "Visa",
                    "gatewayToken": "tok_visa",
                    "amount": D("3850"),
                    "gatewayReference": "sale_jpy",
                }
            ],
        )
    )


# --- Whole units (issue #13 point 3) ---------------------------------------------------------------------


@pytest.fixture
def warehouse():
    location = make_location("WH-1")
    stock("WH-1", A=5, B=5)
    return location


def test_fractional_quantities_are_refused_everywhere_and_nothing_is_written(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    before = written()
    for action in ("preview-cancel", "submit-cancel"):
        body = post(api, summary.pk, action, change(items["A"], "0.5"), expect=400)
        assert [(e["errorCode"], e["field"]) for e in body["errors"]] == [
            ("WHOLE_UNITS_ONLY", "changeItems[0].quantity")
        ]
    assert written() == before

    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    lines = lines_by_sku(order)
    response = api.post_json(
        f"{FO}/{order.pk}/actions/cancel-item",
        {"fulfillmentOrderLineItemsToCancel": [{"fulfillmentOrderLineItemId": str(lines["A"].pk), "quantity": "1.5"}]},
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["errorCode"] == "WHOLE_UNITS_ONLY"
    change_fulfillment_order_status(order.pk, "Fulfilled")
    before = written()
    body = post(api, summary.pk, "submit-return", change(items["B"], "0.25"), expect=400)
    assert body["errors"][0]["errorCode"] == "WHOLE_UNITS_ONLY"
    response = api.post_json(
        "/api/v1/commerce/returns/return-orders",
        {
            "orderSummaryId": str(summary.pk),
            "status": "Submitted",
            "returnOrderLifeCycleType": "Managed",
            "destinationLocationId": str(warehouse.pk),
            "returnOrderLineItems": [
                {
                    "orderItemSummaryId": str(items["A"].pk),
                    "quantityExpected": "1.5",
                    "reasonForReturn": "Wrong Item",
                    "canReduceShipping": False,
                }
            ],
        },
    )
    assert response.status_code == 400, response.content
    assert [(e["errorCode"], e["field"]) for e in response.json()["errors"]] == [
        ("WHOLE_UNITS_ONLY", "returnOrderLineItems[0].quantityExpected")
    ]
    assert written() == before


def test_return_items_of_a_return_order_are_whole_units(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    change_fulfillment_order_status(order.pk, "Fulfilled")
    created = api.post_json(
        "/api/v1/commerce/returns/return-orders",
        {
            "orderSummaryId": str(summary.pk),
            "status": "Submitted",
            "returnOrderLifeCycleType": "Managed",
            "destinationLocationId": str(warehouse.pk),
            "returnOrderLineItems": [
                {
                    "orderItemSummaryId": str(items["A"].pk),
                    "quantityExpected": 2,
                    "reasonForReturn": "Wrong Item",
                    "canReduceShipping": False,
                }
            ],
        },
    )
    assert created.status_code == 201, created.content
    return_order_id = created.json()["returnOrderId"]
    line_id = api.get(f"/api/v1/commerce/returns/return-orders/{return_order_id}").json()["returnOrderLineItems"][0][
        "id"
    ]
    before = written()
    response = api.post_json(
        f"/api/v1/commerce/returns/return-orders/{return_order_id}/actions/return-items",
        {"returnOrderItems": [{"returnOrderLineItemId": line_id, "quantityReturned": "1.5"}]},
    )
    assert response.status_code == 400, response.content
    assert [(e["errorCode"], e["field"]) for e in response.json()["errors"]] == [
        ("WHOLE_UNITS_ONLY", "returnOrderItems[0].quantityReturned")
    ]
    assert written() == before


def test_items_ordered_in_fractions_still_take_fractions(api):
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("FABRIC", "2.5", "10.00", rate=8)],
                }
            ]
        )
    )
    fabric = items_by_sku(summary)["FABRIC"]
    # 0.5 of 2.5 m: 25.00 × 0.5/2.5 = 5.00, tax 2.00 × 0.2 = 0.40
    body = post(api, summary.pk, "preview-cancel", change(fabric, "0.5"), expect=200)
    assert body["changeBalances"]["grandTotalAmount"] == D("5.40")


# --- Delivery charges in cancel and adjust (issue #13 point 4, issue #12 point 4) --------------------------


def test_cancel_of_the_delivery_charge_is_free_shipping(api):
    summary = worked_example()
    charge = items_by_sku(summary)["DELIVERY-GROUND"]
    body = post(api, summary.pk, "submit-cancel", change(charge, 1), expect=201)
    balances = body["changeBalances"]
    assert (
        balances["totalAdjustedDeliveryAmount"],
        balances["totalAdjustedDeliveryTaxAmount"],
        balances["grandTotalAmount"],
        balances["totalAdjustedProductAmount"],
    ) == (D("10.00"), D("0.80"), D("10.80"), D("0.00"))
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("108.00")


def test_adjusting_the_delivery_charge_down_is_free_shipping(api):
    summary = worked_example()
    charge = items_by_sku(summary)["DELIVERY-GROUND"]
    request = {
        "adjustItems": [
            {
                "orderItemSummaryId": str(charge.pk),
                "adjustmentType": "Percentage",
                "amount": -100,
                "reason": "Price Match",
            }
        ]
    }
    preview = post(api, summary.pk, "adjust-item-preview", request, expect=200)
    balances = preview["changeBalances"]
    # −100 % of 10.00 and of its tax 0.80
    assert (
        balances["totalAdjustedDeliveryAmount"],
        balances["totalAdjustedDeliveryTaxAmount"],
        balances["grandTotalAmount"],
    ) == (D("10.00"), D("0.80"), D("10.80"))
    submitted = post(api, summary.pk, "adjust-item-submit", request, expect=201)
    assert submitted["changeBalances"] == balances
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("108.00")


def test_the_last_product_of_a_group_takes_its_delivery_charge_with_it(api):
    summary = worked_example()
    items = items_by_sku(summary)
    post(api, summary.pk, "submit-cancel", change(items["A"], 2), expect=201)
    # B is the group's last product: canceled without the shipping flag, it still takes the charge.
    preview = post(api, summary.pk, "preview-cancel", change(items["B"], 1), expect=200)
    assert preview["deliveryChargesCanceledWithLastProduct"] == [str(items["DELIVERY-GROUND"].pk)]
    # B 20.00 + 1.60, delivery 10.00 + 0.80
    assert (
        preview["changeBalances"]["totalAdjustedDeliveryAmount"],
        preview["changeBalances"]["grandTotalAmount"],
    ) == (D("10.00"), D("32.40"))
    submitted = post(api, summary.pk, "submit-cancel", change(items["B"], 1), expect=201)
    assert submitted["changeBalances"] == preview["changeBalances"]
    summary.refresh_from_db()
    # A Canceled summary owes nothing.
    assert (summary.status, summary.grand_total_amount) == (OrderSummaryStatus.CANCELED, D("0"))
    charge = items_by_sku(summary)["DELIVERY-GROUND"]
    assert (charge.quantity_canceled, charge.status) == (D("1"), "CANCELED")


def test_jpy_last_product_with_its_delivery_charge(api):
    summary = paid_jpy_order()
    k = items_by_sku(summary)["K"]
    first = post(api, summary.pk, "submit-cancel", change(k, 1), expect=201)
    # 1 of 2: 3000 × 1/2 = 1500, tax 300 × 1/2 = 150; all captured: 1650 in excess.
    assert (first["changeBalances"]["grandTotalAmount"], first["changeBalances"]["totalExcessFundsAmount"]) == (
        D("1650"),
        D("1650"),
    )
    last = post(api, summary.pk, "submit-cancel", change(k, 1), expect=201)
    # The last K 1500 + 150 and the delivery 500 + 50; captured 3850, nothing left owed.
    assert (last["changeBalances"]["grandTotalAmount"], last["changeBalances"]["totalExcessFundsAmount"]) == (
        D("2200"),
        D("3850"),
    )
    summary.refresh_from_db()
    assert (summary.status, summary.grand_total_amount) == (OrderSummaryStatus.CANCELED, D("0"))


# --- cancel-item of a delivery-charge line (issue #12 point 4) ---------------------------------------------


def cancel_item(api, order, line, quantity=1, *, expect):
    response = api.post_json(
        f"{FO}/{order.pk}/actions/cancel-item",
        {"fulfillmentOrderLineItemsToCancel": [{"fulfillmentOrderLineItemId": str(line.pk), "quantity": quantity}]},
    )
    assert response.status_code == expect, response.content
    return response.json()


def test_a_canceled_delivery_charge_line_moves_to_the_groups_next_fulfillment_order(api, warehouse):
    two = make_location("WH-2")
    stock("WH-2", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    (fo1,) = place(summary, (warehouse, [(items["A"], 1)]))
    (fo2,) = place(summary, (two, [(items["A"], 1), (items["B"], 1)]))
    cancel_item(api, fo1, lines_by_sku(fo1)["DELIVERY-GROUND"], expect=200)
    fo1.refresh_from_db()
    fo2.refresh_from_db()
    # FO1 keeps A (40.00 + 3.20); FO2 ships A, B and now the charge: 43.20 + 21.60 + 10.80 = 75.60.
    assert (fo1.status, fo1.grand_total_amount) == ("Allocated", D("43.20"))
    assert fo2.grand_total_amount == D("75.60")
    assert lines_by_sku(fo2)["DELIVERY-GROUND"].total_line_amount == D("10.00")
    charge = items_by_sku(summary)["DELIVERY-GROUND"]
    assert charge.quantity_allocated == D("1")
    # Every unit and cent of the order is on an open fulfillment order: 43.20 + 75.60 = 118.80.
    assert fo1.grand_total_amount + fo2.grand_total_amount == summary.grand_total_amount


def test_emptying_a_fulfillment_order_moves_its_delivery_charge_on(api, warehouse):
    two = make_location("WH-2")
    stock("WH-2", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    (fo1,) = place(summary, (warehouse, [(items["A"], 1)]))
    (fo2,) = place(summary, (two, [(items["A"], 1), (items["B"], 1)]))
    body = cancel_item(api, fo1, lines_by_sku(fo1)["A"], expect=200)
    assert body["status"] == "Cancelled"
    fo2.refresh_from_db()
    assert "DELIVERY-GROUND" in lines_by_sku(fo2)
    # FO2: 43.20 + 21.60 + 10.80; A's unit is back on the summary, unallocated (40.00 + 3.20).
    assert fo2.grand_total_amount == D("75.60")


def test_a_delivery_charge_line_goes_back_to_the_group_when_products_are_still_to_place(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    (fo1,) = place(summary, (warehouse, [(items["A"], 1)]))
    cancel_item(api, fo1, lines_by_sku(fo1)["DELIVERY-GROUND"], expect=200)
    charge = items_by_sku(summary)["DELIVERY-GROUND"]
    assert charge.quantity_allocated == D("0")
    # The next fulfillment order of the group takes it.
    (fo2,) = place(summary, (warehouse, [(items["A"], 1), (items["B"], 1)]))
    assert lines_by_sku(fo2)["DELIVERY-GROUND"].total_line_amount == D("10.00")


def test_a_delivery_charge_line_with_nowhere_to_go_is_refused(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    (fo1,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    before = written()
    body = cancel_item(api, fo1, lines_by_sku(fo1)["DELIVERY-GROUND"], expect=409)
    assert body["errors"][0]["errorCode"] == "DELIVERY_CHARGE_STRANDED"
    assert fo1.number in body["errors"][0]["message"]
    assert written() == before
    assert FulfillmentOrder.objects.get(pk=fo1.pk).grand_total_amount == D("118.80")


# --- Fees taken once (issue #12 point 5) -------------------------------------------------------------------


def fee(amount, amount_type="AmountWithoutTax"):
    return [{"amount": amount, "amountType": amount_type, "description": "Restocking"}]


def test_balances_with_a_fee_report_the_reduction_before_the_fee(api):
    summary = paid_worked_example()
    b = items_by_sku(summary)["B"]
    body = post(api, summary.pk, "preview-cancel", change(b, 1, changeItemFees=fee(5)), expect=200)
    balances = body["changeBalances"]
    # B 20.00 + 1.60 = 21.60 off; the fee 5.00 + 8 % = 0.40 is reported apart; 118.80 captured − 97.20 still
    # owed = 21.60 in excess (not 21.60 − 5.40 = 16.20: the fee is taken once, from its invoice).
    assert (
        balances["grandTotalAmount"],
        balances["totalFeeAmount"],
        balances["totalFeeTaxAmount"],
        balances["totalExcessFundsAmount"],
    ) == (D("21.60"), D("5.00"), D("0.40"), D("21.60"))
    submitted = post(api, summary.pk, "submit-cancel", change(b, 1, changeItemFees=fee(5)), expect=201)
    assert submitted["changeBalances"] == balances
    assert submitted["feeChangeOrderId"] is not None


@pytest.mark.parametrize("action", ["preview-cancel", "submit-cancel"])
def test_a_fee_larger_than_its_reduction_is_refused(api, action):
    summary = paid_worked_example()
    b = items_by_sku(summary)["B"]
    before = written()
    # 20.01 + 8 % = 21.61 > 21.60
    body = post(api, summary.pk, action, change(b, 1, changeItemFees=fee("20.01")), expect=400)
    (error,) = body["errors"]
    assert (error["errorCode"], error["field"]) == ("FEE_EXCEEDS_REDUCTION", "changeItems[0].changeItemFees")
    assert written() == before
    # 20.00 + 1.60 = 21.60: the whole reduction, allowed.
    post(api, summary.pk, action, change(b, 1, changeItemFees=fee("20.00")), expect=200 if "preview" in action else 201)


def test_jpy_fees_before_and_too_large(api):
    summary = paid_jpy_order()
    k = items_by_sku(summary)["K"]
    # One K: 1500 + 150 = 1650. A 1600 fee is 1600 + 160 = 1760 > 1650: refused.
    body = post(api, summary.pk, "preview-cancel", change(k, 1, changeItemFees=fee(1600)), expect=400)
    assert body["errors"][0]["errorCode"] == "FEE_EXCEEDS_REDUCTION"
    body = post(api, summary.pk, "submit-cancel", change(k, 1, changeItemFees=fee(200)), expect=201)
    balances = body["changeBalances"]
    assert (
        balances["grandTotalAmount"],
        balances["totalFeeAmount"],
        balances["totalFeeTaxAmount"],
        balances["totalExcessFundsAmount"],
    ) == (D("1650"), D("200"), D("20"), D("1650"))


def test_a_return_fee_larger_than_the_return_is_refused(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    change_fulfillment_order_status(order.pk, "Fulfilled")
    before = written()
    body = post(api, summary.pk, "submit-return", change(items["B"], 1, changeItemFees=fee("25.00")), expect=400)
    assert body["errors"][0]["errorCode"] == "FEE_EXCEEDS_REDUCTION"
    assert written() == before


def test_a_pre_fulfillment_discount_of_allocated_units_reaches_the_fulfillment_order(api, warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    # PreFulfillment: the allocated units count as not yet in fulfillment, so the fulfillment order (not yet
    # invoiced) must ship at the new price: −10.00 on A, tax 8 % = −0.80.
    request = {
        "adjustItems": [
            {
                "orderItemSummaryId": str(items["A"].pk),
                "adjustmentType": "AmountWithoutTax",
                "amount": "-10.00",
                "reason": "Price Match",
            }
        ],
        "allocatedItemsChangeOrderType": "PreFulfillment",
    }
    body = post(api, summary.pk, "adjust-item-submit", request, expect=201)
    assert body["changeBalances"]["grandTotalAmount"] == D("10.80")
    order.refresh_from_db()
    summary.refresh_from_db()
    # 118.80 − 10.80 = 108.00, all of it on the fulfillment order.
    assert summary.grand_total_amount == D("108.00")
    assert order.grand_total_amount == D("108.00")
    a_line = lines_by_sku(order)["A"]
    assert (a_line.total_adjustment_amount, a_line.total_adjustment_tax_amount) == (D("-10.00"), D("-0.80"))
