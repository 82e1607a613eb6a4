"""DOMAIN.md §6 "Fulfil all, invoice, pay, return 1 × A": from ingest to refund, every OPS field checked."""

from decimal import Decimal as D

import pytest

from orders.models import OrderSummary
from payments.funds import funds_position
from payments.models import (
    GatewayLogStatus,
    OperationStatus,
    Payment,
    PaymentAppliedToInvoice,
    PaymentGatewayLog,
    SandboxTransaction,
)
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything, ops_fields, return_one_a, run

pytestmark = pytest.mark.django_db


def test_worked_example_from_ingest_to_refund():
    summary = worked_example()
    ops = summary.payment_summaries.get()
    assert ops_fields(ops) == {
        "authorized": D("118.80"),
        "captured": D("0"),
        "refunded": D("0"),
        "pendingCapture": D("0"),
        "pendingRefund": D("0"),
        "balance": D("0"),
        "availableToCapture": D("118.80"),
        "availableToRefund": D("0"),
    }

    invoice = invoice_everything(summary)
    # 80.00 + 20.00 + 10.00 = 110.00; tax 6.40 + 1.60 + 0.80 = 8.80; 118.80 owed.
    assert (invoice.total_amount, invoice.total_tax_amount, invoice.total_amount_with_tax, invoice.balance) == (
        D("110.00"),
        D("8.80"),
        D("118.80"),
        D("118.80"),
    )
    assert invoice.number == f"INV-{invoice.pk:06d}"
    assert invoice.lines.count() == 3

    operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    assert operation.status == OperationStatus.COMPLETE
    assert operation.result["success"] is True
    invoice.refresh_from_db()
    assert invoice.balance == D("0")
    # Nothing was captured before, so the whole 118.80 is captured and applied.
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
    capture = Payment.objects.get(order_payment_summary=ops, kind="Capture")
    assert (capture.amount, capture.balance, capture.status, capture.idempotency_key) == (
        D("118.80"),
        D("0"),
        "Processed",
        f"capture:{capture.pk}",
    )
    log = PaymentGatewayLog.objects.get(payment=capture)
    assert (log.interaction_type, log.status, log.result_code, log.idempotency_key) == (
        "Capture",
        GatewayLogStatus.SUCCESS,
        "Success",
        capture.idempotency_key,
    )
    assert "4242" not in str(log.request_body)  # the last four digits are not even sent; only the token

    return_one_a(summary)
    summary = OrderSummary.objects.get(pk=summary.pk)
    # Return 40.00 + 3.20: grand total 118.80 − 43.20 = 75.60; credit 43.20 owed, nothing in excess.
    position = funds_position(summary)
    assert (position.outstanding_credit, position.total_excess_funds_amount, position.total_refundable_amount) == (
        D("43.20"),
        D("0"),
        D("43.20"),
    )

    memo = create_credit_memo(summary.pk, [summary.change_orders.get().pk])
    assert (memo.total_charge_amount, memo.total_tax_amount, memo.total_amount_with_tax, memo.balance) == (
        D("40.00"),
        D("3.20"),
        D("43.20"),
        D("43.20"),
    )
    assert memo.number == f"CM-{memo.pk:06d}"
    # Once on a memo, the credit is counted through the memo's balance, not twice.
    assert funds_position(summary).outstanding_credit == D("43.20")

    operation = run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
    assert operation.status == OperationStatus.COMPLETE and operation.result["success"] is True
    memo.refresh_from_db()
    assert memo.balance == D("0")
    # 118.80 captured − 43.20 refunded = 75.60 still applied to the invoice; no unapplied balance.
    assert ops_fields(ops) == {
        "authorized": D("118.80"),
        "captured": D("118.80"),
        "refunded": D("43.20"),
        "pendingCapture": D("0"),
        "pendingRefund": D("0"),
        "balance": D("0"),
        "availableToCapture": D("0"),
        "availableToRefund": D("75.60"),
    }
    applied = sum(a.amount for a in PaymentAppliedToInvoice.objects.filter(invoice=invoice))
    assert applied == D("75.60")  # 118.80 applied − 43.20 unapplied
    position = funds_position(summary)
    assert (position.outstanding_credit, position.total_excess_funds_amount, position.total_refundable_amount) == (
        D("0"),
        D("0"),
        D("0"),
    )
    # The sandbox moved money twice in all: one capture, one refund.
    assert list(SandboxTransaction.objects.values_list("interaction_type", "amount")) == [
        ("Capture", D("118.80")),
        ("ReferencedRefund", D("43.20")),
    ]
