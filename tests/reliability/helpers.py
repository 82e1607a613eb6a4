"""Threads started together, API calls from them, and the checks every reliability test repeats."""

import json
import threading
import traceback
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from rest_framework.test import APIClient

from orders.models import OrderSummary
from payments.models import CreditMemoAppliedToInvoice, Invoice, OrderPaymentSummary, Payment, PaymentAppliedToInvoice

API = "/api/v1/commerce"
SUMMARIES = f"{API}/order-management/order-summaries"


def run_together(work: Callable[[int], object], count: int, *, timeout: float = 120) -> list:
    """Call work(0) … work(count - 1) in as many threads released at the same moment by a barrier.

    Returns what each call returned, or the exception it raised; a thread that never finished leaves
    None. Each thread closes its own database connection when done.
    """
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=60)
            outcomes[index] = work(index)
        except Exception as error:  # the test asserts on it; a thread cannot fail the test itself
            traceback.print_exception(error)  # shown with the failure, where the repr alone says little
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running after the timeout"
    return outcomes


def key_client(raw_key: str) -> APIClient:
    """A fresh test client per thread: APIClient is not thread-safe."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def post(raw_key: str, path: str, body: dict, *, idempotency_key: str | None = None):
    extra = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    return key_client(raw_key).post(path, body, format="json", **extra)


def action(summary_id, name: str) -> str:
    return f"{SUMMARIES}/{summary_id}/actions/{name}"


def body_of(response) -> dict:
    return json.loads(response.content, parse_float=Decimal)


def error_codes(response) -> set[str]:
    return {error["errorCode"] for error in body_of(response)["errors"]}


def statuses(outcomes) -> list:
    """Each outcome as its status code, or the exception's repr (a 500 raises through the test client)."""
    return [getattr(outcome, "status_code", repr(outcome)) for outcome in outcomes]


def _total(queryset, field: str = "amount") -> Decimal:
    # Summed here, not by the database: SQLite sums decimals as floats (2.39999999999999 for 2.40).
    return sum(queryset.values_list(field, flat=True), Decimal(0))


def assert_ledger_balanced(summary: OrderSummary) -> None:
    """For every payment summary: authorized ≥ captured + pending capture + reversal, captured ≥
    refunded + pending refund, and every captured cent is either refunded, pending refund, applied to an
    invoice or unapplied balance; every invoice's balance is its total less what was applied to it and
    what credit memos were netted into it (issue 12, rule 7: where nothing was captured)."""
    for ops in OrderPaymentSummary.objects.filter(order_summary=summary):
        assert (
            ops.captured_amount + ops.pending_capture_amount + ops.authorization_reversal_amount
            <= ops.authorization_amount
        ), ops
        assert ops.refunded_amount + ops.pending_refund_amount <= ops.captured_amount, ops
        payments = Payment.objects.filter(order_payment_summary=ops)
        applied = _total(PaymentAppliedToInvoice.objects.filter(payment__in=payments))
        assert ops.balance_amount == _total(payments, "balance"), ops
        assert ops.captured_amount - ops.refunded_amount - ops.pending_refund_amount == applied + ops.balance_amount
    for invoice in Invoice.objects.filter(order_summary=summary):
        paid = _total(PaymentAppliedToInvoice.objects.filter(invoice=invoice, type="Applied"))
        netted = _total(CreditMemoAppliedToInvoice.objects.filter(invoice=invoice))
        assert invoice.balance == invoice.total_amount_with_tax - paid - netted, invoice
        assert 0 <= invoice.balance <= invoice.total_amount_with_tax, invoice
