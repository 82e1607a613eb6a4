"""Issue 12, rules 3, 6, 7 and 8 through the API, with values computed by hand (USD, JPY and BHD).

USD: A 2 × 40.00 (8 %: 6.40), B 1 × 20.00 (1.60), delivery 10.00 (0.80) = 118.80, authorized in full.
"""

from decimal import Decimal as D

import pytest

from orders.errors import Conflict
from orders.models import OrderSummary, ProcessException
from orders.services.cancel import submit_cancel
from payments.models import (
    AuthorizationReversal,
    CreditMemoAppliedToInvoice,
    Invoice,
    PaymentAuthorization,
    PaymentGatewayLog,
    Refund,
    RefundStatus,
)
from payments.services.completion import settle_summary
from tests.api.helpers import body_of
from tests.change_builders import change

from .shop import Shop, money, reversals, void_log

pytestmark = pytest.mark.django_db

USD = {"currency": "USD", "items": (("A", 2, "40.00", 8), ("B", 1, "20.00", 8)), "delivery": ("10.00", "0.80")}
BHD = {"currency": "BHD", "items": (("A", 2, "4.000", 10), ("B", 1, "2.000", 10)), "delivery": ("1.000", "0")}


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


def cancel_everything(shop, summary):
    return shop.action(
        summary,
        "submit-cancel",
        {
            "changeItems": [
                {
                    "orderItemSummaryId": str(shop.item(summary, sku).pk),
                    "quantity": q,
                    "reason": "Customer Changed Mind",
                    "shippingReductionFlag": True,
                }
                for sku, q in (("A", 2), ("B", 1))
            ]
        },
    )


# --- rule 6: authorizations are released ----------------------------------------------------------


def test_a_fully_canceled_summary_releases_its_whole_authorization(shop):
    summary = shop.order(**USD)
    version = shop.summary_json(summary)["version"]
    cancel_everything(shop, summary)
    detail = shop.summary_json(summary)
    assert detail["status"] == "Canceled"
    assert detail["grandTotalAmount"] == D("0.00")
    (ops,) = detail["orderPaymentSummaries"]
    assert (ops["authorizationReversalAmount"], ops["availableToCaptureAmount"]) == (D("118.80"), D("0.00"))
    assert reversals(summary) == [(D("118.80"), "Processed", True)]
    assert void_log(summary) == [("Void", D("118.80"), "Success")]
    # The change moved the version once, the reversal once more.
    assert detail["version"] == version + 2

    # Idempotent: the pass again, and the hook of another change, reverse nothing more.
    settle_summary(summary.pk)
    assert reversals(summary) == [(D("118.80"), "Processed", True)]
    assert len(void_log(summary)) == 1


def test_the_unused_rest_is_released_when_the_last_invoice_is_paid(shop):
    summary = shop.order(**USD)
    # 1 × A and the delivery charge ship: 40.00 + 3.20 + 10.00 + 0.80 = 54.00.
    shop.ship(shop.place(summary, [("A", 1)]))
    assert money(summary)["captured"] == D("54.00")
    assert reversals(summary) == []  # B and the other A are still to ship
    shop.cancel(summary, "A", 1)  # 43.20 off; nothing captured for it: no refund
    assert reversals(summary) == []
    # B ships: 21.60; nothing is left to fulfil: 118.80 − 54.00 − 21.60 = 43.20 is released.
    shop.ship(shop.place(summary, [("B", 1)]))
    assert money(summary) == {
        "authorized": D("118.80"),
        "captured": D("75.60"),
        "refunded": D(0),
        "reversed": D("43.20"),
        "balance": D(0),
        "invoices": [(D("54.00"), D(0)), (D("21.60"), D(0))],
        "memos": [],
    }
    assert void_log(summary) == [("Void", D("43.20"), "Success")]


def test_a_refused_reversal_is_a_process_exception_and_is_tried_again(shop):
    summary = shop.order(**USD, token="tok_error")
    cancel_everything(shop, summary)
    # Declined: nothing stays reserved, a person is told.
    assert reversals(summary) == [(D("118.80"), "Failed", True)]
    assert money(summary)["reversed"] == D(0)
    (exception,) = ProcessException.objects.filter(order_summary=summary)
    assert (exception.category, exception.status) == ("Payment", "New")
    assert exception.message.startswith("Reversal of 118.80 USD of the authorization on Visa")
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 1

    # Tried again (the task retries with backoff): a new reversal under its own key, declined again, and
    # still one exception.
    settle_summary(summary.pk)
    assert reversals(summary) == [(D("118.80"), "Failed", True)] * 2
    assert ProcessException.objects.filter(order_summary=summary).count() == 1

    # The card's provider takes it now: the next pass releases it.
    PaymentAuthorization.objects.filter(order__order_number=summary.order_number).update(gateway_token="tok_visa")
    settle_summary(summary.pk)
    assert money(summary)["reversed"] == D("118.80")
    assert reversals(summary)[-1] == (D("118.80"), "Processed", True)
    assert [status for _, _, status in void_log(summary)] == ["Failed", "Failed", "Success"]


def test_a_reversal_that_times_out_is_settled_by_reconciliation(shop):
    from orders.models import OutboxMessage
    from payments import tasks

    summary = shop.order(**USD, token="tok_timeout")
    cancel_everything(shop, summary)
    # No answer: the reversal stays reserved (nothing can capture it) and a lookup is scheduled in the outbox.
    assert reversals(summary) == [(D("118.80"), "Pending", True)]
    assert money(summary)["reversed"] == D("118.80")
    assert void_log(summary) == [("Void", D("118.80"), "Timeout")]
    (message,) = OutboxMessage.objects.filter(task_name=tasks.reconcile_payment_movement.name)
    assert message.args[0] == "void"

    # The relay hands it to a worker when its countdown is over: the lookup under the same key settles it.
    tasks.reconcile_payment_movement.apply(args=message.args, throw=True)
    assert reversals(summary) == [(D("118.80"), "Processed", True)]
    assert money(summary)["reversed"] == D("118.80")
    logs = PaymentGatewayLog.objects.filter(order_payment_summary__order_summary=summary).order_by("id")
    assert [(log.is_reconciliation, log.status, log.idempotency_key) for log in logs] == [
        (False, "Timeout", message_key(summary)),
        (True, "Success", message_key(summary)),
    ]


def message_key(summary) -> str:
    return AuthorizationReversal.objects.get(order_payment_summary__order_summary=summary).idempotency_key


# --- rule 7: netting -------------------------------------------------------------------------------


@pytest.mark.parametrize("currency, price, total", [("USD", "50.00", "54.00"), ("JPY", "5000", "5500")])
def test_a_return_where_nothing_was_captured_nets_against_the_open_invoice(shop, settings, currency, price, total):
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    summary = shop.order(currency=currency, items=(("X", 1, price, 8 if currency == "USD" else 10),))
    fulfillment_order = shop.place(summary, [("X", 1)])
    shop.ship(fulfillment_order)
    invoice_id = body_of(shop.create_invoice(fulfillment_order, expect=201))["invoiceId"]
    returned = shop.return_(summary, "X", 1)["changeOrderId"]
    memo_id = body_of(shop.credit_memo(summary, [returned], expect=201))["creditMemoId"]

    assert shop.invoice_json(invoice_id)["balance"] == 0
    assert shop.memo_json(memo_id)["balance"] == 0
    assert money(summary)["invoices"] == [(D(total), D(0))]
    assert money(summary)["memos"] == [(D(total), D(0))]
    (netting,) = CreditMemoAppliedToInvoice.objects.filter(invoice_id=invoice_id)
    assert (netting.credit_memo_id, netting.amount) == (int(memo_id), D(total))
    # No money moved; the authorization is released (nothing is owed, nothing left to ship).
    assert money(summary)["captured"] == D(0) and money(summary)["refunded"] == D(0)
    shop.ensure_refunds(summary, {"creditMemoId": memo_id})  # nothing to refund: changes nothing
    assert money(summary)["refunded"] == D(0)
    assert money(summary)["reversed"] == D(total)


# --- rule 8: money moves the version -----------------------------------------------------------------


def test_a_refund_makes_a_preview_made_before_it_stale(shop):
    summary = shop.order(
        **USD,
        payments=[
            {
                "kind": "sale",
                "method": "Visa",
                "gatewayToken": "tok_visa",
                "amount": D("118.80"),
                "gatewayReference": "sale_1",
            }
        ],
    )
    shop.cancel(summary, "B", 1)  # 21.60 in excess
    previewed = shop.summary_json(summary)["version"]
    shop.ensure_refunds(summary, {"excessFundsAmount": "21.60"})
    # The reservation and the settlement of the refund: two moves.
    assert shop.summary_json(summary)["version"] == previewed + 2
    with pytest.raises(Conflict):
        submit_cancel(summary.pk, [change(shop.item(summary, "A").pk, 1)], actor=None, expected_version=previewed)


def test_a_capture_moves_the_version(shop, settings):
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    summary = shop.order(**USD)
    fulfillment_order = shop.place(summary, [("A", 2), ("B", 1)])
    shop.ship(fulfillment_order)
    invoice_id = body_of(shop.create_invoice(fulfillment_order, expect=201))["invoiceId"]
    before = shop.summary_json(summary)["version"]
    shop.ensure_funds(summary, invoice_id)
    # The capture settled (+1); nothing left to ship and nothing unused to release.
    assert shop.summary_json(summary)["version"] == before + 1
    assert money(summary)["captured"] == D("118.80")


# --- rule 3: the invoice bills the current price; leftover excess is refunded -----------------------


@pytest.mark.parametrize(
    "order, discount, invoiced, reversed_",
    [
        # 10.00 off A's two units while they are allocated: 10.00 + 0.80. 118.80 − 10.80 = 108.00.
        (USD, "-10.00", "108.00", "10.80"),
        # BHD: 1.000 off A: 1.000 + 0.100; 12.000 − 1.100 = 10.900.
        (BHD, "-1.000", "10.900", "1.100"),
    ],
)
def test_an_in_fulfillment_discount_is_on_the_invoice(shop, order, discount, invoiced, reversed_):
    summary = shop.order(**order)
    fulfillment_order = shop.place(summary, [("A", 2), ("B", 1)])
    adjusted = shop.adjust(summary, "A", discount, mode="InFulfillment")
    assert adjusted["inFulfillmentChangeOrderId"] is not None and adjusted["preFulfillmentChangeOrderId"] is None
    shop.ship(fulfillment_order)
    assert money(summary)["invoices"] == [(D(invoiced), D(0))]
    assert money(summary)["captured"] == D(invoiced)
    assert money(summary)["reversed"] == D(reversed_)
    assert shop.summary_json(summary)["grandTotalAmount"] == D(invoiced)


def test_in_fulfillment_discount_of_partly_allocated_units_is_billed_once(shop):
    summary = shop.order(**USD)
    first = shop.place(summary, [("A", 1), ("B", 1)])
    # 10.00 over A's 2 units: 5.00 + 0.40 on the unit still to place, 5.00 + 0.40 on the allocated one.
    shop.adjust(summary, "A", "-10.00", mode="InFulfillment")
    shop.ship(first)
    # 40.00 + 3.20 + 20.00 + 1.60 + 10.00 + 0.80 − 5.40
    assert money(summary)["invoices"] == [(D("70.20"), D(0))]
    shop.ship(shop.place(summary, [("A", 1)]))
    # The second unit at its discounted price: 35.00 + 2.80; together the grand total 108.00.
    assert money(summary)["invoices"] == [(D("70.20"), D(0)), (D("37.80"), D(0))]
    assert money(summary)["captured"] == D("108.00") == shop.summary_json(summary)["grandTotalAmount"]
    assert money(summary)["reversed"] == D("10.80")


def test_a_shipping_reduction_of_a_placed_delivery_charge_is_on_the_invoice(shop):
    summary = shop.order(**USD)
    placed = shop.place(summary, [("A", 1), ("B", 1)])  # the delivery charge rides on it
    # The unplaced A with the shipping flag: 40.00 / 100.00 of the delivery charge, 4.00 + 0.32.
    shop.cancel(summary, "A", 1, shipping=True)
    shop.ship(placed)
    # 40.00 + 3.20 + 20.00 + 1.60 + 10.00 + 0.80 − 4.32 = 71.28 = 118.80 − 47.52
    assert money(summary)["invoices"] == [(D("71.28"), D(0))]
    assert shop.summary_json(summary)["grandTotalAmount"] == D("71.28")
    assert money(summary)["reversed"] == D("47.52")


@pytest.mark.parametrize("auto", [True, False])
def test_excess_left_when_nothing_is_left_to_ship_is_refunded_or_reported(shop, settings, auto):
    settings.OMS_AUTO_CREDIT_AND_REFUND = auto
    # Paid up front (a sale): a reduction leaves captured money in excess, which only a refund returns.
    summary = shop.order(
        **USD,
        payments=[
            {
                "kind": "sale",
                "method": "Visa",
                "gatewayToken": "tok_visa",
                "amount": D("118.80"),
                "gatewayReference": "sale_excess",
            }
        ],
    )
    fulfillment_order = shop.place(summary, [("A", 2), ("B", 1)])
    # PreFulfillment mode puts the allocated units' discount on the pre change order, and the fulfillment-order
    # lines follow the new price: the invoice bills 118.80 − 10.80 = 108.00, out of the 118.80 already captured.
    adjusted = shop.adjust(summary, "A", "-10.00", mode="PreFulfillment")
    assert adjusted["inFulfillmentChangeOrderId"] is None
    shop.ship(fulfillment_order)
    assert money(summary)["invoices"] == [(D("108.00"), D(0))]
    exceptions = ProcessException.objects.filter(order_summary=summary)
    if auto:
        assert money(summary)["refunded"] == D("10.80")
        assert not exceptions.exists()
    else:
        assert money(summary)["refunded"] == D(0)
        (exception,) = exceptions
        assert exception.message == "Excess funds remain with nothing left to ship: 10.80 USD"
        settle_summary(summary.pk)  # told once, however often the pass runs
        assert exceptions.count() == 1
    assert Invoice.objects.filter(order_summary=summary).count() == 1


def test_the_console_order_page_shows_what_was_released(shop):
    from django.contrib.auth.models import Group, User
    from django.test import Client

    summary = shop.order(**USD)
    cancel_everything(shop, summary)
    agent = User.objects.create_user(username="agent-money", password="x")
    agent.groups.add(Group.objects.get(name="Agent"))
    client = Client()
    client.force_login(agent)
    page = client.get(f"/console/orders/{summary.pk}/").content.decode()
    ops = summary.payment_summaries.get()
    assert f'data-testid="released-{ops.pk}"' in page
    cell = page.split(f'data-testid="released-{ops.pk}"', 1)[1].split("</td>", 1)[0]
    assert "118.80" in cell


def test_a_refund_the_gateway_refuses_is_not_tried_again_by_the_settling_pass(shop):
    # Paid up front with a card whose refunds the gateway refuses every time (the sandbox's tok_error).
    summary = shop.order(
        **USD,
        payments=[
            {
                "kind": "sale",
                "method": "Visa",
                "gatewayToken": "tok_error",
                "amount": D("118.80"),
                "gatewayReference": "sale_refused",
            }
        ],
    )
    cancel_everything(shop, summary)  # 118.80 in excess, nothing left to ship: the pass refunds it once
    refunds = Refund.objects.filter(order_payment_summary__order_summary=summary)
    assert [(r.amount, r.status) for r in refunds] == [(D("118.80"), RefundStatus.FAILED)]
    (exception,) = ProcessException.objects.filter(order_summary=summary)
    assert exception.message.startswith("Refund of 118.80 USD")
    # The failed refund waits for a person (retry from the exception queue): however often the pass runs, it
    # neither refunds again nor reports the excess a second time.
    settle_summary(summary.pk)
    settle_summary(summary.pk)
    assert refunds.count() == 1
    assert ProcessException.objects.filter(order_summary=summary).count() == 1
    assert money(summary)["refunded"] == D(0)
    # Once the person has closed the exception, the next pass tries again (refused again: a new exception),
    # and again only once.
    ProcessException.objects.filter(pk=exception.pk).update(status="Resolved")
    settle_summary(summary.pk)
    settle_summary(summary.pk)
    assert sorted(ProcessException.objects.filter(order_summary=summary).values_list("message", "status")) == [
        ("Refund of 118.80 USD to Visa failed: PermanentFail", "New"),
        ("Refund of 118.80 USD to Visa failed: PermanentFail", "Resolved"),
    ]
    assert money(summary)["refunded"] == D(0)
