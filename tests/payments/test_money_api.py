"""The money resources over REST: documents, async ensure funds/refunds, background operations,
order payment summaries, process exceptions; scopes and channel isolation."""

from decimal import Decimal as D

import pytest

from orders.models import OrderSummary, ProcessException, SalesChannel
from payments.models import BackgroundOperation, OrderPaymentSummary, Payment, PaymentAuthorization
from tests.api.helpers import body_of
from tests.builders import ingest, order_body, worked_example, worked_example_body
from tests.payments.money_builders import return_one_a, set_token, ship_everything

pytestmark = pytest.mark.django_db

API = "/api/v1/commerce"
SUMMARIES = f"{API}/order-management/order-summaries"


def post_and_run(api, path, body, capture):
    with capture(execute=True):
        response = api.post_json(path, body)
    return response


def invoice_via_api(api, summary):
    fulfillment_order = ship_everything(summary)
    response = api.post_json(f"{API}/fulfillment/fulfillment-orders/{fulfillment_order.pk}/actions/create-invoice", {})
    assert response.status_code == 201, response.content
    return body_of(response)["invoiceId"]


def test_full_money_flow_over_the_api(api, django_capture_on_commit_callbacks):
    summary = worked_example()
    invoice_id = invoice_via_api(api, summary)
    invoice = body_of(api.get(f"{API}/invoices/{invoice_id}"))
    assert (invoice["totalAmountWithTax"], invoice["balance"], invoice["status"]) == (
        D("118.80"),
        D("118.80"),
        "Posted",
    )
    assert invoice["documentNumber"] == f"INV-{int(invoice_id):06d}"
    assert [line["lineAmount"] for line in invoice["lines"]] == [D("80.00"), D("20.00"), D("10.00")]

    response = post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async",
        {"invoiceId": invoice_id},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 202, response.content
    operation_id = body_of(response)["backgroundOperationId"]
    operation = body_of(api.get(f"{API}/background-operations/{operation_id}"))
    assert (operation["type"], operation["status"], operation["result"]["success"]) == ("EnsureFunds", "Complete", True)
    assert body_of(api.get(f"{API}/invoices/{invoice_id}"))["balance"] == D("0.00")

    change = return_one_a(summary)
    response = api.post_json(f"{SUMMARIES}/{summary.pk}/actions/create-credit-memo", {"changeOrderIds": [change.pk]})
    assert response.status_code == 201, response.content
    memo_id = body_of(response)["creditMemoId"]
    memo = body_of(api.get(f"{API}/credit-memos/{memo_id}"))
    assert (memo["totalAmountWithTax"], memo["balance"], memo["changeOrderIds"]) == (
        D("43.20"),
        D("43.20"),
        [str(change.pk)],
    )

    response = post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-refunds-async",
        {"creditMemoId": memo_id},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 202, response.content
    operation = body_of(api.get(f"{API}/background-operations/{body_of(response)['backgroundOperationId']}"))
    assert operation["status"] == "Complete"
    assert [(r["amount"], r["status"]) for r in operation["result"]["refunds"]] == [("43.20", "Processed")]
    assert body_of(api.get(f"{API}/credit-memos/{memo_id}"))["balance"] == D("0.00")
    ops = summary.payment_summaries.get()
    assert (ops.captured_amount, ops.refunded_amount) == (D("118.80"), D("43.20"))


def test_credit_memo_refusals(api):
    summary = worked_example()
    ship_everything(summary)
    change = return_one_a(summary)
    path = f"{SUMMARIES}/{summary.pk}/actions/create-credit-memo"
    assert api.post_json(path, {"changeOrderIds": [change.pk]}).status_code == 201

    again = api.post_json(path, {"changeOrderIds": [change.pk]})
    assert again.status_code == 409
    assert body_of(again)["errors"][0]["field"] == "changeOrderIds[0]"
    assert "already on a credit memo" in body_of(again)["message"]

    other = worked_example()
    other_change = return_one_a(other)
    foreign = api.post_json(path, {"changeOrderIds": [other_change.pk]})
    assert foreign.status_code == 400
    assert "another order summary" in body_of(foreign)["message"]

    from orders.models import ChangeType
    from tests.payments.money_builders import change_order

    fee = change_order(summary, ChangeType.FEE, [("A", "0", "5.00", "0.40")])
    increasing = api.post_json(path, {"changeOrderIds": [fee.pk]})
    assert increasing.status_code == 409
    assert "does not reduce the amount owed" in body_of(increasing)["message"]
    assert api.post_json(path, {"changeOrderIds": []}).status_code == 400


def test_fee_invoice_paid_out_of_the_refund(api, django_capture_on_commit_callbacks):
    from orders.models import ChangeType
    from tests.payments.money_builders import change_order

    summary = worked_example()
    invoice_id = invoice_via_api(api, summary)
    post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async",
        {"invoiceId": invoice_id},
        django_capture_on_commit_callbacks,
    )
    returned = return_one_a(summary)
    fee = change_order(summary, ChangeType.FEE, [("A", "0", "5.00", "0.40")])
    response = api.post_json(
        f"{SUMMARIES}/actions/create-multiple-change-invoices",
        {
            "invoicesFromChangeOrders": [
                {"orderSummaryId": summary.pk, "changeOrderIds": [fee.pk]},
                {"orderSummaryId": summary.pk, "changeOrderIds": [returned.pk]},
            ]
        },
    )
    assert response.status_code == 201
    results = body_of(response)["invoices"]
    assert results[0]["success"] is True and results[1]["success"] is False
    assert "does not add to the amount owed" in results[1]["errors"][0]["message"]
    fee_invoice_id = results[0]["invoiceId"]
    assert body_of(api.get(f"{API}/invoices/{fee_invoice_id}"))["totalAmountWithTax"] == D("5.40")

    memo_id = body_of(
        api.post_json(f"{SUMMARIES}/{summary.pk}/actions/create-credit-memo", {"changeOrderIds": [returned.pk]})
    )["creditMemoId"]
    response = post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-refunds-async",
        {"creditMemoId": memo_id, "invoicesToPay": [{"invoiceId": fee_invoice_id}]},
        django_capture_on_commit_callbacks,
    )
    operation = BackgroundOperation.objects.get(pk=body_of(response)["backgroundOperationId"])
    # Memo 43.20 − fee 5.40 = 37.80 refunded; the fee invoice is paid from the card's captured funds.
    assert operation.result["refundAmount"] == "37.80"
    assert operation.result["feeInvoicesPaidAmount"] == "5.40"
    assert body_of(api.get(f"{API}/invoices/{fee_invoice_id}"))["balance"] == D("0.00")
    assert body_of(api.get(f"{API}/credit-memos/{memo_id}"))["balance"] == D("0.00")
    ops = summary.payment_summaries.get()
    # 118.80 captured − 37.80 refunded = 81.00 = 75.60 on the goods invoice + 5.40 on the fee invoice.
    assert (ops.refunded_amount, ops.available_to_refund_amount, ops.balance_amount) == (D("37.80"), D("81.00"), D("0"))


def test_excess_funds_refund_after_a_cancel(api, django_capture_on_commit_callbacks):
    """DOMAIN §6: cancel 1 × A with shipping reduction after 118.80 was captured: excess 47.52 refunded."""
    from orders.models import ChangeType
    from payments.funds import funds_position
    from tests.payments.money_builders import change_order

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
    # −40.00 −3.20 on A and −4.00 −0.32 on the delivery charge: 47.52 off the grand total.
    change_order(
        summary, ChangeType.CANCEL, [("A", "-1", "-40.00", "-3.20"), ("Delivery Charge", "0", "-4.00", "-0.32")]
    )
    summary = OrderSummary.objects.get(pk=summary.pk)
    assert funds_position(summary).total_excess_funds_amount == D("47.52")

    too_much = post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-refunds-async",
        {"excessFundsAmount": "47.53"},
        django_capture_on_commit_callbacks,
    )
    refused = BackgroundOperation.objects.get(pk=body_of(too_much)["backgroundOperationId"])
    assert refused.result["success"] is False
    assert refused.result["errors"][0]["field"] == "excessFundsAmount"

    post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-refunds-async",
        {"excessFundsAmount": "47.52"},
        django_capture_on_commit_callbacks,
    )
    ops = summary.payment_summaries.get()
    assert (ops.captured_amount, ops.refunded_amount, ops.balance_amount) == (D("118.80"), D("47.52"), D("71.28"))
    assert funds_position(summary).total_excess_funds_amount == D("0")


def test_refund_selection_worked_example_over_three_cards(api, django_capture_on_commit_callbacks):
    """DOMAIN §6 "Refund selection": memo 50 with A 20 / B 60 / C 100 → 50 from B."""
    from orders.models import ChangeType
    from tests.payments.money_builders import change_order

    body = order_body(
        payments=[
            {"kind": "sale", "method": m, "gatewayToken": "tok_visa", "amount": D(a), "gatewayReference": f"s-{m}"}
            for m, a in (("CardA", "20.00"), ("CardB", "60.00"), ("CardC", "100.00"))
        ],
        groups=[
            {
                "referenceId": "g",
                "deliverTo": {"name": "Ada"},
                "deliveryMethod": "Ground",
                "items": [{"sku": "X", "name": "X", "quantity": 1, "unitPrice": D("180.00"), "taxes": []}],
            }
        ],
    )
    summary = ingest(body)
    memo_change = change_order(summary, ChangeType.RETURN, [("X", "0", "-50.00", "0")], phase="Post")
    memo_id = body_of(
        api.post_json(f"{SUMMARIES}/{summary.pk}/actions/create-credit-memo", {"changeOrderIds": [memo_change.pk]})
    )["creditMemoId"]
    post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-refunds-async",
        {"creditMemoId": memo_id},
        django_capture_on_commit_callbacks,
    )
    refunded = {ops.method: ops.refunded_amount for ops in summary.payment_summaries.all()}
    assert refunded == {"CardA": D("0"), "CardB": D("50.00"), "CardC": D("0")}


def test_scopes_and_channel_isolation(api, make_api):
    summary = worked_example()
    invoice_id = invoice_via_api(api, summary)
    reader = make_api(scopes=["payments:read"])
    assert reader.get(f"{API}/invoices/{invoice_id}").status_code == 200
    assert (
        reader.post_json(
            f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async", {"invoiceId": invoice_id}
        ).status_code
        == 403
    )
    orders_only = make_api(scopes=["orders:read"])
    assert orders_only.get(f"{API}/invoices/{invoice_id}").status_code == 403

    other_channel = SalesChannel.objects.create(name="Other store")
    storefront = make_api(scopes=["all"], channel=other_channel)
    assert storefront.get(f"{API}/invoices/{invoice_id}").status_code == 404
    assert (
        storefront.post_json(
            f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async", {"invoiceId": invoice_id}
        ).status_code
        == 404
    )
    own = make_api(scopes=["all"], channel=summary.sales_channel)
    assert own.get(f"{API}/invoices/{invoice_id}").status_code == 200
    assert api.get(f"{API}/invoices/not-a-number").status_code == 404


def test_ensure_funds_input_errors(api):
    summary = worked_example()
    other = worked_example()
    other_invoice = invoice_via_api(api, other)
    response = api.post_json(f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async", {"invoiceId": other_invoice})
    assert response.status_code == 400
    assert body_of(response)["errors"][0]["field"] == "invoiceId"
    invoice_id = invoice_via_api(api, summary)
    foreign_ops = other.payment_summaries.get()
    response = api.post_json(
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async",
        {"invoiceId": invoice_id, "sequences": [{"orderPaymentSummaryId": foreign_ops.pk, "amount": 10}]},
    )
    assert response.status_code == 400
    assert body_of(response)["errors"][0]["field"] == "sequences[0].orderPaymentSummaryId"
    assert not BackgroundOperation.objects.exists()


def test_multiple_ensure_funds(api, django_capture_on_commit_callbacks):
    first, second = worked_example(), worked_example()
    entries = [{"orderSummaryId": s.pk, "invoiceId": invoice_via_api(api, s)} for s in (first, second)]
    response = post_and_run(
        api,
        f"{SUMMARIES}/async-actions/multiple-ensure-funds-async",
        {"asyncInputs": entries},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 202
    ids = body_of(response)["backgroundOperationIds"]
    assert len(ids) == 2
    assert [BackgroundOperation.objects.get(pk=pk).status for pk in ids] == ["Complete", "Complete"]
    assert [s.payment_summaries.get().captured_amount for s in (first, second)] == [D("118.80"), D("118.80")]


def test_create_order_payment_summary(api):
    body = worked_example_body(createOrderSummary=False)
    from orders.services.create_summary import create_order_summary  # noqa: F401  (the resource exists)

    ingest(body)
    response = api.post_json(f"{SUMMARIES}", {"orderId": PaymentAuthorization.objects.get().order_id})
    assert response.status_code == 201, response.content
    summary_id = body_of(response)["orderSummaryId"]
    authorization = PaymentAuthorization.objects.get()
    assert authorization.order_payment_summary_id is None
    response = api.post_json(
        f"{API}/order-management/order-payment-summaries",
        {"orderSummaryId": summary_id, "paymentAuthorizationId": authorization.pk},
    )
    assert response.status_code == 201, response.content
    ops = OrderPaymentSummary.objects.get(pk=body_of(response)["orderPaymentSummaryId"])
    assert (ops.method, ops.authorization_amount, ops.captured_amount, ops.available_to_capture_amount) == (
        "Visa",
        D("118.80"),
        D("0"),
        D("118.80"),
    )
    again = api.post_json(
        f"{API}/order-management/order-payment-summaries",
        {"orderSummaryId": summary_id, "paymentAuthorizationId": authorization.pk},
    )
    assert again.status_code == 409
    both = api.post_json(
        f"{API}/order-management/order-payment-summaries",
        {"orderSummaryId": summary_id, "paymentAuthorizationId": authorization.pk, "paymentIds": [1]},
    )
    assert both.status_code == 400
    assert not Payment.objects.exists()


def test_process_exceptions_list_patch_and_retry(api, django_capture_on_commit_callbacks):
    summary = worked_example()
    set_token(summary, "tok_decline")
    invoice_id = invoice_via_api(api, summary)
    post_and_run(
        api,
        f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async",
        {"invoiceId": invoice_id},
        django_capture_on_commit_callbacks,
    )
    listing = body_of(api.get(f"{API}/process-exceptions", {"status": "New", "orderSummaryId": summary.pk}))
    assert len(listing["processExceptions"]) == 1
    exception = listing["processExceptions"][0]
    assert (exception["category"], exception["attachedToType"]) == ("Payment", "BackgroundOperation")
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 1

    paused = api.patch(f"{API}/process-exceptions/{exception['id']}", {"status": "Paused"}, format="json")
    assert paused.status_code == 200
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 0
    assert body_of(api.get(f"{API}/process-exceptions", {"status": "New"}))["processExceptions"] == []
    refused = api.post_json(f"{API}/process-exceptions/{exception['id']}/actions/retry", {})
    assert refused.status_code == 409  # only an active exception is retried
    api.patch(f"{API}/process-exceptions/{exception['id']}", {"status": "Triaged"}, format="json")
    assert (
        api.patch(f"{API}/process-exceptions/{exception['id']}", {"status": "Nope"}, format="json").status_code == 400
    )

    set_token(summary, "tok_visa")
    response = post_and_run(
        api, f"{API}/process-exceptions/{exception['id']}/actions/retry", {}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 202, response.content
    assert BackgroundOperation.objects.get(pk=body_of(response)["backgroundOperationId"]).result["success"] is True
    assert summary.payment_summaries.get().captured_amount == D("118.80")
    assert ProcessException.objects.get(pk=exception["id"]).status == "Resolved"
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 0
