"""Sandbox gateway outcomes through ensure funds and ensure refunds: decline, timeout then
reconciliation, permanent failure; each logged before and after, under one stable key."""

from decimal import Decimal as D

import pytest

from orders.models import OrderSummary, ProcessException
from payments.gateway import GatewayOutcome, GatewayRequest
from payments.gateway.sandbox import SandboxGateway
from payments.models import (
    BackgroundOperation,
    CreditMemo,
    GatewayLogStatus,
    InteractionType,
    Payment,
    PaymentGatewayLog,
    Refund,
    SandboxTransaction,
)
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.movements import CAPTURE, REFUND, pending_movements, reconcile_movement
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything, ops_fields, return_one_a, run, set_token

pytestmark = pytest.mark.django_db


def request(token, key="k-1", kind=InteractionType.CAPTURE):
    return GatewayRequest(kind, key, D("10.00"), "USD", token=token)


def test_sandbox_tokens():
    gateway = SandboxGateway()
    assert gateway.capture(request("tok_visa", "a")).outcome is GatewayOutcome.SUCCESS
    assert gateway.capture(request("tok_mastercard", "b")).outcome is GatewayOutcome.SUCCESS
    declined = gateway.capture(request("tok_decline", "c"))
    assert (declined.outcome, declined.result_code) == (GatewayOutcome.DECLINED, "Decline")
    failed = gateway.refund(request("tok_error", "d", InteractionType.REFERENCED_REFUND))
    assert (failed.outcome, failed.result_code) == (GatewayOutcome.FAILED, "PermanentFail")
    assert gateway.capture(request("tok_unknown", "e")).result_code == "ValidationError"


def test_sandbox_timeout_once_then_success_under_the_same_key():
    gateway = SandboxGateway()
    first = gateway.capture(request("tok_timeout", "t-1"))
    assert (first.outcome, first.result_code) == (GatewayOutcome.TIMEOUT, "Indeterminate")
    looked_up = gateway.lookup(InteractionType.CAPTURE, "t-1")
    assert looked_up.outcome is GatewayOutcome.SUCCESS
    again = gateway.capture(request("tok_timeout", "t-1"))
    assert (again.outcome, again.reference) == (GatewayOutcome.SUCCESS, looked_up.reference)
    assert SandboxTransaction.objects.filter(idempotency_key="t-1").count() == 1
    assert gateway.lookup(InteractionType.CAPTURE, "never-sent").outcome is GatewayOutcome.UNKNOWN


def test_sandbox_repeated_key_moves_money_once():
    gateway = SandboxGateway()
    first = gateway.capture(request("tok_visa", "same"))
    second = gateway.capture(request("tok_visa", "same"))
    assert first.reference == second.reference
    assert SandboxTransaction.objects.count() == 1


def invoiced_example(token):
    summary = worked_example()
    set_token(summary, token)
    return summary, invoice_everything(summary)


def test_capture_declined_raises_a_payment_exception_and_the_operation_completes():
    summary, invoice = invoiced_example("tok_decline")
    operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    assert operation.status == "Complete"
    assert operation.result["success"] is False
    ops = summary.payment_summaries.get()
    # The reservation of 118.80 is released; nothing captured.
    assert ops_fields(ops)["captured"] == D("0")
    assert ops_fields(ops)["pendingCapture"] == D("0")
    assert ops_fields(ops)["availableToCapture"] == D("118.80")
    invoice.refresh_from_db()
    assert invoice.balance == D("118.80")
    capture = Payment.objects.get(order_payment_summary=ops, kind="Capture")
    assert capture.status == "Failed"
    log = PaymentGatewayLog.objects.get(payment=capture)
    assert (log.status, log.result_code) == (GatewayLogStatus.FAILED, "Decline")
    exception = ProcessException.objects.get(order_summary=summary)
    assert (exception.category, exception.status, exception.attached_to) == ("Payment", "New", operation)
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 1


def test_capture_permanent_failure():
    summary, invoice = invoiced_example("tok_error")
    operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    assert operation.status == "Complete" and operation.result["success"] is False
    log = PaymentGatewayLog.objects.get(interaction_type="Capture")
    assert (log.status, log.result_code) == (GatewayLogStatus.FAILED, "PermanentFail")
    assert ProcessException.objects.filter(order_summary=summary, category="Payment").count() == 1


def test_capture_timeout_stays_pending_then_reconciliation_captures_under_the_same_key():
    summary, invoice = invoiced_example("tok_timeout")
    ops = summary.payment_summaries.get()
    operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    assert operation.status == "Complete"
    assert operation.result["pendingCount"] == 1
    capture = Payment.objects.get(order_payment_summary=ops, kind="Capture")
    assert capture.status == "Pending"
    assert ops_fields(ops)["pendingCapture"] == D("118.80")
    assert ops_fields(ops)["captured"] == D("0")
    log = PaymentGatewayLog.objects.get(payment=capture)
    assert (log.status, log.result_code) == (GatewayLogStatus.TIMEOUT, "Indeterminate")

    # A second ensure funds for the same invoice sees the pending capture: nothing more to take.
    again = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    assert again.result["amountDue"] == "0.00"
    assert Payment.objects.filter(kind="Capture").count() == 1

    assert pending_movements(older_than=capture.created_at.replace(year=2100)) == [(CAPTURE, capture.pk)]
    reconcile_movement(CAPTURE, capture.pk)
    capture.refresh_from_db()
    assert (capture.status, capture.balance) == ("Processed", D("0"))
    invoice.refresh_from_db()
    assert invoice.balance == D("0")
    assert ops_fields(ops)["captured"] == D("118.80")
    assert ops_fields(ops)["pendingCapture"] == D("0")
    logs = list(PaymentGatewayLog.objects.filter(payment=capture).order_by("id"))
    assert [(lg.is_reconciliation, lg.status) for lg in logs] == [(False, "Timeout"), (True, "Success")]
    assert {lg.idempotency_key for lg in logs} == {f"capture:{capture.pk}"}
    assert SandboxTransaction.objects.count() == 1
    assert not ProcessException.objects.filter(order_summary=summary).exists()


def paid_and_returned(refund_token):
    summary, invoice = invoiced_example("tok_visa")
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    set_token(summary, refund_token)
    change = return_one_a(summary)
    summary = OrderSummary.objects.get(pk=summary.pk)
    return summary, create_credit_memo(summary.pk, [change.pk])


def test_refund_declined_gives_the_reservation_back():
    summary, memo = paid_and_returned("tok_decline")
    ops = summary.payment_summaries.get()
    operation = run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
    assert operation.status == "Complete" and operation.result["success"] is False
    memo.refresh_from_db()
    assert memo.balance == D("43.20")
    assert ops_fields(ops) == {
        "authorized": D("118.80"),
        "captured": D("118.80"),
        "refunded": D("0"),
        "pendingCapture": D("0"),
        "pendingRefund": D("0"),
        "balance": D("0"),
        "availableToCapture": D("0"),
        "availableToRefund": D("118.80"),
    }
    # The unapplication made for the refund is gone with it: the invoice keeps its 118.80 applied.
    assert sum(a.amount for a in memo.order_summary.invoices.get().applications.all()) == D("118.80")
    assert Refund.objects.get().status == "Failed"
    assert ProcessException.objects.filter(order_summary=summary, category="Payment").count() == 1


def test_refund_permanent_failure_then_retry_after_the_card_is_fixed():
    summary, memo = paid_and_returned("tok_error")
    operation = run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
    exception = ProcessException.objects.get(order_summary=summary)
    set_token(summary, "tok_visa")
    from payments.services.operation_retry import retry_payment_exception

    retried = run(retry_payment_exception(exception.pk))
    assert retried.retry_of == operation
    assert retried.result["success"] is True
    memo.refresh_from_db()
    assert memo.balance == D("0")
    assert ops_fields(summary.payment_summaries.get())["refunded"] == D("43.20")
    exception.refresh_from_db()
    assert exception.status == "Resolved"
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 0


def test_refund_timeout_then_reconciliation():
    summary, memo = paid_and_returned("tok_timeout")
    ops = summary.payment_summaries.get()
    run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
    refund = Refund.objects.get()
    assert refund.status == "Pending"
    assert (ops_fields(ops)["pendingRefund"], ops_fields(ops)["refunded"]) == (D("43.20"), D("0"))
    # Pending refunds count against the funds position: nothing is refundable twice meanwhile.
    memo.refresh_from_db()
    assert memo.balance == D("0")
    reconcile_movement(REFUND, refund.pk)
    refund.refresh_from_db()
    assert refund.status == "Processed"
    assert (ops_fields(ops)["pendingRefund"], ops_fields(ops)["refunded"]) == (D("0"), D("43.20"))
    assert SandboxTransaction.objects.filter(interaction_type="ReferencedRefund").count() == 1


def test_operation_refused_when_funds_are_insufficient():
    summary, invoice = invoiced_example("tok_visa")
    # Authorization 118.80 − 100.00 reversed leaves 18.80 to capture for an invoice of 118.80.
    summary.payment_summaries.update(authorization_reversal_amount=D("100.00"))
    operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    assert operation.status == "Complete"
    assert operation.result["success"] is False
    assert operation.result["errors"][0]["errorCode"] == "INVALID_STATE"
    assert not Payment.objects.filter(kind="Capture").exists()
    assert ProcessException.objects.get(order_summary=summary).attached_to == operation
    assert BackgroundOperation.objects.count() == 1
    assert not CreditMemo.objects.exists()


def test_refunding_a_settled_memo_again_changes_nothing():
    summary, memo = paid_and_returned("tok_visa")
    run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
    again = run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
    assert (again.status, again.result["success"], again.result["refundAmount"]) == ("Complete", True, "0.00")
    assert Refund.objects.count() == 1
    assert not ProcessException.objects.filter(order_summary=summary).exists()
