"""Issue 7, case 6: money properties over random lives of an order (Hypothesis stateful).

An order in JPY (0 decimals), USD (2) or BHD (3) goes through random sequences of shipping, capture,
cancel, return, discount, refund of the excess, and gateway timeouts (with reconciliation) — through
the same services the API and the workers call. After every step: for every payment summary
captured ≤ authorized and refunded ≤ captured, every captured cent is applied, unapplied or refunded,
the summary is the sum of its lines, and no amount anywhere has more decimals than its currency; at
the end, every line's figures are its original plus its change orders, to the cent.
"""

from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from orders.calculations.inputs import AdjustInput, AdjustItemInput
from orders.errors import ServiceError
from orders.models import OrderItemSummary, OrderSummary
from orders.money import is_rounded, quantum, round_money
from orders.rollups import compute_rollups
from orders.services.adjust import submit_adjust
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.simple_return import submit_return
from payments.funds import funds_position
from payments.models import CreditMemo, Invoice, Payment, PaymentAppliedToInvoice, Refund
from payments.services.background_operations import run_operation
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order
from payments.services.movements import pending_movements, reconcile_movement
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import address, ingest, order_body
from tests.change_builders import assert_rebuilds, change
from tests.fulfillment.helpers import make_location, place, stock
from tests.payments.money_builders import set_token
from tests.reliability.helpers import assert_ledger_balanced

pytestmark = pytest.mark.django_db

CURRENCIES = ("JPY", "USD", "BHD")
RATES = (D("0"), D("5"), D("10"), D("8.875"))


@st.composite
def lines(draw, currency):
    """Product lines priced in whole minor units of the currency, each taxed at a rate."""
    unit = quantum(currency)
    drawn = []
    for index in range(draw(st.integers(min_value=1, max_value=2))):
        quantity = draw(st.integers(min_value=1, max_value=4))
        price = unit * draw(st.integers(min_value=1, max_value=20000))
        rate = draw(st.sampled_from(RATES))
        tax = round_money(quantity * price * rate / 100, currency)
        drawn.append(
            {
                "sku": f"P{index}",
                "name": f"Product {index} — ünïcode",
                "quantity": D(quantity),
                "unitPrice": price,
                "taxes": [{"name": "VAT", "rate": rate, "amount": tax}],
                "adjustments": [],
            }
        )
    return drawn


def to_cancel(ois):
    return ois.quantity_ordered - ois.quantity_canceled - ois.quantity_allocated


def to_return(ois):
    return ois.quantity_fulfilled - ois.quantity_return_initiated


class OrderMoney(RuleBasedStateMachine):
    """One order per example, written in a savepoint that is rolled back when the example ends."""

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.summary_id = None

    def teardown(self):
        try:
            if self.summary_id is not None:
                # Every line is still its original plus its change orders, to the cent (checked once at
                # the end: a line that drifted stays drifted, and this is the costly check).
                assert_rebuilds(self.summary)
        finally:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

    # --- the order -------------------------------------------------------------------------------

    @initialize(data=st.data(), currency=st.sampled_from(CURRENCIES))
    def order(self, data, currency):
        event(currency)
        unit = quantum(currency)
        charge = unit * data.draw(st.integers(min_value=0, max_value=1500))
        group = {
            "referenceId": "g",
            "deliverTo": address(),
            "deliveryMethod": "Ground",
            "items": data.draw(lines(currency)),
        }
        if charge:
            group["deliveryCharge"] = {"amount": charge, "taxes": []}
        self.currency = currency
        summary = ingest(order_body(currency=currency, groups=[group]))
        self.summary_id = summary.pk
        self.location = make_location(f"WH-{summary.pk}")
        stock(self.location.external_reference, P0=100, P1=100)

    @property
    def summary(self) -> OrderSummary:
        return OrderSummary.objects.get(pk=self.summary_id)

    def products(self, room=None):
        items = OrderItemSummary.objects.filter(order_summary_id=self.summary_id, type="Order Product").order_by("id")
        return [ois for ois in items if room is None or room(ois) > 0]

    def attempt(self, name, action):
        """Run one business action; a refusal by the rules is a fine outcome, it must write nothing."""
        try:
            with transaction.atomic():
                result = action()
        except ServiceError as refused:
            event(f"{name} refused: {refused.code}")
            return None
        event(f"{name} done")
        return result

    def refund(self, change_order_ids):
        """What the automation does after a return or a discount after shipping: a memo, then its refund."""
        summary_id = self.summary_id
        memo = self.attempt("credit memo", lambda: create_credit_memo(summary_id, change_order_ids))
        if memo is not None:
            operation = self.attempt(
                "ensure refunds", lambda: submit_ensure_refunds(summary_id, EnsureRefundsInput(credit_memo_id=memo.pk))
            )
            if operation is not None:
                run_operation(operation.pk)

    # --- the rules -------------------------------------------------------------------------------

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def ship(self, data):
        """Units shipped: as the automation does, the fulfillment order is invoiced and the invoice paid."""
        candidates = self.products(to_cancel)
        if not candidates:
            return
        ois = data.draw(st.sampled_from(candidates))
        quantity = data.draw(st.integers(min_value=1, max_value=int(to_cancel(ois))))
        (fulfillment_order,) = place(self.summary, (self.location, [(ois, quantity)]))
        change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")
        # Nothing to bill when discounts took the whole price: refused, as the automation would be.
        invoice = self.attempt("invoice", lambda: create_invoice_for_fulfillment_order(fulfillment_order.pk))
        if invoice is not None:
            self.pay(invoice)

    def pay(self, invoice):
        operation = self.attempt(
            "ensure funds", lambda: submit_ensure_funds(self.summary_id, EnsureFundsInput(invoice_id=invoice.pk))
        )
        if operation is not None:
            run_operation(operation.pk)
            event(f"capture: {'paid' if Invoice.objects.get(pk=invoice.pk).balance == 0 else 'unpaid'}")

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def capture_again(self, data):
        """An invoice left unpaid (a decline, a timeout) is tried again."""
        unpaid = list(Invoice.objects.filter(order_summary_id=self.summary_id, balance__gt=0).order_by("id"))
        if unpaid:
            self.pay(data.draw(st.sampled_from(unpaid)))

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def cancel(self, data):
        candidates = self.products(to_cancel)
        if candidates:
            ois = data.draw(st.sampled_from(candidates))
            quantity = data.draw(st.integers(min_value=1, max_value=int(to_cancel(ois))))
            self.attempt(
                "cancel",
                lambda: submit_cancel(
                    self.summary_id, [change(ois.pk, quantity, shipping=data.draw(st.booleans()))], actor=None
                ),
            )

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def return_and_refund(self, data):
        candidates = self.products(to_return)
        if candidates:
            ois = data.draw(st.sampled_from(candidates))
            quantity = data.draw(st.integers(min_value=1, max_value=int(to_return(ois))))
            result = self.attempt(
                "return", lambda: submit_return(self.summary_id, [change(ois.pk, quantity)], actor=None)
            )
            if result is not None:
                self.refund([result.change_order_id])

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def discount(self, data):
        candidates = [ois for ois in self.products() if ois.quantity > 0 and ois.total_price > 0]
        if not candidates:
            return
        ois = data.draw(st.sampled_from(candidates))
        # Up to half the item's current price, in whole minor units.
        units = max(1, int(ois.total_price / 2 / quantum(self.currency)))
        amount = -quantum(self.currency) * data.draw(st.integers(min_value=1, max_value=units))
        mode = data.draw(st.sampled_from(("Disallowed", "InFulfillment", "PreFulfillment")))
        request = AdjustInput((AdjustItemInput(ois.pk, "AmountWithoutTax", amount, "Goodwill", "random"),), mode)
        result = self.attempt("discount", lambda: submit_adjust(self.summary_id, request, actor=None))
        post = result.change_order_for_phase("Post") if result is not None else None
        if post:
            self.refund([post])

    @precondition(lambda self: self.summary_id is not None)
    @rule()
    def refund_excess(self):
        excess = funds_position(self.summary).total_excess_funds_amount
        if excess > 0:
            operation = self.attempt(
                "refund excess",
                lambda: submit_ensure_refunds(self.summary_id, EnsureRefundsInput(excess_funds_amount=excess)),
            )
            if operation is not None:
                run_operation(operation.pk)

    @precondition(lambda self: self.summary_id is not None)
    @rule(token=st.sampled_from(("tok_timeout", "tok_visa", "tok_decline")))
    def gateway_behaves(self, token):
        """From now on the card's provider times out (then settles on reconciliation), answers, or declines."""
        set_token(self.summary, token)

    @precondition(lambda self: self.summary_id is not None)
    @rule()
    def reconcile(self):
        for kind, pk in pending_movements(timezone.now().replace(year=2100)):
            reconcile_movement(kind, pk)

    # --- what always holds -----------------------------------------------------------------------

    @invariant()
    def money_holds(self):
        if self.summary_id is None:
            return
        summary = self.summary
        assert_ledger_balanced(summary)
        items = list(summary.item_summaries.all())
        rolled = compute_rollups(items, summary.tax_locale_type)
        assert summary.grand_total_amount == rolled["grand_total_amount"], (summary.grand_total_amount, rolled)
        amounts = [summary.grand_total_amount, summary.total_amount, summary.total_tax_amount]
        for ois in items:
            amounts += [
                ois.total_line_amount,
                ois.total_line_tax_amount,
                ois.total_adjustment_amount,
                ois.total_adjustment_tax_amount,
            ]
        for ops in summary.payment_summaries.all():
            amounts += [
                ops.captured_amount,
                ops.refunded_amount,
                ops.pending_capture_amount,
                ops.pending_refund_amount,
                ops.balance_amount,
            ]
        for model, fields in (
            (Invoice, ("total_amount_with_tax", "balance")),
            (CreditMemo, ("total_amount_with_tax", "balance")),
        ):
            for row in model.objects.filter(order_summary=summary).values_list(*fields):
                amounts += list(row)
        amounts += list(
            Payment.objects.filter(order_payment_summary__order_summary=summary).values_list("amount", flat=True)
        )
        amounts += list(
            Refund.objects.filter(order_payment_summary__order_summary=summary).values_list("amount", flat=True)
        )
        amounts += list(
            PaymentAppliedToInvoice.objects.filter(invoice__order_summary=summary).values_list("amount", flat=True)
        )
        too_precise = [amount for amount in amounts if not is_rounded(amount, self.currency)]
        assert too_precise == [], f"{self.currency}: {too_precise}"


def test_random_lives_of_an_order_keep_every_cent():
    run_state_machine_as_test(
        OrderMoney,
        settings=settings(
            max_examples=200,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
