"""The change resources over REST: preview/submit cancel and return, adjust preview/submit."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from orders.models import Order, OrderItem, OrderItemSummary, OrderItemSummaryChange, OrderSummary
from tests.api.helpers import SUMMARY_TEMPLATE, body_of, summary_path
from tests.api.schema import assert_response_matches_schema
from tests.builders import (
    address,
    ensure_channel,
    ingest,
    item,
    items_by_sku,
    mark_captured,
    order_body,
    set_fulfillment_state,
    worked_example,
    worked_example_body,
)

pytestmark = pytest.mark.django_db

ACTIONS = SUMMARY_TEMPLATE + "/actions/"


def action_path(summary_id, action):
    return f"{summary_path(summary_id)}/actions/{action}"


def post(client, summary_id, action, body, *, expect, key=None):
    response = client.post_json(action_path(summary_id, action), body, key=key)
    assert response.status_code == expect, response.content
    assert_response_matches_schema(response, "post", ACTIONS + action)
    return body_of(response)


def written():
    return (
        Order.objects.count(),
        OrderItem.objects.count(),
        OrderItemSummaryChange.objects.count(),
        OrderItemSummary.objects.count(),
    )


def cancel_a(a, quantity=1, **extra):
    return {
        "changeItems": [
            {"orderItemSummaryId": str(a.pk), "quantity": quantity, "reason": "Customer Changed Mind", **extra}
        ]
    }


WORKED_BALANCES = {
    # DOMAIN.md §6: cancel 1 × A with shipping reduction, nothing captured
    "totalAdjustedProductAmount": D("40.00"),
    "totalAdjustedProductTaxAmount": D("3.20"),
    "totalAdjProductAmtWithTax": D("43.20"),
    "totalAdjustedDeliveryAmount": D("4.00"),
    "totalAdjustedDeliveryTaxAmount": D("0.32"),
    "totalAdjDeliveryAmtWithTax": D("4.32"),
    "totalAmount": D("44.00"),
    "totalTaxAmount": D("3.52"),
    "grandTotalAmount": D("47.52"),
    "totalFeeAmount": D("0.00"),
    "totalFeeTaxAmount": D("0.00"),
    "totalExcessFundsAmount": D("0.00"),
    "totalRefundableAmount": D("0.00"),
}


# A cancel's answer lists its fulfillment-order side (issue #13): nothing for unallocated units.
NO_FULFILLMENT_EFFECTS = {
    "fulfillmentOrderLinesToCancel": [],
    "canceledFulfillmentOrderIds": [],
    "deliveryChargesCanceledWithLastProduct": [],
}


def test_preview_then_submit_cancel_of_the_worked_example(api):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    before = written()
    preview = post(api, summary.pk, "preview-cancel", cancel_a(a, shippingReductionFlag=True), expect=200)
    assert written() == before
    assert preview == {
        "orderSummaryId": str(summary.pk),
        "changeBalances": WORKED_BALANCES,
        "success": True,
        "errors": [],
        **NO_FULFILLMENT_EFFECTS,
    }

    submitted = post(api, summary.pk, "submit-cancel", cancel_a(a, shippingReductionFlag=True), expect=201)
    assert submitted["changeBalances"] == preview["changeBalances"]
    order = Order.objects.get(order_summary=summary)
    assert submitted["changeOrderId"] == str(order.pk)
    assert submitted["feeChangeOrderId"] is None
    assert order.created_by_client_id == api.record.pk

    detail = body_of(api.get(summary_path(summary.pk)))
    assert detail["grandTotalAmount"] == D("71.28")
    (entry,) = detail["changeHistory"]
    assert entry["changeOrderId"] == str(order.pk)
    assert entry["changeType"] == "Cancel" and entry["reason"] == "Customer Changed Mind"
    assert entry["actor"] == f"api:{api.record.name}"
    assert entry["grandTotalAmount"] == D("-47.52")


def test_money_is_a_plain_json_number_rounded_to_cents(api):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    response = api.post_json(action_path(summary.pk, "preview-cancel"), cancel_a(a, shippingReductionFlag=True))
    assert b'"grandTotalAmount":47.52' in response.content


def test_captured_excess_and_submit_return_with_fee(api):
    summary = worked_example()
    for ois in summary.item_summaries.all():
        set_fulfillment_state(ois, allocated=ois.quantity_ordered, fulfilled=ois.quantity_ordered)
    mark_captured(summary, "118.80")
    a = items_by_sku(summary)["A"]
    body = cancel_a(a, changeItemFees=[{"amount": 5, "amountType": "AmountWithoutTax", "description": "Restocking"}])
    preview = post(api, summary.pk, "preview-return", body, expect=200)
    result = post(api, summary.pk, "submit-return", body, expect=201)
    assert result["changeBalances"] == preview["changeBalances"]
    balances = result["changeBalances"]
    # the return 40.00 + 3.20; the fee 5.00 + 0.40 (8 %); owed back 43.20
    assert (balances["grandTotalAmount"], balances["totalFeeAmount"], balances["totalFeeTaxAmount"]) == (
        D("43.20"),
        D("5.00"),
        D("0.40"),
    )
    assert balances["totalRefundableAmount"] == D("43.20")
    fee_order = Order.objects.get(pk=result["feeChangeOrderId"])
    assert fee_order.change_type == "Fee"
    assert Order.objects.get(pk=result["changeOrderId"]).change_type == "Return"


def test_adjust_preview_has_null_ids_and_submit_sets_them(api):
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", 3, "50.00", rate=10)],
                }
            ]
        )
    )
    x = set_fulfillment_state(items_by_sku(summary)["X"], allocated=2, fulfilled=1)
    body = {
        "adjustItems": [
            {
                "orderItemSummaryId": str(x.pk),
                "adjustmentType": "AmountWithoutTax",
                "amount": -45,
                "reason": "Price Match",
            }
        ],
        "allocatedItemsChangeOrderType": "InFulfillment",
    }
    preview = post(api, summary.pk, "adjust-item-preview", body, expect=200)
    assert preview["preFulfillmentChangeOrderId"] is None
    assert preview["inFulfillmentChangeOrderId"] is None
    assert preview["postFulfillmentChangeOrderId"] is None
    # 45.00 + 4.50
    assert preview["changeBalances"]["grandTotalAmount"] == D("49.50")
    submitted = post(api, summary.pk, "adjust-item-submit", body, expect=201)
    assert submitted["changeBalances"] == preview["changeBalances"]
    phases = {order.fulfillment_phase: str(order.pk) for order in Order.objects.filter(order_summary=summary)}
    assert submitted["preFulfillmentChangeOrderId"] == phases["Pre"]
    assert submitted["inFulfillmentChangeOrderId"] == phases["In"]
    assert submitted["postFulfillmentChangeOrderId"] == phases["Post"]


def test_adjust_defaults_to_disallowed(api):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    body = {
        "adjustItems": [
            {"orderItemSummaryId": str(a.pk), "adjustmentType": "Percentage", "amount": -10, "reason": "Goodwill"}
        ]
    }
    result = post(api, summary.pk, "adjust-item-submit", body, expect=201)
    # 10 % of 80.00 and of 6.40: 8.00 + 0.64, all pre-fulfillment
    assert result["changeBalances"]["grandTotalAmount"] == D("8.64")
    assert result["preFulfillmentChangeOrderId"] is not None and result["postFulfillmentChangeOrderId"] is None


def test_idempotent_retry_replays_and_writes_once(api):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    first = api.post_json(action_path(summary.pk, "submit-cancel"), cancel_a(a), key="cancel-1")
    again = api.post_json(action_path(summary.pk, "submit-cancel"), cancel_a(a), key="cancel-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert body_of(again) == body_of(first)
    assert Order.objects.filter(order_summary=summary).count() == 1
    other = api.post_json(action_path(summary.pk, "submit-cancel"), cancel_a(a, 2), key="cancel-1")
    assert other.status_code == 422


def error_of(response, status, code, field):
    assert response.status_code == status, response.content
    body = body_of(response)
    assert body["errors"][0]["errorCode"] == code
    assert body["errors"][0]["field"] == field
    assert body["output"] is None
    return body


@pytest.mark.parametrize(
    ("make_body", "status", "code", "field"),
    [
        (lambda i: cancel_a(i["A"], 3), 409, "INVALID_STATE", "changeItems[0].quantity"),
        (lambda i: cancel_a(i["A"], 0), 400, "INVALID_API_INPUT", "changeItems[0].quantity"),
        (lambda i: cancel_a(i["A"], -1), 400, "INVALID_API_INPUT", "changeItems[0].quantity"),
        (lambda i: cancel_a(i["A"], "lots"), 400, "INVALID_API_INPUT", "changeItems[0].quantity"),
        (lambda i: cancel_a(i["A"], "0.001"), 400, "INVALID_API_INPUT", "changeItems[0].quantity"),
        # Issue #13: a delivery charge can be canceled now; half of it cannot (it is ordered in whole units).
        (lambda i: cancel_a(i["DELIVERY-GROUND"], "0.5"), 400, "WHOLE_UNITS_ONLY", "changeItems[0].quantity"),
        (lambda i: cancel_a(i["A"], "1.5"), 400, "WHOLE_UNITS_ONLY", "changeItems[0].quantity"),
        (
            lambda i: {"changeItems": [{"orderItemSummaryId": "999999", "quantity": 1, "reason": "Damaged"}]},
            400,
            "INVALID_API_INPUT",
            "changeItems[0].orderItemSummaryId",
        ),
        (
            lambda i: {"changeItems": [{"orderItemSummaryId": str(i["A"].pk), "quantity": 1, "reason": "Bored"}]},
            400,
            "INVALID_API_INPUT",
            "changeItems[0].reason",
        ),
        (
            lambda i: {"changeItems": [{"orderItemSummaryId": str(i["A"].pk), "quantity": 1}]},
            400,
            "INVALID_API_INPUT",
            "changeItems[0].reason",
        ),
        (
            lambda i: cancel_a(i["A"], changeItemFees=[{"amount": -5, "amountType": "AmountWithoutTax"}]),
            400,
            "INVALID_API_INPUT",
            "changeItems[0].changeItemFees[0].amount",
        ),
        (
            lambda i: cancel_a(i["A"], changeItemFees=[{"amount": 5, "amountType": "Flat"}]),
            400,
            "INVALID_API_INPUT",
            "changeItems[0].changeItemFees[0].amountType",
        ),
        (lambda i: {"changeItems": []}, 400, "INVALID_API_INPUT", "changeItems"),
        (lambda i: {}, 400, "INVALID_API_INPUT", "changeItems"),
        (
            lambda i: {"changeItems": [cancel_a(i["B"], "0.01")["changeItems"][0]] * 101},
            400,
            "INVALID_API_INPUT",
            "changeItems",
        ),
    ],
)
def test_bad_cancel_requests_answer_the_field_and_write_nothing(api, make_body, status, code, field):
    summary = worked_example()
    body = make_body(items_by_sku(summary))
    before = written()
    response = api.post_json(action_path(summary.pk, "submit-cancel"), body)
    error_of(response, status, code, field)
    assert_response_matches_schema(response, "post", ACTIONS + "submit-cancel")
    assert written() == before
    assert OrderSummary.objects.get(pk=summary.pk).version == summary.version


@pytest.mark.parametrize(
    ("adjust", "mode", "status", "code", "field"),
    [
        ({"amount": 5}, "Disallowed", 400, "INVALID_API_INPUT", "adjustItems[0].amount"),
        ({"amount": -80.01}, "Disallowed", 400, "INVALID_API_INPUT", "adjustItems[0].amount"),
        ({"adjustmentType": "Fixed"}, "Disallowed", 400, "INVALID_API_INPUT", "adjustItems[0].adjustmentType"),
        ({}, "Sometimes", 400, "INVALID_API_INPUT", "allocatedItemsChangeOrderType"),
        ({"orderItemSummaryId": "nope"}, "Disallowed", 400, "INVALID_API_INPUT", "adjustItems[0].orderItemSummaryId"),
    ],
)
def test_bad_adjust_requests_answer_the_field_and_write_nothing(api, adjust, mode, status, code, field):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    item_body = {
        "orderItemSummaryId": str(a.pk),
        "adjustmentType": "AmountWithoutTax",
        "amount": -5,
        "reason": "Goodwill",
        **adjust,
    }
    before = written()
    response = api.post_json(
        action_path(summary.pk, "adjust-item-submit"),
        {"adjustItems": [item_body], "allocatedItemsChangeOrderType": mode},
    )
    error_of(response, status, code, field)
    assert written() == before


def test_every_unit_in_fulfillment_with_disallowed_is_409(api):
    summary = worked_example()
    a = set_fulfillment_state(items_by_sku(summary)["A"], allocated=2)
    response = api.post_json(
        action_path(summary.pk, "adjust-item-submit"),
        {
            "adjustItems": [
                {
                    "orderItemSummaryId": str(a.pk),
                    "adjustmentType": "AmountWithoutTax",
                    "amount": -5,
                    "reason": "Goodwill",
                }
            ]
        },
    )
    error_of(response, 409, "INVALID_STATE", "adjustItems[0].orderItemSummaryId")


def test_unmanaged_summary_is_409(api):
    summary = ingest(worked_example_body(orderLifeCycleType="UNMANAGED"))
    response = api.post_json(action_path(summary.pk, "preview-cancel"), cancel_a(items_by_sku(summary)["A"]))
    assert response.status_code == 409
    assert body_of(response)["errors"][0]["errorCode"] == "INVALID_STATE"


def test_another_channels_summary_is_not_found(make_api):
    ensure_channel("Store EU")
    summary = worked_example()
    storefront = make_api(scopes=["orders:write"], channel=ensure_channel("Store EU"))
    response = storefront.post_json(action_path(summary.pk, "submit-cancel"), cancel_a(items_by_sku(summary)["A"]))
    error_of(response, 404, "NOT_FOUND", None)
    own = make_api(scopes=["orders:write"], channel=ensure_channel())
    assert (
        own.post_json(action_path(summary.pk, "preview-cancel"), cancel_a(items_by_sku(summary)["A"])).status_code
        == 200
    )


def test_unknown_summary_is_not_found(api):
    assert api.post_json(action_path(987654, "preview-cancel"), {"changeItems": []}).status_code == 404
    assert api.post_json(action_path("abc", "preview-return"), {"changeItems": []}).status_code == 404


def test_read_scope_cannot_change_orders(make_api):
    summary = worked_example()
    reader = make_api(scopes=["orders:read"])
    response = reader.post_json(action_path(summary.pk, "submit-cancel"), cancel_a(items_by_sku(summary)["A"]))
    error_of(response, 403, "PERMISSION_DENIED", None)


def test_no_key_is_unauthenticated():
    response = APIClient().post(action_path(1, "preview-cancel"), {}, format="json")
    assert response.status_code == 401


def test_return_and_fee_change_orders_become_a_credit_memo_and_a_fee_invoice(api):
    summary = worked_example()
    for ois in summary.item_summaries.all():
        set_fulfillment_state(ois, allocated=ois.quantity_ordered, fulfilled=ois.quantity_ordered)
    a = items_by_sku(summary)["A"]
    body = cancel_a(a, changeItemFees=[{"amount": "5.40", "amountType": "AmountWithTax"}])
    result = post(api, summary.pk, "submit-return", body, expect=201)

    memo = api.post_json(
        f"{summary_path(summary.pk)}/actions/create-credit-memo", {"changeOrderIds": [result["changeOrderId"]]}
    )
    assert memo.status_code == 201, memo.content
    memo_body = body_of(api.get(f"/api/v1/commerce/credit-memos/{body_of(memo)['creditMemoId']}"))
    # the return: 40.00 + 3.20
    assert memo_body["totalAmountWithTax"] == D("43.20")

    invoices = api.post_json(
        "/api/v1/commerce/order-management/order-summaries/actions/create-multiple-change-invoices",
        {
            "invoicesFromChangeOrders": [
                {"orderSummaryId": str(summary.pk), "changeOrderIds": [result["feeChangeOrderId"]]}
            ]
        },
    )
    assert invoices.status_code == 201, invoices.content
    (entry,) = body_of(invoices)["invoices"]
    assert entry["success"] is True
    invoice = body_of(api.get(f"/api/v1/commerce/invoices/{entry['invoiceId']}"))
    # the fee: 5.40 with tax = 5.00 + 0.40
    assert invoice["totalAmountWithTax"] == D("5.40")
