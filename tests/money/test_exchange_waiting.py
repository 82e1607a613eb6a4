"""Exchanges that wait for the return order (holdReplacementUntilReturned, issue 15), over the API, values by hand.

The orders of test_exchanges.py: USD A 2 × 40.00 + 8 %, B 1 × 20.00 + 8 %, delivery 10.00 + 0.80 = 118.80, shipped
and captured; one A back is worth 43.20. JPY A 2 × 4000 + 10 %, B 2000 + 10 %, delivery 1000 = 12000; one A: 4400.
Until the return order's receipt: a return order expects the units, the replacement exists on hold, not routed,
and no money moves on either summary. At the receipt, the exchange does exactly what the immediate one does.
"""

from decimal import Decimal as D

import pytest

from orders.models import Exchange, FulfillmentOrder, OrderHold, OrderSummary, ReturnOrder
from payments.models import AgentRefund, CreditMemo, OrderPaymentSummary, Payment, PaymentAuthorization, Refund
from payments.money_check import check_money
from payments.services.agent_changes import remaining_refund
from tests.api.helpers import body_of
from tests.fulfillment.helpers import stock

from .shop import API, Shop, money
from .test_exchanges import CASES, JPY, USD, answer, body, ship_replacement, shipped

pytestmark = pytest.mark.django_db

RETURN_ITEMS = f"{API}/returns/return-orders/{{}}/actions/return-items"


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


def receive(shop, return_order, *lines, expect=200):
    """[(line, returned, rejected, canceled)] through the return-items API."""
    items = [
        {
            "returnOrderLineItemId": str(line.pk),
            "quantityReturned": returned,
            "quantityRejected": rejected,
            "quantityToCancel": canceled,
            "reasonForRejection": "Worn" if rejected else "",
        }
        for line, returned, rejected, canceled in lines
    ]
    return body_of(shop.post(RETURN_ITEMS.format(return_order.pk), {"returnOrderItems": items}, expect=expect))


def open_line(return_order):
    return return_order.lines.filter(is_processed=False).get()


def nothing_moved(summary, replacement, grand_total):
    original = money(summary)
    assert (original["captured"], original["refunded"], original["memos"]) == (grand_total, D(0), [])
    assert not Payment.objects.filter(order_payment_summary__order_summary=replacement).exists()
    assert not PaymentAuthorization.objects.filter(order_payment_summary__order_summary=replacement).exists()
    assert not FulfillmentOrder.objects.filter(order_summary=replacement).exists()  # not routed
    assert check_money([summary.pk, replacement.pk]) == {}


@pytest.mark.parametrize("order, replacement, expected", CASES)
def test_the_replacement_waits_for_the_return_then_is_paid_as_an_exchange(shop, settings, order, replacement, expected):
    summary = shipped(shop, order)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    grand_total = summary.grand_total_amount
    sku, price, tax, rate = replacement
    stock(shop.location.external_reference, **{sku: 10})
    request = body(shop, summary, sku, price, tax, rate=rate, hold=True)
    request["returnLocationId"] = str(shop.location.pk)
    returned, total, to_charge, to_refund = (D(value) for value in expected)

    preview = shop.action(summary, "preview-exchange", request, expect=200)
    assert answer(preview) == (returned, total, to_charge, to_refund)
    assert Exchange.objects.count() == 0 and ReturnOrder.objects.count() == 0 and OrderSummary.objects.count() == 1

    submitted = shop.action(summary, "submit-exchange", request, expect=201)
    assert answer(submitted) == answer(preview) and submitted["changeBalances"] == preview["changeBalances"]
    assert submitted["changeOrderId"] is None
    return_order = ReturnOrder.objects.get(pk=submitted["returnOrderId"])
    replacement_summary = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])
    exchange = Exchange.objects.get()
    assert (exchange.status, exchange.return_order_id, exchange.hold_until_returned) == (
        "AwaitingReturn",
        return_order.pk,
        True,
    )
    assert (return_order.order_summary_id, return_order.destination_location_id) == (summary.pk, shop.location.pk)
    (line,) = return_order.lines.all()
    assert (line.order_item_summary_id, line.quantity_expected) == (shop.item(summary, "A").pk, 1)
    assert replacement_summary.source_order_summary_id == summary.pk
    assert replacement_summary.grand_total_amount == total
    (hold,) = OrderHold.objects.filter(order_summary=replacement_summary, released_at__isnull=True)
    assert hold.reason == f"Waiting for the return {return_order.number}"
    item = shop.item(summary, "A")
    assert (item.quantity_return_initiated, item.quantity_returned) == (1, 0)
    nothing_moved(summary, replacement_summary, grand_total)
    assert shop.summary_json(summary)["exchangeOrderSummaryIds"] == [str(replacement_summary.pk)]
    assert shop.summary_json(summary)["exchangeStatus"] is None
    assert shop.summary_json(replacement_summary)["exchangeStatus"] == "AwaitingReturn"

    receive(shop, return_order, (line, 1, 0, 0))
    exchange.refresh_from_db()
    assert exchange.status == "Completed" and exchange.completed_at is not None
    assert (
        exchange.returned_value,
        exchange.replacement_total,
        exchange.amount_to_charge,
        exchange.amount_to_refund,
    ) == (returned, total, to_charge, to_refund)
    assert OrderHold.objects.get(pk=hold.pk).released_at is not None
    assert shop.summary_json(replacement_summary)["exchangeStatus"] == "Completed"
    moved = returned - to_refund
    original = money(summary)
    assert original["memos"] == [(returned, D(0))]
    assert original["refunded"] == returned
    refunds = Refund.objects.filter(order_payment_summary__order_summary=summary).order_by("id")
    assert [(refund.amount, refund.status) for refund in refunds] == [(moved, "Processed")] + (
        [(to_refund, "Processed")] if to_refund else []
    )
    new = money(replacement_summary)
    assert (new["captured"], new["authorized"]) == (moved, total)
    assert check_money([summary.pk, replacement_summary.pk]) == {}

    ship_replacement(shop, replacement_summary)  # routed once the units came back
    new = money(replacement_summary)
    assert new["invoices"] == [(total, D(0))] and new["captured"] == total
    assert check_money([summary.pk, replacement_summary.pk]) == {}


def test_a_receipt_in_parts_completes_the_exchange_with_the_last_units(shop, settings):
    """Both A back (2 × 43.20 = 86.40) for two C at 45.00 + 8 % (97.20): 10.80 more. The first receipt moves
    nothing; the second completes the exchange."""
    summary = shipped(shop, USD)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    stock(shop.location.external_reference, C=10)
    request = body(shop, summary, "C", "45.00", "7.20", rate=8, hold=True, quantity=2)
    request["exchangeItems"][0]["quantity"] = 2
    submitted = shop.action(summary, "submit-exchange", request)
    assert answer(submitted) == (D("86.40"), D("97.20"), D("10.80"), D(0))
    return_order = ReturnOrder.objects.get(pk=submitted["returnOrderId"])
    replacement = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])

    receive(shop, return_order, (open_line(return_order), 1, 0, 0))
    assert Exchange.objects.get().status == "AwaitingReturn"
    assert not FulfillmentOrder.objects.filter(order_summary=replacement).exists()
    assert money(summary)["memos"] == [] and money(summary)["refunded"] == 0  # the credit waits for the rest
    assert not AgentRefund.objects.exists()
    # The first unit's credit waits for the exchange: "Refund remaining" does not offer it to an agent.
    remaining = remaining_refund(summary)
    assert (remaining.credit_amount, remaining.credit_change_order_ids) == (D(0), ())
    assert check_money([summary.pk, replacement.pk]) == {}

    receive(shop, return_order, (open_line(return_order), 1, 0, 0))
    exchange = Exchange.objects.get()
    assert (exchange.status, exchange.returned_value, exchange.transferred_amount, exchange.amount_to_charge) == (
        "Completed",
        D("86.40"),
        D("86.40"),
        D("10.80"),
    )
    assert money(summary)["memos"] == [(D("86.40"), D(0))]
    assert money(replacement)["captured"] == D("86.40")
    ship_replacement(shop, replacement)
    assert money(replacement)["captured"] == D("97.20")
    assert check_money([summary.pk, replacement.pk]) == {}


def test_a_rejected_unit_is_not_credited_and_the_replacement_costs_the_difference(shop, settings):
    """Two A expected for two A-L at the same price (86.40); one is received worn and rejected: only 43.20 is
    credited (a rejected unit is not refunded on any return order), so 43.20 is charged on the card."""
    summary = shipped(shop, USD)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    stock(shop.location.external_reference, **{"A-L": 10})
    request = body(shop, summary, "A-L", "40.00", "6.40", rate=8, hold=True, quantity=2)
    request["exchangeItems"][0]["quantity"] = 2
    submitted = shop.action(summary, "submit-exchange", request)
    assert answer(submitted) == (D("86.40"), D("86.40"), D(0), D(0))
    return_order = ReturnOrder.objects.get(pk=submitted["returnOrderId"])
    replacement = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])
    receive(shop, return_order, (open_line(return_order), 1, 1, 0))
    exchange = Exchange.objects.get()
    assert (
        exchange.status,
        exchange.returned_value,
        exchange.transferred_amount,
        exchange.amount_to_charge,
        exchange.amount_to_refund,
    ) == ("Completed", D("43.20"), D("43.20"), D("43.20"), D(0))
    item = shop.item(summary, "A")
    assert (item.quantity_returned, item.quantity_return_initiated) == (1, 1)
    (authorization,) = PaymentAuthorization.objects.filter(order_payment_summary__order_summary=replacement)
    assert (authorization.amount, authorization.status) == (D("43.20"), "Processed")
    ship_replacement(shop, replacement)
    assert money(replacement)["captured"] == D("86.40")
    assert check_money([summary.pk, replacement.pk]) == {}


@pytest.mark.parametrize(
    "returned, rejected, canceled, status", [(0, 0, 1, "Canceled"), (0, 1, 0, "Closed")], ids=["canceled", "rejected"]
)
def test_nothing_came_back_cancels_the_waiting_replacement_and_charges_nothing(
    shop, settings, returned, rejected, canceled, status
):
    """The unit never came (the return order canceled) or came back rejected (received, returned to the
    customer, never credited): the waiting replacement is canceled, nothing moves."""
    summary = shipped(shop, JPY)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    grand_total = summary.grand_total_amount
    submitted = shop.action(summary, "submit-exchange", body(shop, summary, "C", "5000", "500", rate=10, hold=True))
    assert answer(submitted) == (D("4400"), D("5500"), D("1100"), D(0))
    return_order = ReturnOrder.objects.get(pk=submitted["returnOrderId"])
    replacement = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])
    receive(shop, return_order, (open_line(return_order), returned, rejected, canceled))
    return_order.refresh_from_db()
    assert return_order.status == status
    exchange = Exchange.objects.get()
    assert (exchange.status, exchange.transferred_amount, exchange.amount_to_charge, exchange.amount_to_refund) == (
        "Canceled",
        D(0),
        D(0),
        D(0),
    )
    assert shop.summary_json(replacement)["exchangeStatus"] == "Canceled"
    replacement.refresh_from_db()
    assert replacement.grand_total_amount == 0
    assert set(replacement.item_summaries.filter(type="Order Product").values_list("status", flat=True)) == {"CANCELED"}
    assert not OrderPaymentSummary.objects.filter(order_summary=replacement).exists()
    assert not CreditMemo.objects.filter(order_summary=summary).exists()
    nothing_moved(summary, replacement, grand_total)
    item = shop.item(summary, "A")
    assert (item.quantity_returned, item.quantity_return_initiated) == (0, 0)


def test_the_waiting_replacement_cannot_be_released_by_hand(shop):
    summary = shipped(shop, USD)
    submitted = shop.action(summary, "submit-exchange", body(shop, summary, "A-L", "40.00", "3.20", rate=8, hold=True))
    from orders.errors import InvalidState
    from orders.services.holds import release_holds

    with pytest.raises(InvalidState, match="waits for the return"):
        release_holds(submitted["exchangeOrderSummaryId"])


def test_a_retried_submit_with_the_same_idempotency_key_makes_one_exchange(shop, api):
    summary = shipped(shop, USD)
    request = body(shop, summary, "A-L", "40.00", "3.20", rate=8, hold=True)
    url = f"{API}/order-management/order-summaries/{summary.pk}/actions/submit-exchange"
    first = api.post_json(url, request, key="exchange-wait-1")
    again = api.post_json(url, request, key="exchange-wait-1")
    assert first.status_code == again.status_code == 201
    assert body_of(first) == body_of(again)
    assert Exchange.objects.count() == 1 and ReturnOrder.objects.count() == 1


def test_the_admin_shows_the_waiting_exchange_on_both_summaries(shop, admin_client):
    summary = shipped(shop, USD)
    submitted = shop.action(summary, "submit-exchange", body(shop, summary, "A-L", "40.00", "3.20", rate=8, hold=True))
    number = ReturnOrder.objects.get(pk=submitted["returnOrderId"]).number
    for pk in (summary.pk, submitted["exchangeOrderSummaryId"]):
        page = admin_client.get(f"/admin/orders/ordersummary/{pk}/change/").content.decode()
        assert "Waiting for the return" in page and number in page
    listing = admin_client.get("/admin/orders/exchange/").content.decode()
    assert "Waiting for the return" in listing


def test_an_unknown_return_location_is_refused_by_preview_and_submit_alike(shop):
    summary = shipped(shop, USD)
    request = body(shop, summary, "A-L", "40.00", "3.20", rate=8, hold=True)
    request["returnLocationId"] = "999999999"
    for action in ("preview-exchange", "submit-exchange"):
        refused = body_of(
            shop.post(f"{API}/order-management/order-summaries/{summary.pk}/actions/{action}", request, expect=400)
        )
        assert [error["field"] for error in refused["errors"]] == ["returnLocationId"]
    assert not Exchange.objects.exists() and not ReturnOrder.objects.exists()


def test_an_integration_crediting_a_partial_receipt_itself_leaves_the_exchange_completable(shop, settings):
    """Both A back (2 × 43.20) for two C at 45.00 + 8 % (97.20). The integration credits the first unit's Return
    change order itself (create-credit-memo, 43.20) and refunds that memo: the customer has those 43.20 back. The
    last receipt completes the exchange on the credit nobody took (43.20 moved) and charges the rest, 97.20 −
    43.20 = 54.00, to the card: 43.20 + 43.20 leave the original, 97.20 reach the replacement, nothing twice."""
    summary = shipped(shop, USD)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    stock(shop.location.external_reference, C=10)
    request = body(shop, summary, "C", "45.00", "7.20", rate=8, hold=True, quantity=2)
    request["exchangeItems"][0]["quantity"] = 2
    submitted = shop.action(summary, "submit-exchange", request)
    return_order = ReturnOrder.objects.get(pk=submitted["returnOrderId"])
    replacement = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])

    receive(shop, return_order, (open_line(return_order), 1, 0, 0))
    (first,) = return_order.lines.filter(is_processed=True).values_list("change_order_item__order_id", flat=True)
    memo_id = body_of(shop.credit_memo(summary, [first], expect=201))["creditMemoId"]
    shop.ensure_refunds(summary, {"creditMemoId": memo_id})
    assert money(summary)["refunded"] == D("43.20")
    assert check_money([summary.pk, replacement.pk]) == {}

    receive(shop, return_order, (open_line(return_order), 1, 0, 0))
    exchange = Exchange.objects.get()
    assert (
        exchange.status,
        exchange.returned_value,
        exchange.transferred_amount,
        exchange.amount_to_charge,
        exchange.amount_to_refund,
    ) == ("Completed", D("43.20"), D("43.20"), D("54.00"), D(0))
    assert sorted(money(summary)["memos"]) == [(D("43.20"), D(0)), (D("43.20"), D(0))]
    assert money(summary)["refunded"] == D("86.40")
    assert (money(replacement)["captured"], money(replacement)["authorized"]) == (D("43.20"), D("97.20"))
    assert OrderHold.objects.filter(order_summary=replacement, released_at__isnull=True).count() == 0
    assert check_money([summary.pk, replacement.pk]) == {}
    ship_replacement(shop, replacement)
    assert money(replacement)["captured"] == D("97.20")
    assert check_money([summary.pk, replacement.pk]) == {}


def test_an_integration_crediting_every_receipt_itself_leaves_the_whole_replacement_to_charge(shop, settings):
    """Two A expected for two C at 50.00 + 8 % (108.00). The first A comes back and the integration credits it
    itself (a memo of 43.20, not refunded yet); the second is rejected. No credit is left for the exchange: moved
    0, the whole 108.00 charged to the card; the integration's memo keeps its 43.20, owed to the customer."""
    summary = shipped(shop, USD)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    stock(shop.location.external_reference, C=10)
    request = body(shop, summary, "C", "50.00", "8.00", rate=8, hold=True, quantity=2)
    request["exchangeItems"][0]["quantity"] = 2
    submitted = shop.action(summary, "submit-exchange", request)
    return_order = ReturnOrder.objects.get(pk=submitted["returnOrderId"])
    replacement = OrderSummary.objects.get(pk=submitted["exchangeOrderSummaryId"])

    receive(shop, return_order, (open_line(return_order), 1, 0, 0))
    (first,) = return_order.lines.filter(is_processed=True).values_list("change_order_item__order_id", flat=True)
    shop.credit_memo(summary, [first], expect=201)
    receive(shop, return_order, (open_line(return_order), 0, 1, 0))
    exchange = Exchange.objects.get()
    assert (
        exchange.status,
        exchange.returned_value,
        exchange.transferred_amount,
        exchange.amount_to_charge,
        exchange.amount_to_refund,
    ) == ("Completed", D(0), D(0), D("108.00"), D(0))
    # The integration's memo keeps its 43.20 for the integration to refund; the exchange made no memo.
    assert money(summary)["memos"] == [(D("43.20"), D("43.20"))]
    (authorization,) = PaymentAuthorization.objects.filter(order_payment_summary__order_summary=replacement)
    assert (authorization.amount, authorization.status) == (D("108.00"), "Processed")
    assert check_money([summary.pk, replacement.pk]) == {}
    ship_replacement(shop, replacement)
    assert money(replacement)["captured"] == D("108.00")
    assert check_money([summary.pk, replacement.pk]) == {}
