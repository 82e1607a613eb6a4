"""Property: after any sequence of captures, refunds, cancels and returns (with declines and timeouts
on the way), for every payment summary authorized ≥ captured ≥ refunded ≥ 0, and captured − refunded
(− refunds still pending) = what its payments have applied to invoices + its unapplied balance."""

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from orders.models import ChangeType, FulfillmentPhase, OrderSummary
from orders.models.fields import MoneySum
from payments.funds import funds_position
from payments.models import Invoice, OrderPaymentSummary, Payment, PaymentAppliedToInvoice
from payments.services.background_operations import run_operation
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.movements import pending_movements, reconcile_movement
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import worked_example
from tests.payments.money_builders import add_payment_method, change_order, invoice_everything, set_token

STEPS = st.lists(
    st.sampled_from(["pay", "cancel_b", "return_a", "refund_excess", "decline", "timeout", "heal", "reconcile"]),
    min_size=1,
    max_size=7,
)


def check_invariants(summary: OrderSummary) -> None:
    for ops in OrderPaymentSummary.objects.filter(order_summary=summary):
        assert ops.authorization_amount >= ops.captured_amount + ops.pending_capture_amount
        assert ops.captured_amount >= ops.refunded_amount + ops.pending_refund_amount
        assert ops.refunded_amount >= 0 and ops.balance_amount >= 0
        payments = Payment.objects.filter(order_payment_summary=ops)
        applied = PaymentAppliedToInvoice.objects.filter(payment__in=payments).aggregate(t=MoneySum("amount"))["t"] or 0
        balances = payments.aggregate(t=MoneySum("balance"))["t"] or 0
        assert ops.balance_amount == balances
        assert ops.captured_amount - ops.refunded_amount - ops.pending_refund_amount == applied + ops.balance_amount
    for invoice in Invoice.objects.filter(order_summary=summary):
        paid = invoice.applications.filter(type="Applied").aggregate(t=MoneySum("amount"))["t"] or 0
        assert invoice.balance == invoice.total_amount_with_tax - paid
        assert 0 <= invoice.balance <= invoice.total_amount_with_tax


class MoneyInvariants(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=STEPS)
    def test_any_sequence_keeps_the_ledger_balanced(self, steps):
        summary = worked_example()
        add_payment_method(summary, "GiftCard", "30.00", token="tok_mastercard", captured=True)
        invoice = None
        returned = 0
        canceled = False
        for step in steps:
            summary = OrderSummary.objects.get(pk=summary.pk)
            if step == "pay":
                invoice = invoice or invoice_everything(summary)
                run_operation(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)).pk)
            elif step == "cancel_b" and not canceled and invoice is None:
                change_order(summary, ChangeType.CANCEL, [("B", "-1", "-20.00", "-1.60")])
                canceled = True
            elif step == "return_a" and invoice is not None and returned < 2:
                change = change_order(
                    summary, ChangeType.RETURN, [("A", "-1", "-40.00", "-3.20")], phase=FulfillmentPhase.POST
                )
                returned += 1
                memo = create_credit_memo(summary.pk, [change.pk])
                run_operation(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)).pk)
            elif step == "refund_excess":
                excess = funds_position(summary).total_excess_funds_amount
                if excess > 0:
                    run_operation(submit_ensure_refunds(summary.pk, EnsureRefundsInput(excess_funds_amount=excess)).pk)
            elif step in ("decline", "timeout", "heal"):
                token = {"decline": "tok_decline", "timeout": "tok_timeout", "heal": "tok_visa"}[step]
                set_token(summary, token)
            elif step == "reconcile":
                for kind, pk in pending_movements(older_than=summary.created_at.replace(year=2100)):
                    reconcile_movement(kind, pk)
            check_invariants(summary)
        position = funds_position(OrderSummary.objects.get(pk=summary.pk))
        assert position.total_excess_funds_amount >= D("0")
