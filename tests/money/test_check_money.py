"""Issue 12, rule 9: `manage.py check_money` reports every order summary that breaks the ledger invariant,
one line per break, and exits non-zero; a summary kept by the services reports nothing.

Each break is written by hand, bypassing the services (as a bug or a hand edit would), on a USD order of
118.80 (A 2 × 40.00, B 1 × 20.00, delivery 10.00, 8 % tax) shipped, invoiced and captured over the API.
"""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from orders.models import Order
from payments.models import CreditMemo, CreditMemoChangeOrder, Invoice, InvoiceChangeOrder, OrderPaymentSummary, Payment
from tests.api.helpers import body_of

from .shop import Shop

pytestmark = pytest.mark.django_db

USD = {"currency": "USD", "items": (("A", 2, "40.00", 8), ("B", 1, "20.00", 8)), "delivery": ("10.00", "0.80")}


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


@pytest.fixture
def shipped(shop):
    summary = shop.order(**USD)
    shop.ship(shop.place(summary, [("A", 2), ("B", 1)]))
    return summary


def report(*ids) -> tuple[str, str | None]:
    out = StringIO()
    try:
        call_command("check_money", *[str(pk) for pk in ids], stdout=out)
    except CommandError as broken:
        return out.getvalue(), str(broken)
    return out.getvalue(), None


def test_a_summary_the_services_kept_reports_nothing(shop, shipped):
    # A return credited and refunded on top: still nothing to report.
    change = shop.return_(shipped, "A", 1)["changeOrderId"]
    memo = body_of(shop.credit_memo(shipped, [change], expect=201))["creditMemoId"]
    shop.ensure_refunds(shipped, {"creditMemoId": memo})
    assert report() == ("Every order summary keeps the money invariant.\n", None)


def test_excess_left_behind_is_reported(shipped):
    # 5.00 more captured than the invoice (unapplied): every row is consistent, the summary is not.
    capture = Payment.objects.get(order_payment_summary__order_summary=shipped, kind="Capture")
    Payment.objects.filter(pk=capture.pk).update(amount=F("amount") + 5, balance=F("balance") + 5)
    OrderPaymentSummary.objects.filter(order_summary=shipped).update(
        authorization_amount=F("authorization_amount") + 5,
        captured_amount=F("captured_amount") + 5,
        balance_amount=F("balance_amount") + 5,
    )
    out, error = report(shipped.pk)
    assert error == "1 order summary breaks the money invariant."
    assert out.splitlines() == [
        f"order summary {shipped.pk}: captured-for-invoices: captures of 123.80 exceed what was invoiced "
        "(118.80) less what was netted (0.00)",
        f"order summary {shipped.pk}: paid-what-shipped: nothing is left to ship and 123.80 is captured net; the "
        "grand total 118.80 and the credit still to refund 0.00 make 118.80",
    ]


def test_an_invoice_paid_by_nothing_and_funds_unaccounted_are_reported(shipped):
    invoice = Invoice.objects.get(order_summary=shipped)
    OrderPaymentSummary.objects.filter(order_summary=shipped).update(balance_amount=D("1.00"))
    Invoice.objects.filter(pk=invoice.pk).update(balance=D("10.00"))
    out, error = report()
    assert error is not None
    lines = out.splitlines()
    assert (
        f"order summary {shipped.pk}: invoice-paid-by-its-records: {invoice.number} shows 108.80 paid; "
        "payments applied 118.80, credit memos netted 0.00" in lines
    )
    assert (
        f"order summary {shipped.pk}: funds-accounted: Visa •••• 4242 holds 118.80 net captured; 1.00 "
        "unapplied and 118.80 applied" in lines
    )


def test_a_reduction_credited_that_was_settled_as_excess_and_settled_twice_are_reported(shop):
    summary = shop.order(**USD)
    canceled = shop.cancel(summary, "B", 1)["changeOrderId"]  # 21.60, before shipping
    order = Order.objects.get(pk=canceled)
    memo = CreditMemo.objects.create(
        order_summary=summary,
        currency="USD",
        number="CM-HAND",
        total_charge_amount=20,
        total_amount=20,
        total_tax_amount=D("1.60"),
        total_amount_with_tax=D("21.60"),
        balance=D("21.60"),
    )
    CreditMemoChangeOrder.objects.create(credit_memo=memo, change_order=order)
    out, error = report(summary.pk)
    assert error == "1 order summary breaks the money invariant."
    assert out.splitlines() == [
        f"order summary {summary.pk}: memo-from-post-fulfillment-reductions: CM-HAND credits change order "
        f"{canceled} (Cancel, -), settled as excess funds",
        f"order summary {summary.pk}: memo-from-post-fulfillment-reductions: credit memos of 21.60 exceed the "
        "post-fulfillment reductions (0.00)",
    ]
    invoice = Invoice.objects.create(
        order_summary=summary,
        currency="USD",
        number="INV-HAND",
        total_charge_amount=1,
        total_amount=1,
        total_amount_with_tax=1,
        balance=1,
    )
    InvoiceChangeOrder.objects.create(invoice=invoice, change_order=order)
    out, _ = report(summary.pk)
    assert (
        f"order summary {summary.pk}: settled-once: change order {canceled} is on a credit memo and on an "
        "invoice" in out.splitlines()
    )
