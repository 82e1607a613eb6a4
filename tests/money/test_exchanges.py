"""Exchanges through the API (issue 15), amounts computed by hand, USD and JPY, and the ledger of both summaries.

The USD order: A 2 × 40.00 (8 % tax, 6.40), B 1 × 20.00 (1.60), delivery 10.00 (0.80): 118.80, shipped and
captured. One A back is worth 40.00 + 3.20 = 43.20.
The JPY order: A 2 × 4000 (10 %, 800), B 1 × 2000 (200), delivery 1000 (no tax): 12000. One A back: 4400.
"""

from decimal import Decimal as D

import pytest

from orders.models import Exchange, FulfillmentOrder, OrderSummary
from payments.models import PaymentAuthorization, PaymentGatewayLog, Refund
from payments.money_check import check_money
from tests.api.helpers import body_of
from tests.builders import address, ensure_channel, item, order_body
from tests.fulfillment.helpers import make_location, stock

from .shop import API, FO, SUMMARIES, Shop, money

pytestmark = pytest.mark.django_db

USD = {"currency": "USD", "items": (("A", 2, "40.00", 8), ("B", 1, "20.00", 8)), "delivery": ("10.00", "0.80")}
JPY = {"currency": "JPY", "items": (("A", 2, "4000", 10), ("B", 1, "2000", 10)), "delivery": ("1000", "0")}


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


def shipped(shop, order):
    summary = shop.order(**order)
    shop.ship(shop.place(summary, [("A", 2), ("B", 1)]))
    return summary


def body(shop, summary, sku, price, tax, *, rate, hold=False, quantity=1):
    return {
        "exchangeItems": [
            {
                "orderItemSummaryId": str(shop.item(summary, "A").pk),
                "quantity": 1,
                "reason": "Wrong Item",
                "replacement": {
                    "stockKeepingUnit": sku,
                    "name": f"Trail shoe {sku}",
                    "quantity": quantity,
                    "unitPrice": D(price),
                    "taxes": [{"name": "Tax", "rate": rate, "amount": D(tax)}],
                },
            }
        ],
        "holdReplacementUntilReturned": hold,
    }


def answer(data) -> tuple:
    return (
        data["changeBalances"]["grandTotalAmount"],
        data["replacementTotalAmount"],
        data["amountToCharge"],
        data["amountToRefund"],
    )


def ship_replacement(shop, replacement):
    """The replacement was routed to the shop's warehouse when it was made; ship what routing placed."""
    (fulfillment_order,) = FulfillmentOrder.objects.filter(order_summary=replacement)
    shop.ship(fulfillment_order.pk)


CASES = [
    # order, replacement (sku, price, tax, rate), (returned, replacement total, to charge, to refund)
    pytest.param(USD, ("A-L", "40.00", "3.20", 8), ("43.20", "43.20", "0", "0"), id="usd-same-price"),
    pytest.param(USD, ("C", "50.00", "4.00", 8), ("43.20", "54.00", "10.80", "0"), id="usd-dearer"),
    pytest.param(USD, ("D", "30.00", "2.40", 8), ("43.20", "32.40", "0", "10.80"), id="usd-cheaper"),
    pytest.param(JPY, ("A-L", "4000", "400", 10), ("4400", "4400", "0", "0"), id="jpy-same-price"),
    pytest.param(JPY, ("C", "5000", "500", 10), ("4400", "5500", "1100", "0"), id="jpy-dearer"),
    pytest.param(JPY, ("D", "3000", "300", 10), ("4400", "3300", "0", "1100"), id="jpy-cheaper"),
]


@pytest.mark.parametrize("order, replacement, expected", CASES)
def test_an_exchange_pays_the_replacement_with_the_returned_units(shop, settings, order, replacement, expected):
    summary = shipped(shop, order)
    settings.OMS_AUTO_ROUTE_ORDERS = True  # the replacement is routed like any new order
    grand_total = summary.grand_total_amount
    sku, price, tax, rate = replacement
    stock(shop.location.external_reference, **{sku: 10})
    request = body(shop, summary, sku, price, tax, rate=rate)
    returned, total, to_charge, to_refund = (D(value) for value in expected)

    preview = shop.action(summary, "preview-exchange", request, expect=200)
    assert answer(preview) == (returned, total, to_charge, to_refund)
    assert Exchange.objects.count() == 0 and OrderSummary.objects.count() == 1  # the preview wrote nothing

    submitted = shop.action(summary, "submit-exchange", request, expect=201)
    assert answer(submitted) == answer(preview)
    assert submitted["changeBalances"] == preview["changeBalances"]
    replacement_summary = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])
    assert replacement_summary.source_order_summary_id == summary.pk
    assert replacement_summary.grand_total_amount == total
    assert replacement_summary.order_number == f"{summary.order_number}-X1"
    assert submitted["returnOrderId"] is None

    # The original: one A returned, its credit memo settled by what moved and what was refunded.
    item = shop.item(summary, "A")
    assert (item.quantity_returned, item.quantity_return_initiated) == (1, 1)
    original = money(summary)
    assert original["captured"] == grand_total
    assert original["memos"] == [(returned, D(0))]
    assert original["refunded"] == returned
    moved = returned - to_refund
    refunds = Refund.objects.filter(order_payment_summary__order_summary=summary).order_by("id")
    assert [(refund.amount, refund.status) for refund in refunds] == [(moved, "Processed")] + (
        [(to_refund, "Processed")] if to_refund else []
    )
    # What moved never reached the gateway: only the cheaper replacement's difference was refunded through it.
    assert refunds[0].gateway_reference == f"exchange {replacement_summary.order_number}"
    assert PaymentGatewayLog.objects.filter(
        order_payment_summary__order_summary=summary, interaction_type="ReferencedRefund"
    ).count() == (1 if to_refund else 0)

    # The replacement: paid first with what moved, the rest authorized on the same card.
    new = money(replacement_summary)
    assert new["captured"] == moved
    assert new["authorized"] == total
    if to_charge:
        (authorization,) = PaymentAuthorization.objects.filter(order_payment_summary__order_summary=replacement_summary)
        assert (authorization.amount, authorization.status, authorization.gateway_token) == (
            to_charge,
            "Processed",
            "tok_visa",
        )

    ship_replacement(shop, replacement_summary)
    new = money(replacement_summary)
    assert new["invoices"] == [(total, D(0))]
    assert new["captured"] == total  # the difference captured when it shipped, nothing before
    assert check_money([summary.pk, replacement_summary.pk]) == {}

    detail = shop.summary_json(summary)
    assert detail["exchangeOrderSummaryIds"] == [str(replacement_summary.pk)]
    assert shop.summary_json(replacement_summary)["sourceOrderSummaryId"] == str(summary.pk)


def test_more_than_was_shipped_is_refused_and_nothing_is_written(shop):
    summary = shop.order(**USD)
    shop.ship(shop.place(summary, [("A", 1)]))
    request = body(shop, summary, "C", "50.00", "4.00", rate=8)
    request["exchangeItems"][0]["quantity"] = 2
    for action in ("preview-exchange", "submit-exchange"):
        refused = body_of(shop.post(f"{SUMMARIES}/{summary.pk}/actions/{action}", request, expect=409))
        assert refused["errors"][0]["field"] == "changeItems[0].quantity" or refused["errors"][0]["field"]
    assert OrderSummary.objects.count() == 1 and Exchange.objects.count() == 0


def test_a_replacement_tax_that_does_not_add_up_names_the_exchange_field(shop):
    summary = shipped(shop, USD)
    request = body(shop, summary, "C", "50.00", "9.99", rate=8)
    refused = body_of(shop.post(f"{SUMMARIES}/{summary.pk}/actions/preview-exchange", request, expect=400))
    assert [error["field"] for error in refused["errors"]] == ["exchangeItems[0].replacement.taxes[0].amount"]


def test_a_declined_difference_raises_a_payment_exception_on_the_replacement(shop):
    summary = shipped(shop, USD)
    # The card declines from now on (it was captured for the shipment before).
    PaymentAuthorization.objects.filter(order_payment_summary__order_summary=summary).update(
        gateway_token="tok_decline"
    )
    submitted = shop.action(summary, "submit-exchange", body(shop, summary, "C", "50.00", "4.00", rate=8))
    replacement = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])
    (authorization,) = PaymentAuthorization.objects.filter(order_payment_summary__order_summary=replacement)
    assert (authorization.amount, authorization.status) == (D("10.80"), "Failed")
    (exception,) = replacement.process_exceptions.all()
    assert exception.category == "Payment" and "10.80 USD could not be authorized" in exception.message
    assert money(replacement)["authorized"] == D("43.20")  # only what moved


def test_each_replacement_ships_to_the_delivery_group_of_the_item_it_replaces(shop, api):
    """A (2 × 40.00 + 8 %) went to Ada's home, B (1 × 20.00 + 8 %) to Bo's office: exchanging one of each
    sends A's replacement to Ada and B's to Bo, in two delivery groups of the one replacement summary."""
    groups = [
        {
            "referenceId": "home",
            "deliverTo": address("Ada Park"),
            "deliveryMethod": "Ground",
            "items": [item("A", 2, "40.00", rate=8)],
        },
        {
            "referenceId": "office",
            "deliverTo": address("Bo Lind", street="9 Office Rd", city="Peoria", postalCode="61602"),
            "deliveryMethod": "Express",
            "items": [item("B", 1, "20.00", rate=8)],
        },
    ]
    payload = order_body(groups=groups)
    ensure_channel(payload["salesChannel"])
    created = api.post_json(f"{API}/orders", payload, key=f"ingest-{payload['orderNumber']}")
    assert created.status_code == 201, created.content
    summary = OrderSummary.objects.get(pk=body_of(created)["orderSummaryId"])
    shop.location = make_location(f"WH-{summary.pk}")
    stock(shop.location.external_reference, A=10, B=10, C=10, D=10)
    for group in summary.delivery_group_summaries.order_by("id"):
        lines = [
            {"orderItemSummaryId": str(ois.pk), "quantity": ois.quantity_ordered}
            for ois in group.item_summaries.filter(type="Order Product")
        ]
        (fulfillment_order_id,) = body_of(
            shop.post(
                FO,
                {
                    "orderSummaryId": str(summary.pk),
                    "orderDeliveryGroupSummaryId": str(group.pk),
                    "fulfillmentGroups": [
                        {
                            "fulfilledFromLocationId": str(shop.location.pk),
                            "fulfillmentType": "Warehouse",
                            "orderItemSummaries": lines,
                        }
                    ],
                },
                expect=201,
            )
        )["fulfillmentOrderIds"]
        shop.ship(fulfillment_order_id)

    def swap(sku, new_sku, price, tax):
        return {
            "orderItemSummaryId": str(shop.item(summary, sku).pk),
            "quantity": 1,
            "reason": "Wrong Item",
            "replacement": {
                "stockKeepingUnit": new_sku,
                "name": f"Product {new_sku}",
                "quantity": 1,
                "unitPrice": D(price),
                "taxes": [{"name": "Tax", "rate": 8, "amount": D(tax)}],
            },
        }

    request = {"exchangeItems": [swap("A", "C", "40.00", "3.20"), swap("B", "D", "20.00", "1.60")]}
    preview = shop.action(summary, "preview-exchange", request, expect=200)
    # One A (43.20) and one B (21.60) back pay for C (43.20) and D (21.60): 64.80 each way.
    assert answer(preview) == (D("64.80"), D("64.80"), D(0), D(0))
    submitted = shop.action(summary, "submit-exchange", request)
    assert answer(submitted) == answer(preview)
    replacement = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])
    shipped_to = {
        ois.sku: (
            ois.delivery_group_summary.recipient_name,
            ois.delivery_group_summary.street,
            ois.delivery_group_summary.delivery_method,
        )
        for ois in replacement.item_summaries.select_related("delivery_group_summary").filter(type="Order Product")
    }
    assert shipped_to == {"C": ("Ada Park", "1 Main St", "Ground"), "D": ("Bo Lind", "9 Office Rd", "Express")}
    assert replacement.delivery_group_summaries.count() == 2
    assert check_money([summary.pk, replacement.pk]) == {}
