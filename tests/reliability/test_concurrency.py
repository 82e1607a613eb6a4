"""Issue 7, case 1: agents and workers acting on the same records at the same moment (PostgreSQL).

Real threads, each with its own database connection, released together by a barrier; the row locks
of the services are what keeps the records right. API calls go through the whole stack (auth,
idempotency, views, services); payment workers are played by threads calling the task body.
"""

from decimal import Decimal as D

import pytest

from orders.models import ApiClient, Order, OrderItemSummary, OrderKind, OrderSummary, ProcessException
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_status import change_fulfillment_order_status
from payments.models import (
    BackgroundOperation,
    Invoice,
    Payment,
    PaymentGatewayLog,
    SandboxTransaction,
)
from payments.services import background_operations, operation_queue
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import address, ensure_channel, ingest, item, items_by_sku, order_body, set_fulfillment_state
from tests.change_builders import assert_rebuilds, change
from tests.fulfillment.helpers import make_location, place, stock
from tests.reliability.helpers import (
    action,
    assert_ledger_balanced,
    body_of,
    error_codes,
    post,
    run_together,
    statuses,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_automation(settings, monkeypatch):
    """Nothing runs behind the test's back: no routing, no automatic invoices or refunds, and the
    background operations are run by the test's own threads instead of a queued task."""
    settings.OMS_AUTO_ROUTE_ORDERS = False
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    settings.OMS_AUTO_CREDIT_AND_REFUND = False
    monkeypatch.setattr(operation_queue, "enqueue", lambda operation_id: None)


@pytest.fixture
def agent_key():
    ensure_channel()
    return ApiClient.issue(name="agents", scopes=["orders:read", "orders:write"])[1]


def cancel_body(ois, quantity=1, *, shipping=False):
    return {
        "changeItems": [
            {
                "orderItemSummaryId": str(ois.pk),
                "quantity": quantity,
                "reason": "Unknown",
                "shippingReductionFlag": shipping,
            }
        ]
    }


def test_fifty_submit_cancels_of_the_last_unit_one_succeeds_the_others_get_a_clean_409(agent_key):
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "deliveryCharge": {"amount": D("5.00"), "taxes": []},
                    "items": [item("LAST", 1, "30.00", rate=8), item("OTHER", 2, "10.00", rate=8)],
                }
            ]
        )
    )
    last = items_by_sku(summary)["LAST"]
    path = action(summary.pk, "submit-cancel")

    outcomes = run_together(lambda _: post(agent_key, path, cancel_body(last, shipping=True)), 50)

    codes = statuses(outcomes)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == 49, codes
    refused = [o for o in outcomes if o.status_code == 409]
    assert {frozenset(error_codes(r)) for r in refused} == {frozenset({"INVALID_STATE"})}
    # The same answer to each loser: nothing about the refusal depends on who lost when.
    assert len({r.content for r in refused}) == 1, {r.content for r in refused}
    assert Order.objects.filter(order_summary=summary, kind=OrderKind.CHANGE).count() == 1
    last.refresh_from_db()
    assert (last.quantity_canceled, last.quantity) == (1, 0)
    summary.refresh_from_db()
    # LAST 30.00 + 2.40 tax goes; OTHER 20.00 + 1.60 stays; the delivery charge loses r = 30 / 50:
    # 5.00 × 0.6 = 3.00, 2.00 stays. 21.60 + 2.00 = 23.60
    assert summary.grand_total_amount == D("23.60")
    assert summary.version == 2
    assert_rebuilds(summary)


def test_cancel_return_and_adjust_of_one_line_at_once_keep_every_invariant(agent_key):
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("LINE", 10, "12.00", rate=10), item("OTHER", 1, "5.00")],
                }
            ]
        )
    )
    line = set_fulfillment_state(items_by_sku(summary)["LINE"], allocated=4, fulfilled=4)
    # 6 units can be canceled, 4 returned; 8 cancels, 6 returns and 6 discounts of 1.00 race.
    discount = {
        "adjustItems": [
            {
                "orderItemSummaryId": str(line.pk),
                "adjustmentType": "AmountWithoutTax",
                "amount": -1,
                "reason": "Goodwill",
                "description": "race",
            }
        ],
        "allocatedItemsChangeOrderType": "Disallowed",
    }
    work = (
        [("cancel", "submit-cancel", cancel_body(line))] * 8
        + [("return", "submit-return", cancel_body(line))] * 6
        + [("adjust", "adjust-item-submit", discount)] * 6
    )

    outcomes = run_together(lambda i: post(agent_key, action(summary.pk, work[i][1]), work[i][2]), len(work))

    by_kind = {
        kind: [o for (k, _, _), o in zip(work, outcomes, strict=True) if k == kind]
        for kind in ("cancel", "return", "adjust")
    }
    assert sorted(statuses(by_kind["cancel"])) == [201] * 6 + [409] * 2, statuses(outcomes)
    assert sorted(statuses(by_kind["return"])) == [201] * 4 + [409] * 2, statuses(outcomes)
    assert set(statuses(by_kind["adjust"])) <= {201, 409}, statuses(outcomes)
    for refused in (o for o in outcomes if o.status_code == 409):
        assert error_codes(refused) == {"INVALID_STATE"}, refused.content

    line.refresh_from_db()
    assert (
        line.quantity_ordered,
        line.quantity_canceled,
        line.quantity_allocated,
        line.quantity_fulfilled,
        line.quantity_return_initiated,
        line.quantity_returned,
    ) == (10, 6, 4, 4, 4, 4)
    # Quantity 0: every cent of the line is gone, whatever discounts came in between.
    assert (
        line.quantity,
        line.total_line_amount,
        line.total_line_tax_amount,
        line.total_adjustment_amount,
        line.total_adjustment_tax_amount,
    ) == (0, 0, 0, 0, 0)
    summary = OrderSummary.objects.get(pk=summary.pk)
    assert summary.grand_total_amount == D("5.00")  # OTHER alone, untaxed
    adjust_orders = sum(
        1
        for o in by_kind["adjust"]
        if o.status_code == 201
        for key in ("preFulfillmentChangeOrderId", "postFulfillmentChangeOrderId")
        if body_of(o)[key]
    )
    assert Order.objects.filter(order_summary=summary, kind=OrderKind.CHANGE).count() == 6 + 4 + adjust_orders
    # Version 1 at ingest, 2 once units were shipped, then one more per change that went through.
    assert summary.version == 2 + 6 + 4 + statuses(by_kind["adjust"]).count(201)
    assert_rebuilds(summary)


def test_two_refunds_of_60_against_100_captured_make_exactly_one_gateway_call(settings):
    # A gift card sold at checkout: 100.00 captured; then the only item is canceled, so 100.00 is in excess.
    # The integration refunds it itself: with automatic refunds on, the settling pass after the full cancel
    # would refund the 100.00 at once (issue 12, rule 3), and there would be nothing to race for.
    settings.OMS_AUTO_CREDIT_AND_REFUND = False
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("GIFT", 1, "100.00")],
                }
            ],
            payments=[
                {
                    "kind": "sale",
                    "method": "GiftCard",
                    "gatewayToken": "tok_mastercard",
                    "amount": D("100.00"),
                    "gatewayReference": "sale_1",
                }
            ],
        )
    )
    submit_cancel(summary.pk, [change(items_by_sku(summary)["GIFT"].pk, 1)], actor=None)
    operations = [
        submit_ensure_refunds(summary.pk, EnsureRefundsInput(excess_funds_amount=D("60.00"))) for _ in range(2)
    ]

    run_together(lambda i: background_operations.run_operation(operations[i].pk), 2)

    assert PaymentGatewayLog.objects.filter(interaction_type="ReferencedRefund").count() == 1
    assert SandboxTransaction.objects.filter(interaction_type="ReferencedRefund").count() == 1
    results = sorted(BackgroundOperation.objects.get(pk=op.pk).result["success"] for op in operations)
    assert results == [False, True]
    refused = next(
        BackgroundOperation.objects.get(pk=op.pk)
        for op in operations
        if not BackgroundOperation.objects.get(pk=op.pk).result["success"]
    )
    assert refused.result["errors"][0]["errorCode"] == "INVALID_STATE"
    # The refused operation's exception; the other tells that excess remains with nothing left to ship.
    assert (
        ProcessException.objects.get(order_summary=summary, message__startswith="Ensure refunds").attached_to == refused
    )
    ops = summary.payment_summaries.get()
    # 100.00 captured, 60.00 refunded once; 40.00 is still in excess.
    assert (ops.captured_amount, ops.refunded_amount, ops.pending_refund_amount) == (D("100.00"), D("60.00"), 0)
    assert_ledger_balanced(summary)


def test_ten_partial_captures_racing_on_one_authorization_never_capture_more_than_authorized():
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("UNIT", 10, "10.00")],
                }
            ]
        )
    )
    unit = items_by_sku(summary)["UNIT"]
    warehouse = make_location("WH-RACE")
    stock("WH-RACE", UNIT=10)
    invoices = []
    for fulfillment_order in place(summary, *[(warehouse, [(unit, 1)])] * 10):
        change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")
        invoices.append(create_invoice_for_fulfillment_order(fulfillment_order.pk))
    assert [invoice.balance for invoice in invoices] == [D("10.00")] * 10
    # The issuer released 35.00 of the 100.00 hold: 65.00 can still be captured, six invoices' worth.
    summary.payment_summaries.update(authorization_reversal_amount=D("35.00"))
    operations = [submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)) for invoice in invoices]

    outcomes = run_together(lambda i: background_operations.run_operation(operations[i].pk), 10)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    ops = summary.payment_summaries.get()
    assert (ops.captured_amount, ops.pending_capture_amount) == (D("60.00"), 0)
    assert ops.captured_amount + ops.authorization_reversal_amount <= ops.authorization_amount
    assert Payment.objects.filter(kind="Capture", status="Processed").count() == 6
    assert SandboxTransaction.objects.filter(interaction_type="Capture").count() == 6
    assert (
        sorted(Invoice.objects.filter(pk__in=[i.pk for i in invoices]).values_list("balance", flat=True))
        == [D("0.00")] * 6 + [D("10.00")] * 4
    )
    refused = [
        op for op in BackgroundOperation.objects.filter(pk__in=[o.pk for o in operations]) if not op.result["success"]
    ]
    assert len(refused) == 4
    assert {op.result["errors"][0]["errorCode"] for op in refused} == {"INVALID_STATE"}
    assert ProcessException.objects.filter(order_summary=summary, category="Payment").count() == 4
    assert OrderItemSummary.objects.get(pk=unit.pk).quantity_fulfilled == 10
    assert_ledger_balanced(summary)
