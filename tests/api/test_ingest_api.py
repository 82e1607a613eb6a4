"""POST /commerce/orders as a storefront calls it, and what the order summary detail then shows."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderSummary
from payments.models import OrderPaymentSummary
from tests.api.helpers import INGEST, SUMMARY_TEMPLATE, body_of, row_counts, summary_path
from tests.api.schema import assert_response_matches_schema, check_every_response
from tests.builders import address, ensure_channel, item, order_body, tax, worked_example_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def ingest_ok(client, body, key):
    response = client.post_json(INGEST, body, key=key)
    assert response.status_code == 201, response.content
    assert_response_matches_schema(response, "post", INGEST)
    return body_of(response)


def detail(client, summary_id):
    response = client.get(summary_path(summary_id))
    assert response.status_code == 200, response.content
    assert_response_matches_schema(response, "get", SUMMARY_TEMPLATE)
    return body_of(response)


def test_worked_example_ingested_through_the_api_with_every_rollup_by_hand(api):
    ensure_channel()
    created = ingest_ok(api, worked_example_body(number="WEB-100045"), key="we-1")

    order = Order.objects.get(order_number="WEB-100045")
    summary = OrderSummary.objects.get(original_order=order)
    ops = OrderPaymentSummary.objects.get(order_summary=summary)
    assert created == {
        "orderId": str(order.pk),
        "orderSummaryId": str(summary.pk),
        "orderPaymentSummaryIds": [str(ops.pk)],
        "success": True,
    }

    state = detail(api, created["orderSummaryId"])
    assert state["orderNumber"] == "WEB-100045"
    assert state["status"] == "Created"
    assert state["orderLifeCycleType"] == "MANAGED"
    assert state["currencyIsoCode"] == "USD"
    assert state["billingEmailAddress"] == "ada@example.com"
    # Products: A 2 × 40.00 = 80.00 (tax 8 % = 6.40) + B 1 × 20.00 (tax 1.60) = 100.00, tax 8.00.
    # Delivery 10.00, tax 0.80. Nothing discounted, so adjusted = before discounts.
    expected_header = {
        "totalProductAmount": Decimal("100.00"),
        "totalAdjustedProductAmount": Decimal("100.00"),
        "totalAdjustedProductTaxAmount": Decimal("8.00"),
        "totalAdjProductAmtWithTax": Decimal("108.00"),  # 100.00 + 8.00
        "totalDeliveryAmount": Decimal("10.00"),
        "totalAdjustedDeliveryAmount": Decimal("10.00"),
        "totalAdjustedDeliveryTaxAmount": Decimal("0.80"),
        "totalAdjDeliveryAmtWithTax": Decimal("10.80"),  # 10.00 + 0.80
        "totalFeeAmount": 0,
        "totalAdjustedFeeAmount": 0,
        "totalAdjustedFeeTaxAmount": 0,
        "totalAdjFeeAmtWithTax": 0,
        "totalAmount": Decimal("110.00"),  # 100.00 + 10.00
        "totalTaxAmount": Decimal("8.80"),  # 8.00 + 0.80
        "grandTotalAmount": Decimal("118.80"),  # 110.00 + 8.80 (Net: tax on top)
    }
    assert {key: state[key] for key in expected_header} == expected_header
    # Nothing captured: no excess, nothing owed back.
    assert state["fundsPosition"] == {"totalExcessFundsAmount": 0, "totalRefundableAmount": 0}

    (group,) = state["orderDeliveryGroupSummaries"]
    assert group["referenceId"] == "G"
    assert {key: group[key] for key in expected_header} == expected_header

    items = {ois["stockKeepingUnit"]: ois for ois in state["orderItemSummaries"]}
    assert set(items) == {"A", "B", "DELIVERY-GROUND"}
    a = items["A"]
    assert a["type"] == "Order Product" and a["status"] == "ORDERED"
    assert (a["unitPrice"], a["quantityOrdered"]) == (40, 2)
    assert {
        key: a[key]
        for key in (
            "quantity",
            "quantityNetOrdered",
            "quantityAvailableToFulfill",
            "quantityAvailableToCancel",
            "quantityAvailableToReturn",
            "quantityCanceled",
            "quantityAllocated",
            "quantityFulfilled",
            "quantityReturnInitiated",
            "quantityReturned",
        )
    } == {
        "quantity": 2,
        "quantityNetOrdered": 2,
        "quantityAvailableToFulfill": 2,
        "quantityAvailableToCancel": 2,
        "quantityAvailableToReturn": 0,
        "quantityCanceled": 0,
        "quantityAllocated": 0,
        "quantityFulfilled": 0,
        "quantityReturnInitiated": 0,
        "quantityReturned": 0,
    }
    # A: 2 × 40.00 = 80.00, tax 8 % = 6.40, with tax 86.40.
    assert (
        a["totalLineAmount"],
        a["totalLineTaxAmount"],
        a["totalAdjustmentAmount"],
        a["totalAdjustmentTaxAmount"],
        a["totalPrice"],
        a["totalTaxAmount"],
        a["totalAmtWithTax"],
    ) == (80, Decimal("6.40"), 0, 0, 80, Decimal("6.40"), Decimal("86.40"))
    b = items["B"]
    assert (b["totalPrice"], b["totalTaxAmount"], b["totalAmtWithTax"]) == (20, Decimal("1.60"), Decimal("21.60"))
    charge = items["DELIVERY-GROUND"]
    assert charge["type"] == "Delivery Charge"
    assert (charge["totalPrice"], charge["totalTaxAmount"], charge["totalAmtWithTax"]) == (
        10,
        Decimal("0.80"),
        Decimal("10.80"),
    )

    (payment_summary,) = state["orderPaymentSummaries"]
    assert payment_summary["id"] == str(ops.pk)
    assert payment_summary["method"] == "Visa" and payment_summary["last4"] == "4242"
    # Authorized 118.80, nothing captured: all of it available to capture, nothing to refund.
    assert {
        key: payment_summary[key]
        for key in (
            "authorizationAmount",
            "capturedAmount",
            "refundedAmount",
            "availableToCaptureAmount",
            "availableToRefundAmount",
            "balanceAmount",
        )
    } == {
        "authorizationAmount": Decimal("118.80"),
        "capturedAmount": 0,
        "refundedAmount": 0,
        "availableToCaptureAmount": Decimal("118.80"),
        "availableToRefundAmount": 0,
        "balanceAmount": 0,
    }
    (authorization,) = payment_summary["paymentAuthorizations"]
    assert authorization["amount"] == Decimal("118.80") and authorization["gatewayRefNumber"] == "auth_we"
    assert state["changeHistory"] == [] and state["processExceptions"] == []
    assert state["invoices"] == [] and state["creditMemos"] == []


def test_jpy_order_has_whole_yen_and_refuses_fractions(api):
    ensure_channel()
    groups = [
        {
            "referenceId": "g1",
            "deliverTo": address(),
            "deliveryMethod": "Ground",
            # 500 JPY delivery, 10 % = 50 JPY
            "deliveryCharge": {"amount": Decimal("500"), "taxes": [tax(10, "50")]},
            # 2 × 1500 = 3000 JPY, 10 % = 300 JPY
            "items": [item("TEA-1", 2, "1500", taxes=[tax(10, "300")])],
        }
    ]
    payments = [{"kind": "authorization", "method": "Visa", "gatewayToken": "tok_visa", "amount": Decimal("3850")}]
    created = ingest_ok(api, order_body(currency="JPY", groups=groups, payments=payments), key="jpy-1")
    state = detail(api, created["orderSummaryId"])
    # 3000 + 500 = 3500; 300 + 50 = 350; 3850.
    assert (state["totalAmount"], state["totalTaxAmount"], state["grandTotalAmount"]) == (3500, 350, 3850)
    assert b'"grandTotalAmount":3850,' in api.get(summary_path(created["orderSummaryId"])).content

    before = row_counts()
    fraction = order_body(
        currency="JPY",
        groups=[
            {
                "referenceId": "g1",
                "deliverTo": address(),
                "items": [item("TEA-1", 1, "1.5")],
            }
        ],
        payments=[{"kind": "authorization", "method": "Visa", "gatewayToken": "tok_visa", "amount": Decimal("2")}],
    )
    response = api.post_json(INGEST, fraction, key="jpy-2")
    assert response.status_code == 400
    assert "deliveryGroups[0].items[0].unitPrice" in [error["field"] for error in body_of(response)["errors"]]
    assert row_counts() == before


def test_eur_gross_order_has_tax_inside_the_grand_total(api):
    ensure_channel()
    groups = [
        {
            "referenceId": "g1",
            "deliverTo": address(country="DE"),
            "deliveryMethod": "DHL",
            # 5.95 including 19 % VAT: 5.95 × 19 / 119 = 0.95
            "deliveryCharge": {"amount": Decimal("5.95"), "taxes": [tax(19, "0.95", name="MwSt")]},
            # 2 × 59.50 = 119.00 including 19 % VAT: 119.00 × 19 / 119 = 19.00
            "items": [item("MUG-1", 2, "59.50", taxes=[tax(19, "19.00", name="MwSt")])],
        }
    ]
    payments = [
        {"kind": "authorization", "method": "Mastercard", "gatewayToken": "tok_mastercard", "amount": Decimal("124.95")}
    ]
    body = order_body(currency="EUR", groups=groups, payments=payments, taxLocaleType="Gross")
    created = ingest_ok(api, body, key="eur-1")
    state = detail(api, created["orderSummaryId"])
    assert state["taxLocaleType"] == "Gross"
    # Gross: the amounts contain their tax, so grand total = total amount = 119.00 + 5.95 = 124.95,
    # of which tax 19.00 + 0.95 = 19.95.
    assert state["totalAmount"] == Decimal("124.95")
    assert state["totalTaxAmount"] == Decimal("19.95")
    assert state["grandTotalAmount"] == Decimal("124.95")
    assert state["totalAdjProductAmtWithTax"] == Decimal("119.00")
    assert state["totalAdjDeliveryAmtWithTax"] == Decimal("5.95")
    mug = next(ois for ois in state["orderItemSummaries"] if ois["stockKeepingUnit"] == "MUG-1")
    assert (mug["totalPrice"], mug["totalTaxAmount"], mug["totalAmtWithTax"]) == (119, 19, 119)


def test_discounted_line_keeps_its_discount_and_tax_apart(api):
    ensure_channel()
    # API.md's example: 2 × 40.00 = 80.00, tax 6.40; FALL10 −10.00 with tax −0.80; delivery 10.00 + 0.80.
    groups = [
        {
            "referenceId": "g1",
            "deliverTo": address(),
            "deliveryMethod": "Ground",
            "deliveryCharge": {"amount": Decimal("10.00"), "taxes": [tax(8, "0.80")]},
            "items": [
                item(
                    "SHOE-1",
                    2,
                    "40.00",
                    rate=8,
                    listPrice=Decimal("45.00"),
                    adjustments=[{"name": "FALL10", "amount": Decimal("-10.00"), "taxes": [tax(8, "-0.80")]}],
                )
            ],
        }
    ]
    # 80.00 − 10.00 + 10.00 = 80.00; 6.40 − 0.80 + 0.80 = 6.40; 86.40
    body = order_body(groups=groups, grandTotalAmount=Decimal("86.40"))
    state = detail(api, ingest_ok(api, body, key="disc-1")["orderSummaryId"])
    shoe = next(ois for ois in state["orderItemSummaries"] if ois["stockKeepingUnit"] == "SHOE-1")
    assert (shoe["listPrice"], shoe["totalLineAmount"], shoe["totalLineTaxAmount"]) == (45, 80, Decimal("6.40"))
    assert (shoe["totalAdjustmentAmount"], shoe["totalAdjustmentTaxAmount"]) == (-10, Decimal("-0.80"))
    assert (shoe["totalPrice"], shoe["totalTaxAmount"], shoe["totalAmtWithTax"]) == (
        70,
        Decimal("5.60"),
        Decimal("75.60"),
    )
    assert state["totalProductAmount"] == 80  # before discounts
    assert state["totalAdjustedProductAmount"] == 70  # after
    assert state["grandTotalAmount"] == Decimal("86.40")


def test_two_payment_methods_make_two_payment_summaries(api):
    ensure_channel()
    # 1 × 10.00 + 8 % = 10.80: 5.00 on a gift card (sold at checkout), 5.80 authorized on the card.
    payments = [
        {"kind": "sale", "method": "GiftCard", "gatewayToken": "tok_gift", "amount": Decimal("5.00")},
        {"kind": "authorization", "method": "Visa", "gatewayToken": "tok_visa", "amount": Decimal("5.80")},
    ]
    created = ingest_ok(api, order_body(payments=payments), key="two-1")
    assert len(created["orderPaymentSummaryIds"]) == 2
    state = detail(api, created["orderSummaryId"])
    by_method = {ops["method"]: ops for ops in state["orderPaymentSummaries"]}
    gift, card = by_method["GiftCard"], by_method["Visa"]
    # A sale is authorized and captured at once, its funds unapplied (balance).
    assert (gift["authorizationAmount"], gift["capturedAmount"], gift["balanceAmount"]) == (5, 5, 5)
    assert gift["availableToRefundAmount"] == 5 and gift["availableToCaptureAmount"] == 0
    assert [p["type"] for p in gift["payments"]] == ["Sale"]
    assert (card["authorizationAmount"], card["availableToCaptureAmount"]) == (Decimal("5.80"), Decimal("5.80"))
    # Captured 5.00 against a grand total of 10.80: no excess yet.
    assert state["fundsPosition"]["totalExcessFundsAmount"] == 0


def test_order_without_summary_answers_null_summary_id(api):
    ensure_channel()
    created = ingest_ok(api, order_body(createOrderSummary=False), key="nosum-1")
    assert created["orderSummaryId"] is None and created["orderPaymentSummaryIds"] == []
    assert Order.objects.filter(pk=created["orderId"]).exists()
    assert not OrderSummary.objects.exists()


def test_same_order_number_in_the_channel_answers_409_with_the_existing_ids(api):
    ensure_channel()
    body = order_body(number="WEB-1")
    first = ingest_ok(api, body, key="dup-1")
    before = row_counts()
    response = api.post_json(INGEST, {**body, "externalReference": "retry"}, key="dup-2")
    assert response.status_code == 409
    error = assert_response_matches_schema(response, "post", INGEST)
    assert error["errors"][0]["errorCode"] == "DUPLICATE_VALUE"
    assert error["errors"][0]["field"] == "orderNumber"
    assert error["output"] == {"orderId": first["orderId"], "orderSummaryId": first["orderSummaryId"]}
    assert row_counts() == before


def test_same_order_number_in_another_channel_is_another_order(api):
    ensure_channel("Web US")
    ensure_channel("Web EU")
    ingest_ok(api, order_body(number="SHARED-1", channel="Web US"), key="ch-1")
    ingest_ok(api, order_body(number="SHARED-1", channel="Web EU"), key="ch-2")
    assert Order.objects.filter(order_number="SHARED-1").count() == 2


def test_storefront_key_places_orders_in_its_own_channel(make_api):
    channel = ensure_channel("Shop JP")
    storefront = make_api(scopes=["orders:write", "orders:read"], channel=channel)
    body = order_body()
    del body["salesChannel"]
    created = ingest_ok(storefront, body, key="sf-1")
    assert Order.objects.get(pk=created["orderId"]).sales_channel == channel
    assert detail(storefront, created["orderSummaryId"])["salesChannelName"] == "Shop JP"
