"""Issue 12: money stays right whatever order the changes come in (Hypothesis stateful).

A random order in JPY, USD or BHD — products and a delivery charge, authorized in full — lives through
random interleavings of cancel (with and without the shipping flag), return, adjust (all three modes),
fulfillment orders created, lines canceled, rejected and fulfilled, invoices (again), ensure funds (again)
and ensure refunds (credit memos and excess), through the services the API and the workers call. As the
automation does, a fulfilled fulfillment order is invoiced and paid, and the settling pass runs after
every step (the hooks that run it in production fire after commit, which this test's savepoint never
reaches).

After every step: the ledger invariant (payments.money_check, rule 9) holds. At the end everything left
is shipped or canceled and every reduction refunded: the customer has paid exactly the grand total of
what shipped, less refunds, and no authorization is left hanging.
"""

from decimal import Decimal as D

import pytest
from django.db import transaction
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
from orders.models import FulfillmentOrder, FulfillmentOrderLineItem, Order, OrderItemSummary, OrderSummary
from orders.money import quantum, round_money
from orders.services.adjust import submit_adjust
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.simple_return import submit_return
from payments.funds import POST_FULFILLMENT_REDUCTION, funds_position
from payments.models import CreditMemo, Invoice, OrderPaymentSummary
from payments.money_check import check_summary
from payments.services.background_operations import run_operation
from payments.services.completion import settle_summary
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order
from payments.services.money_follow_ups import invoice_and_capture
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import address, ingest, order_body
from tests.change_builders import change
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db

CURRENCIES = ("JPY", "USD", "BHD")
RATES = (D("0"), D("8"), D("10"))
MODES = ("Disallowed", "InFulfillment", "PreFulfillment")


@st.composite
def lines(draw, currency):
    unit = quantum(currency)
    drawn = []
    for index in range(draw(st.integers(min_value=1, max_value=2))):
        quantity = draw(st.integers(min_value=1, max_value=3))
        price = unit * draw(st.integers(min_value=100, max_value=20000))
        rate = draw(st.sampled_from(RATES))
        tax = round_money(quantity * price * rate / 100, currency)
        drawn.append(
            {
                "sku": f"P{index}",
                "name": f"Product {index}",
                "quantity": D(quantity),
                "unitPrice": price,
                "taxes": [{"name": "VAT", "rate": rate, "amount": tax}],
                "adjustments": [],
            }
        )
    return drawn


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.summary_id = None

    def teardown(self):
        try:
            if self.summary_id is not None:
                self.finish()
        finally:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

    @initialize(data=st.data(), currency=st.sampled_from(CURRENCIES))
    def order(self, data, currency):
        event(currency)
        unit = quantum(currency)
        group = {
            "referenceId": "g",
            "deliverTo": address(),
            "deliveryMethod": "Ground",
            "items": data.draw(lines(currency)),
        }
        charge = unit * data.draw(st.integers(min_value=0, max_value=1500))
        if charge:
            group["deliveryCharge"] = {"amount": charge, "taxes": []}
        self.currency = currency
        summary = ingest(order_body(currency=currency, groups=[group]))
        self.summary_id = summary.pk
        self.location = make_location(f"WH-{summary.pk}")
        stock(self.location.external_reference, P0=100, P1=100)

    # --- reading -----------------------------------------------------------------------------------

    @property
    def summary(self) -> OrderSummary:
        return OrderSummary.objects.get(pk=self.summary_id)

    def products(self, room=None):
        items = OrderItemSummary.objects.filter(order_summary_id=self.summary_id, type="Order Product").order_by("id")
        return [ois for ois in items if room is None or room(ois) > 0]

    def open_orders(self):
        return list(
            FulfillmentOrder.objects.filter(order_summary_id=self.summary_id)
            .exclude(status_category__in=["CLOSED", "CANCELLED", "REJECTED"])
            .order_by("id")
        )

    def attempt(self, name, action):
        """A refusal by the rules is a fine outcome; it must write nothing."""
        try:
            with transaction.atomic():
                result = action()
        except ServiceError as refused:
            event(f"{name} refused: {refused.code}")
            return None
        event(f"{name} done")
        return result

    def settle(self):
        settle_summary(self.summary_id)

    def run(self, submit):
        operation = self.attempt("operation", submit)
        if operation is not None:
            run_operation(operation.pk)

    # --- fulfillment -------------------------------------------------------------------------------

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def create_fulfillment_order(self, data):
        candidates = self.products(lambda ois: ois.quantity_available_to_fulfill)
        if not candidates:
            return
        ois = data.draw(st.sampled_from(candidates))
        quantity = data.draw(st.integers(min_value=1, max_value=int(ois.quantity_available_to_fulfill)))
        self.attempt("place", lambda: place(self.summary, (self.location, [(ois, quantity)])))

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def fulfil(self, data):
        """Shipped: as the automation does, invoiced, paid, and the settling pass run."""
        orders = self.open_orders()
        if orders:
            fulfillment_order = data.draw(st.sampled_from(orders))
            if self.attempt("fulfil", lambda: change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")):
                invoice_and_capture(fulfillment_order.pk, self.summary_id)

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def reject(self, data):
        orders = self.open_orders()
        if orders:
            fulfillment_order = data.draw(st.sampled_from(orders))
            self.attempt("reject", lambda: change_fulfillment_order_status(fulfillment_order.pk, "Rejected"))
            self.settle()

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def cancel_line(self, data):
        # Delivery-charge lines too: the charge goes back to its group and onto the next fulfillment order,
        # or the cancel is refused (issue 12 point 4).
        lines_ = list(
            FulfillmentOrderLineItem.objects.filter(fulfillment_order__in=self.open_orders(), quantity__gt=0).order_by(
                "id"
            )
        )
        if lines_:
            line = data.draw(st.sampled_from(lines_))
            quantity = data.draw(st.integers(min_value=1, max_value=int(line.quantity)))
            self.attempt(
                "cancel line",
                lambda: cancel_fulfillment_order_items(line.fulfillment_order_id, [LineToCancel(line.pk, D(quantity))]),
            )
            self.settle()

    # --- changes -------------------------------------------------------------------------------------

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def cancel(self, data):
        candidates = self.products(lambda ois: ois.quantity_available_to_cancel)
        if not candidates:
            return
        ois = data.draw(st.sampled_from(candidates))
        quantity = data.draw(st.integers(min_value=1, max_value=int(ois.quantity_available_to_cancel)))
        # With or without the shipping flag: the group's last units take its delivery charge with them.
        shipping = data.draw(st.booleans())
        self.attempt(
            "cancel", lambda: submit_cancel(self.summary_id, [change(ois.pk, quantity, shipping=shipping)], actor=None)
        )
        self.settle()

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def return_(self, data):
        candidates = self.products(lambda ois: ois.quantity_available_to_return)
        if candidates:
            ois = data.draw(st.sampled_from(candidates))
            quantity = data.draw(st.integers(min_value=1, max_value=int(ois.quantity_available_to_return)))
            self.attempt("return", lambda: submit_return(self.summary_id, [change(ois.pk, quantity)], actor=None))
            self.settle()

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data(), mode=st.sampled_from(MODES))
    def adjust(self, data, mode):
        candidates = [ois for ois in self.products() if ois.quantity > 0 and ois.total_price > 0]
        if not candidates:
            return
        ois = data.draw(st.sampled_from(candidates))
        units = max(1, int(ois.total_price / 3 / quantum(self.currency)))
        amount = -quantum(self.currency) * data.draw(st.integers(min_value=1, max_value=units))
        request = AdjustInput((AdjustItemInput(ois.pk, "AmountWithoutTax", amount, "Goodwill", "random"),), mode)
        event(f"adjust {mode}")
        self.attempt("adjust", lambda: submit_adjust(self.summary_id, request, actor=None))
        self.settle()

    # --- money ---------------------------------------------------------------------------------------

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def invoice_again(self, data):
        """A client asks for the invoice of a fulfillment order: shipped ones only, and once."""
        orders = list(FulfillmentOrder.objects.filter(order_summary_id=self.summary_id).order_by("id"))
        if orders:
            fulfillment_order = data.draw(st.sampled_from(orders))
            before = Invoice.objects.filter(order_summary_id=self.summary_id).count()
            invoice = self.attempt("invoice", lambda: create_invoice_for_fulfillment_order(fulfillment_order.pk))
            if fulfillment_order.status_category != "CLOSED":
                assert invoice is None
            after = Invoice.objects.filter(order_summary_id=self.summary_id).count()
            assert after == before or (invoice is not None and after == before + 1)

    @precondition(lambda self: self.summary_id is not None)
    @rule(data=st.data())
    def ensure_funds(self, data):
        invoices = list(Invoice.objects.filter(order_summary_id=self.summary_id).order_by("id"))
        if invoices:
            invoice = data.draw(st.sampled_from(invoices))
            self.run(lambda: submit_ensure_funds(self.summary_id, EnsureFundsInput(invoice_id=invoice.pk)))
            self.settle()

    @precondition(lambda self: self.summary_id is not None)
    @rule()
    def credit_and_refund(self):
        """The post-fulfillment reductions not yet credited, on a memo, then refunded (what is left of it)."""
        waiting = list(
            Order.objects.filter(
                POST_FULFILLMENT_REDUCTION,
                order_summary_id=self.summary_id,
                credit_memo_link__isnull=True,
                grand_total_amount__lt=0,
            ).values_list("pk", flat=True)
        )
        if waiting:
            memo = self.attempt("credit memo", lambda: create_credit_memo(self.summary_id, waiting))
            if memo is not None and CreditMemo.objects.get(pk=memo.pk).balance > 0:
                self.run(lambda: submit_ensure_refunds(self.summary_id, EnsureRefundsInput(credit_memo_id=memo.pk)))
        self.settle()

    @precondition(lambda self: self.summary_id is not None)
    @rule()
    def refund_excess(self):
        excess = funds_position(self.summary).total_excess_funds_amount
        if excess > 0:
            self.run(lambda: submit_ensure_refunds(self.summary_id, EnsureRefundsInput(excess_funds_amount=excess)))
        self.settle()

    # --- what always holds -----------------------------------------------------------------------------

    @invariant()
    def ledger_holds(self):
        if self.summary_id is not None:
            assert check_summary(self.summary) == []

    def finish(self):
        """Everything left ships (or, placed nowhere, is canceled); every reduction is refunded."""
        for _ in range(5):
            for fulfillment_order in self.open_orders():
                change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")
                invoice_and_capture(fulfillment_order.pk, self.summary_id)
            left = self.products(lambda ois: ois.quantity_available_to_fulfill)
            if not left:
                break
            for ois in left:
                place(self.summary, (self.location, [(ois, ois.quantity_available_to_fulfill)]))
        self.credit_and_refund()
        self.refund_excess()
        summary = self.summary
        assert check_summary(summary) == []
        position = funds_position(summary)
        # Paid exactly the grand total of what shipped, less what came back; nothing owed either way.
        assert position.outstanding_credit == 0
        assert position.net_captured == summary.grand_total_amount, (position, summary.grand_total_amount)
        assert not Invoice.objects.filter(order_summary=summary, balance__gt=0).exists()
        for ops in OrderPaymentSummary.objects.filter(order_summary=summary):
            # Nothing left hanging: all of the authorization is captured or released.
            assert ops.available_to_capture_amount == 0, ops.__dict__


def test_random_interleavings_keep_the_money_right():
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
