"""Issue 12, rules 1 and 2 through the API, with values computed by hand (USD and JPY).

The USD order: A 2 × 40.00 (8 % tax, 6.40), B 1 × 20.00 (1.60), delivery 10.00 (0.80): 118.80.
The JPY order: A 2 × 4000 (10 %, 800), B 1 × 2000 (200), delivery 1000 (no tax): 12000.
"""

from decimal import Decimal as D

import pytest

from orders.models import FulfillmentOrder
from payments.models import Invoice, Payment, Refund
from tests.api.helpers import body_of

from .shop import Shop, money

pytestmark = pytest.mark.django_db

USD = {"currency": "USD", "items": (("A", 2, "40.00", 8), ("B", 1, "20.00", 8)), "delivery": ("10.00", "0.80")}
JPY = {"currency": "JPY", "items": (("A", 2, "4000", 10), ("B", 1, "2000", 10)), "delivery": ("1000", "0")}


def sale(amount):
    return [
        {
            "kind": "sale",
            "method": "Visa",
            "gatewayToken": "tok_visa",
            "last4": "4242",
            "amount": D(amount),
            "gatewayReference": "sale_1",
        }
    ]


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


def error(response):
    return [(e["errorCode"], e["field"]) for e in body_of(response)["errors"]]


@pytest.mark.parametrize(
    "order, grand_total, cancel, discount",
    [
        # USD: 1 × A with the shipping flag: 40.00 + 3.20, and 4.00 + 0.32 of the delivery charge (DOMAIN §6).
        # A discount of 10.00 on B's unit: 10.00 + 0.80.
        (USD, "118.80", ("A", True, "47.52"), ("B", "-10.00", "10.80")),
        # JPY: 1 × A without the flag: 4000 + 400; a discount of 500 on B: 500 + 50.
        (JPY, "12000", ("A", False, "4400"), ("B", "-500", "550")),
    ],
)
def test_a_pre_fulfillment_reduction_refunded_as_excess_cannot_be_credited_again(
    shop, order, grand_total, cancel, discount
):
    summary = shop.order(**order, payments=sale(grand_total))
    sku, shipping, reduction = cancel
    canceled = shop.cancel(summary, sku, 1, shipping=shipping)
    assert canceled["changeBalances"]["totalExcessFundsAmount"] == D(reduction)
    shop.ensure_refunds(summary, {"excessFundsAmount": reduction})
    assert money(summary)["refunded"] == D(reduction)

    refused = shop.credit_memo(summary, [canceled["changeOrderId"]], expect=409)
    assert error(refused) == [("SETTLED_AS_EXCESS_FUNDS", "changeOrderIds[0]")]

    sku, amount, discounted = discount
    adjusted = shop.adjust(summary, sku, amount)
    assert adjusted["changeBalances"]["totalExcessFundsAmount"] == D(discounted)
    refused = shop.credit_memo(summary, [adjusted["preFulfillmentChangeOrderId"]], expect=409)
    assert error(refused) == [("SETTLED_AS_EXCESS_FUNDS", "changeOrderIds[0]")]
    # Named together with a creditable one, nothing is made either.
    assert Refund.objects.filter(order_payment_summary__order_summary=summary).count() == 1
    assert money(summary)["memos"] == []
    assert money(summary)["refunded"] == D(reduction)


@pytest.mark.parametrize(
    "order, invoiced, returned",
    [
        (USD, "118.80", "43.20"),  # 1 × A back: 40.00 + 3.20
        (JPY, "12000", "4400"),  # 4000 + 400
    ],
)
def test_a_return_is_credited_once(shop, order, invoiced, returned):
    summary = shop.order(**order)
    shop.ship(shop.place(summary, [("A", 2), ("B", 1)]))
    assert money(summary)["invoices"] == [(D(invoiced), D(0))]

    change = shop.return_(summary, "A", 1)["changeOrderId"]
    memo_id = body_of(shop.credit_memo(summary, [change], expect=201))["creditMemoId"]
    assert shop.memo_json(memo_id)["totalAmountWithTax"] == D(returned)
    again = shop.credit_memo(summary, [change], expect=409)
    assert error(again) == [("ALREADY_CREDITED", "changeOrderIds[0]")]
    shop.ensure_refunds(summary, {"creditMemoId": memo_id})
    assert money(summary)["refunded"] == D(returned)
    assert money(summary)["memos"] == [(D(returned), D(0))]


@pytest.mark.parametrize("order, total", [(USD, "118.80"), (JPY, "12000")])
def test_an_unshipped_fulfillment_order_is_not_invoiced_and_a_rejected_one_bills_nothing(shop, order, total):
    summary = shop.order(**order)
    first = shop.place(summary, [("A", 2), ("B", 1)])
    refused = shop.create_invoice(first, expect=409)
    assert error(refused) == [("FULFILLMENT_ORDER_NOT_FULFILLED", "fulfillmentOrderId")]

    # The location cannot ship it: rejected, the units go to a second fulfillment order that ships.
    shop.status(first, "Rejected")
    refused = shop.create_invoice(first, expect=409)
    assert error(refused) == [("FULFILLMENT_ORDER_NOT_FULFILLED", "fulfillmentOrderId")]
    second = shop.place(summary, [("A", 2), ("B", 1)])
    shop.ship(second)

    # Invoiced and captured once, for the one shipment: the delivery charge rides on the second order.
    assert money(summary)["invoices"] == [(D(total), D(0))]
    assert money(summary)["captured"] == D(total)
    assert Invoice.objects.get(order_summary=summary).fulfillment_order_id == second
    assert Payment.objects.filter(order_payment_summary__order_summary=summary, kind="Capture").count() == 1


@pytest.mark.parametrize("order, total", [(USD, "118.80"), (JPY, "12000")])
def test_create_invoice_after_the_automation_answers_the_same_invoice(shop, order, total, settings):
    summary = shop.order(**order)
    fulfillment_order = shop.place(summary, [("A", 2), ("B", 1)])
    shop.ship(fulfillment_order)
    (invoice,) = Invoice.objects.filter(order_summary=summary)

    again = shop.create_invoice(fulfillment_order, expect=200)
    assert body_of(again)["invoiceId"] == str(invoice.pk)
    # Ensure funds asked again moves nothing: the invoice is paid.
    shop.ensure_funds(summary, invoice.pk)
    assert money(summary)["captured"] == D(total)
    assert Payment.objects.filter(order_payment_summary__order_summary=summary, kind="Capture").count() == 1


def test_a_manual_invoice_first_then_the_automation_ensures_funds_for_it(shop, settings):
    """The race of rule 2 in sequence: the client invoices first (automation off at that moment), the
    automation then finds the invoice and pays it instead of raising 'already has an invoice'."""
    from payments.services.money_follow_ups import invoice_and_capture

    summary = shop.order(**USD)
    fulfillment_order = shop.place(summary, [("A", 2), ("B", 1)])
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    shop.ship(fulfillment_order)
    invoice_id = body_of(shop.create_invoice(fulfillment_order, expect=201))["invoiceId"]
    assert money(summary)["invoices"] == [(D("118.80"), D("118.80"))]

    invoice_and_capture(fulfillment_order, summary.pk)
    invoice_and_capture(fulfillment_order, summary.pk)  # a redelivered task
    assert money(summary)["invoices"] == [(D("118.80"), D(0))]
    assert Invoice.objects.get(order_summary=summary).pk == int(invoice_id)
    assert money(summary)["captured"] == D("118.80")
    assert summary.process_exceptions.count() == 0


def test_the_database_keeps_an_invoice_to_shipped_goods(shop):
    """The triggers behind rule 2: no invoice for an open fulfillment order, and an invoiced one stays as
    billed, whatever bypasses the services."""
    from django.db import IntegrityError, transaction

    from orders.models import FulfillmentOrderLineItem

    summary = shop.order(**USD)
    shipped = shop.place(summary, [("A", 1)])
    shop.ship(shipped)
    invoice = Invoice.objects.get(fulfillment_order_id=shipped)
    open_one = shop.place(summary, [("A", 1), ("B", 1)])

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(fulfillment_order_id=open_one)
    with pytest.raises(IntegrityError), transaction.atomic():
        FulfillmentOrder.objects.filter(pk=shipped).update(status="Rejected", status_category="REJECTED")
    with pytest.raises(IntegrityError), transaction.atomic():
        FulfillmentOrderLineItem.objects.filter(fulfillment_order_id=shipped).update(quantity=0)
    # The open one may still change: it is not invoiced.
    FulfillmentOrder.objects.filter(pk=open_one).update(status="Pickpack", status_category="FULFILLING")
