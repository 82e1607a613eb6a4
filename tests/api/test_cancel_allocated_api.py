"""Issue #13 points 1 and 2 over REST: cancel units allocated to fulfillment orders not yet picked
(cancelAllocatedQuantity), and cancel the whole order (preview/submit-cancel-order).

The worked example of DOMAIN.md §6: A 2 × 40.00 (tax 6.40), B 1 × 20.00 (tax 1.60), delivery 10.00
(tax 0.80), USD Net, grand total 118.80. FO1 at WH-1 holds A × 1 and the whole delivery charge (the
first fulfillment order of the group takes it); FO2 at WH-2 holds A × 1 and B × 1.
"""

from decimal import Decimal as D

import pytest

from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    Order,
    OrderItemSummaryChange,
    OrderSummaryStatus,
)
from orders.services.fulfillment_status import change_fulfillment_order_status
from payments.models import OrderPaymentSummary
from tests.api.helpers import SUMMARY_TEMPLATE, body_of, summary_path
from tests.api.schema import assert_response_matches_schema
from tests.builders import address, ingest, item, items_by_sku, order_body, tax, worked_example, worked_example_body
from tests.fulfillment.helpers import lines_by_sku, make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db

ACTIONS = SUMMARY_TEMPLATE + "/actions/"


def post(client, summary_id, action, body, *, expect):
    response = client.post_json(f"{summary_path(summary_id)}/actions/{action}", body)
    assert response.status_code == expect, response.content
    assert_response_matches_schema(response, "post", ACTIONS + action)
    return body_of(response)


def cancel(ois, quantity, **extra):
    return {"changeItems": [{"orderItemSummaryId": str(ois.pk), "quantity": quantity, "reason": "Damaged"}], **extra}


def written():
    return (
        Order.objects.count(),
        OrderItemSummaryChange.objects.count(),
        list(FulfillmentOrderLineItem.objects.order_by("pk").values_list("quantity", flat=True)),
        list(FulfillmentOrder.objects.order_by("pk").values_list("status", flat=True)),
    )


@pytest.fixture
def routed():
    """The worked example on two fulfillment orders: FO1 (A × 1 + delivery), FO2 (A × 1, B × 1)."""
    one, two = make_location("WH-1"), make_location("WH-2")
    stock("WH-1", A=5, B=5)
    stock("WH-2", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    (fo1,) = place(summary, (one, [(items["A"], 1)]))
    (fo2,) = place(summary, (two, [(items["A"], 1), (items["B"], 1)]))
    return summary, items, fo1, fo2


def line_entry(order, line, quantity, *, returned=False, moved_to=None):
    return {
        "fulfillmentOrderId": str(order.pk),
        "fulfillmentOrderNumber": order.number,
        "fulfillmentOrderLineItemId": str(line.pk),
        "orderItemSummaryId": str(line.order_item_summary_id),
        "quantity": D(quantity),
        "returnedToGroup": returned,
        "movedToFulfillmentOrderId": None if moved_to is None else str(moved_to.pk),
    }


def test_allocated_units_are_refused_without_the_flag_and_nothing_is_written(api, routed):
    summary, items, _, _ = routed
    before = written()
    body = post(api, summary.pk, "submit-cancel", cancel(items["A"], 1), expect=409)
    (error,) = body["errors"]
    assert error["errorCode"] == "UNITS_ALLOCATED"
    assert error["field"] == "changeItems[0].quantity"
    assert "cancelAllocatedQuantity" in error["message"]
    assert written() == before


def test_cancel_of_allocated_units_with_the_flag_cancels_the_newest_line_first(api, routed):
    summary, items, _fo1, fo2 = routed
    fo2_lines = lines_by_sku(fo2)
    before = written()
    request = cancel(items["A"], 1, cancelAllocatedQuantity=True)
    preview = post(api, summary.pk, "preview-cancel", request, expect=200)
    assert written() == before
    # A: 1 of 2 units → 80.00 × 1/2 = 40.00, tax 6.40 × 1/2 = 3.20; grand 43.20; nothing captured.
    balances = preview["changeBalances"]
    assert (balances["totalAmount"], balances["totalTaxAmount"], balances["grandTotalAmount"]) == (
        D("40.00"),
        D("3.20"),
        D("43.20"),
    )
    assert balances["totalExcessFundsAmount"] == D("0.00")
    # Both fulfillment orders are Allocated: the newest (FO2) gives the unit; FO2 keeps B, so stays open.
    assert preview["fulfillmentOrderLinesToCancel"] == [line_entry(fo2, fo2_lines["A"], "1")]
    assert preview["canceledFulfillmentOrderIds"] == []
    assert preview["deliveryChargesCanceledWithLastProduct"] == []

    submitted = post(api, summary.pk, "submit-cancel", request, expect=201)
    assert submitted["changeBalances"] == preview["changeBalances"]
    assert submitted["fulfillmentOrderLinesToCancel"] == preview["fulfillmentOrderLinesToCancel"]
    a = items["A"]
    a.refresh_from_db()
    assert (a.quantity_canceled, a.quantity_allocated, a.total_line_amount) == (D("1"), D("1"), D("40.00"))
    line = FulfillmentOrderLineItem.objects.get(pk=fo2_lines["A"].pk)
    assert (line.quantity, line.total_line_amount, line.total_line_tax_amount) == (D("0"), D("0"), D("0"))
    fo2.refresh_from_db()
    # FO2 now ships B alone: 20.00 + 1.60.
    assert (fo2.status, fo2.grand_total_amount) == ("Allocated", D("21.60"))
    # The reservation at WH-2 is released: A on hand 5, reserved 1 → 0.
    assert on_hand_reserved("WH-2", "A") == (D("5"), D("0"))
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("75.60")


def test_a_fulfillment_order_left_without_products_is_cancelled_and_its_delivery_charge_moves_on(api, routed):
    summary, items, fo1, fo2 = routed
    fo1_lines = lines_by_sku(fo1)
    change_fulfillment_order_status(fo2.pk, "Assigned")
    # Assigned (FO2) is further along than Allocated (FO1): FO1's unit goes first.
    request = cancel(items["A"], 1, cancelAllocatedQuantity=True)
    preview = post(api, summary.pk, "preview-cancel", request, expect=200)
    assert preview["fulfillmentOrderLinesToCancel"] == [
        line_entry(fo1, fo1_lines["A"], "1"),
        # FO1 has no product left: its delivery charge goes back to the group and onto FO2.
        line_entry(fo1, fo1_lines["DELIVERY-GROUND"], "1", returned=True, moved_to=fo2),
    ]
    assert preview["canceledFulfillmentOrderIds"] == [str(fo1.pk)]
    # Only A's unit is canceled: the delivery charge still ships (with FO2).
    assert preview["changeBalances"]["grandTotalAmount"] == D("43.20")

    post(api, summary.pk, "submit-cancel", request, expect=201)
    fo1.refresh_from_db()
    fo2.refresh_from_db()
    assert fo1.status == "Cancelled" and fo1.grand_total_amount == D("0")
    # FO2: A 40.00 + 3.20, B 20.00 + 1.60, delivery 10.00 + 0.80 = 75.60, the summary's new grand total.
    assert fo2.grand_total_amount == D("75.60")
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("75.60")
    charge = items["DELIVERY-GROUND"]
    charge.refresh_from_db()
    assert (charge.quantity_allocated, charge.quantity_canceled) == (D("1"), D("0"))
    assert on_hand_reserved("WH-1", "A") == (D("5"), D("0"))


def test_units_in_picking_are_refused_naming_the_fulfillment_order(api, routed):
    summary, items, fo1, _fo2 = routed
    change_fulfillment_order_status(fo1.pk, "Pickpack")
    before = written()
    body = post(api, summary.pk, "preview-cancel", cancel(items["A"], 2, cancelAllocatedQuantity=True), expect=409)
    (error,) = body["errors"]
    assert error["errorCode"] == "UNITS_IN_FULFILLMENT"
    assert error["field"] == "changeItems[0].quantity"
    assert f"fulfillment order {fo1.number} (Pickpack)" in error["message"]
    assert "Only 1 of this item" in error["message"]
    post(api, summary.pk, "submit-cancel", cancel(items["A"], 2, cancelAllocatedQuantity=True), expect=409)
    assert written() == before
    # The unit on FO2 (Allocated) can still go.
    post(api, summary.pk, "submit-cancel", cancel(items["A"], 1, cancelAllocatedQuantity=True), expect=201)


def test_whole_order_cancel_on_two_fulfillment_orders_with_a_delivery_charge(api, django_capture_on_commit_callbacks):
    one, two = make_location("WH-1"), make_location("WH-2")
    stock("WH-1", A=5, B=5)
    stock("WH-2", A=5, B=5)
    # Paid by a sale of the whole 118.80 at checkout: captured, so the cancel frees it all as excess.
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
    summary = ingest(body)
    items = items_by_sku(summary)
    (fo1,) = place(summary, (one, [(items["A"], 1)]))
    (fo2,) = place(summary, (two, [(items["A"], 1), (items["B"], 1)]))
    fo1_lines, fo2_lines = lines_by_sku(fo1), lines_by_sku(fo2)
    before = written()

    request = {"reason": "Customer Changed Mind", "reasonText": "Ordered twice"}
    preview = post(api, summary.pk, "preview-cancel-order", request, expect=200)
    assert written() == before
    balances = preview["changeBalances"]
    # A 80.00 + 6.40, B 20.00 + 1.60, delivery 10.00 + 0.80 (its group has nothing left to ship).
    assert balances == {
        "grandTotalAmount": D("118.80"),
        "totalAmount": D("110.00"),
        "totalTaxAmount": D("8.80"),
        "totalAdjustedProductAmount": D("100.00"),
        "totalAdjustedProductTaxAmount": D("8.00"),
        "totalAdjProductAmtWithTax": D("108.00"),
        "totalAdjustedDeliveryAmount": D("10.00"),
        "totalAdjustedDeliveryTaxAmount": D("0.80"),
        "totalAdjDeliveryAmtWithTax": D("10.80"),
        "totalFeeAmount": D("0.00"),
        "totalFeeTaxAmount": D("0.00"),
        # 118.80 captured − 0 still owed
        "totalExcessFundsAmount": D("118.80"),
        "totalRefundableAmount": D("118.80"),
    }
    assert preview["fulfillmentOrderLinesToCancel"] == sorted(
        [
            line_entry(fo1, fo1_lines["A"], "1"),
            line_entry(fo1, fo1_lines["DELIVERY-GROUND"], "1"),
            line_entry(fo2, fo2_lines["A"], "1"),
            line_entry(fo2, fo2_lines["B"], "1"),
        ],
        key=lambda entry: int(entry["fulfillmentOrderLineItemId"]),
    )
    assert preview["canceledFulfillmentOrderIds"] == [str(fo1.pk), str(fo2.pk)]
    assert preview["deliveryChargesCanceledWithLastProduct"] == [str(items["DELIVERY-GROUND"].pk)]

    with django_capture_on_commit_callbacks(execute=True):
        submitted = post(api, summary.pk, "submit-cancel-order", request, expect=201)
    assert submitted["changeBalances"] == balances
    (change_order,) = Order.objects.filter(order_summary=summary)
    assert submitted["changeOrderId"] == str(change_order.pk)
    assert (change_order.change_type, change_order.grand_total_amount) == ("Cancel", D("-118.80"))
    summary.refresh_from_db()
    assert (summary.status, summary.grand_total_amount) == (OrderSummaryStatus.CANCELED, D("0"))
    assert set(FulfillmentOrder.objects.filter(order_summary=summary).values_list("status", flat=True)) == {"Cancelled"}
    assert on_hand_reserved("WH-1", "A") == (D("5"), D("0"))
    assert on_hand_reserved("WH-2", "B") == (D("5"), D("0"))
    # The automation refunded the excess funds.
    payment = OrderPaymentSummary.objects.get(order_summary=summary)
    assert payment.refunded_amount == D("118.80")

    # Nothing is left to cancel.
    body = post(api, summary.pk, "preview-cancel-order", request, expect=409)
    assert body["errors"][0]["errorCode"] == "NOTHING_TO_CANCEL"


def test_whole_order_cancel_keeps_units_in_picking_and_their_delivery_charge(api, routed):
    summary, _items, fo1, fo2 = routed
    change_fulfillment_order_status(fo1.pk, "Pickpack")
    preview = post(api, summary.pk, "preview-cancel-order", {"reason": "Damaged"}, expect=200)
    # FO2's A (40.00 + 3.20) and B (20.00 + 1.60); FO1 ships A and the delivery charge.
    assert preview["changeBalances"]["grandTotalAmount"] == D("64.80")
    assert preview["canceledFulfillmentOrderIds"] == [str(fo2.pk)]
    assert preview["deliveryChargesCanceledWithLastProduct"] == []
    submitted = post(api, summary.pk, "submit-cancel-order", {"reason": "Damaged"}, expect=201)
    assert submitted["changeBalances"] == preview["changeBalances"]
    summary.refresh_from_db()
    # A 40.00 + 3.20 and delivery 10.00 + 0.80 are still owed.
    assert (summary.grand_total_amount, summary.status) == (D("54.00"), OrderSummaryStatus.WAITING_TO_FULFILL)


@pytest.fixture
def bhd_order():
    """Three decimal places: X 3 × 1.250 BHD (tax 10 % = 0.375), delivery 2.000 (tax 0.200), grand 6.325,
    paid by a sale at checkout."""
    warehouse = make_location("WH-B")
    stock("WH-B", X=10)
    summary = ingest(
        order_body(
            currency="BHD",
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "deliveryCharge": {"amount": D("2.000"), "taxes": [tax(10, "0.200")]},
                    "items": [item("X", 3, "1.250", taxes=[tax(10, "0.375")])],
                }
            ],
            payments=[{"kind": "sale", "method": "GiftCard", "gatewayToken": "tok_gift", "amount": D("6.325")}],
        )
    )
    return summary, warehouse


def test_bhd_allocated_cancel_of_one_unit_then_the_rest_of_the_order(api, bhd_order):
    summary, warehouse = bhd_order
    x = items_by_sku(summary)["X"]
    (fo,) = place(summary, (warehouse, [(x, 3)]))
    # One of three: 3.750 × 1/3 = 1.250, tax 0.375 × 1/3 = 0.125; grand 1.375, all of it captured and excess.
    preview = post(api, summary.pk, "preview-cancel", cancel(x, 1, cancelAllocatedQuantity=True), expect=200)
    balances = preview["changeBalances"]
    assert (
        balances["totalAmount"],
        balances["totalTaxAmount"],
        balances["grandTotalAmount"],
        balances["totalExcessFundsAmount"],
    ) == (D("1.250"), D("0.125"), D("1.375"), D("1.375"))
    post(api, summary.pk, "submit-cancel", cancel(x, 1, cancelAllocatedQuantity=True), expect=201)
    # The rest: X 2.500 + 0.250 and the delivery charge 2.000 + 0.200 = 4.950; captured 6.325, owed 0.
    preview = post(api, summary.pk, "preview-cancel-order", {"reason": "Damaged"}, expect=200)
    balances = preview["changeBalances"]
    assert (
        balances["totalAmount"],
        balances["totalTaxAmount"],
        balances["grandTotalAmount"],
        balances["totalExcessFundsAmount"],
    ) == (D("4.500"), D("0.450"), D("4.950"), D("6.325"))
    submitted = post(api, summary.pk, "submit-cancel-order", {"reason": "Damaged"}, expect=201)
    assert submitted["changeBalances"] == balances
    fo.refresh_from_db()
    summary.refresh_from_db()
    assert fo.status == "Cancelled"
    assert (summary.status, summary.grand_total_amount) == (OrderSummaryStatus.CANCELED, D("0"))


def test_whole_order_cancel_refuses_an_unknown_reason_and_writes_nothing(api, routed):
    summary, _, _, _ = routed
    before = written()
    body = post(api, summary.pk, "submit-cancel-order", {"reason": "Bored"}, expect=400)
    assert body["errors"][0]["field"] == "reason"
    assert written() == before
