"""Background operations (B6): the statements of one ensure-funds and one ensure-refunds run, pinned for
1 and 5 money movements, and the shape of their transactions.

Counted with real commits (a transactional test), as a worker runs them: BEGIN and COMMIT are statements
here. A run is one transaction that marks the operation Running, plans and reserves its movements and
writes the log lines of their gateway calls, so each line is committed before its call; then, per
movement, the gateway call (the sandbox's own autocommitted insert) and one transaction that settles the
movement with the answer and records the answer in its log line; the last of those also completes the
operation. The transaction before the calls costs the same for any number of movements; each movement
adds its call and its settlement (the durability design: nothing about a call is committed later than
the answer it belongs to), and an operation of several movements reads them once more to report them.
"""

import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.models import Payment, Refund
from payments.services import background_operations, operation_queue
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import address, ingest, item, order_body
from tests.payments.money_builders import invoice_everything

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def run_by_hand(monkeypatch):
    """The test runs each operation itself; nothing is enqueued by the submit."""
    monkeypatch.setattr(operation_queue, "enqueue", lambda operation_id: None)


def _order(payments: list[dict]):
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("SKU-1", 1, "50.00")],
                }
            ],
            payments=payments,
        )
    )


def _payment(n: int, kind: str, amount) -> dict:
    # One payment summary per method: n payments, n payment summaries.
    return {
        "kind": kind,
        "method": f"Card {n}",
        "gatewayToken": "tok_visa",
        "last4": "4242",
        "amount": D(amount),
        "gatewayReference": f"{kind}_{n}",
    }


def _funds_of(count: int):
    """50.00 invoiced, authorized by `count` methods in equal parts: ensure funds captures each part."""
    summary = _order([_payment(n, "authorization", D("50.00") / count) for n in range(count)])
    invoice = invoice_everything(summary)
    return submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))


def _refunds_of(count: int):
    """50.00 owed. One method: a sale of 60.00, 10.00 in excess, one refund. Five: sales of 51.00, 205.00
    in excess, more than any four of them hold: a refund from each (51.00 × 4 and 1.00)."""
    sale = D("60.00") if count == 1 else D("51.00")
    summary = _order([_payment(n, "sale", sale) for n in range(count)])
    excess = sale * count - D("50.00")
    return submit_ensure_refunds(summary.pk, EnsureRefundsInput(excess_funds_amount=excess))


def _run(operation) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        background_operations.run_operation(operation.pk)
    operation.refresh_from_db()
    assert (operation.status, operation.result["success"]) == ("Complete", True), operation.result
    return [re.sub(r"\s+", " ", query["sql"]).strip() for query in captured.captured_queries]


def _is(statement: str, *starts: str) -> bool:
    return statement.upper().startswith(tuple(start.upper() for start in starts))


def _shape(statements: list[str]) -> list[str]:
    """The run as its transactions and what lies between them: 'log' a transaction writing the log lines of
    gateway calls, 'answer' one recording a call's answer in its log line, 'call' the gateway's own insert
    outside any transaction."""
    shape, writes, depth = [], set(), 0
    for statement in statements:
        if _is(statement, "BEGIN"):
            depth, writes = depth + 1, set()
        elif _is(statement, "COMMIT"):
            depth -= 1
            shape.append("+".join(sorted(writes)) or "T")
        elif depth == 0:
            assert _is(statement, 'INSERT INTO "payments_sandboxtransaction"'), f"outside a transaction: {statement}"
            shape.append("call")
        elif _is(statement, 'INSERT INTO "payments_paymentgatewaylog"'):
            writes.add("log")
        elif _is(statement, 'UPDATE "payments_paymentgatewaylog"'):
            writes.add("answer")
    assert depth == 0
    return shape


def test_ensure_funds_is_29_statements_and_13_more_per_further_capture():
    one, five = _run(_funds_of(1)), _run(_funds_of(5))
    # One transaction before any call: BEGIN; the summary locked (found through the operation), the
    # operation locked; the invoice and the payment summaries locked, the invoice's pending captures
    # summed; the authorizations of the payment summaries to capture from locked, what they captured
    # already summed; those payment summaries updated, the captures inserted and their keys set, the log
    # lines of their calls inserted; the operation updated (Running, prepared, its plan); COMMIT: 14.
    # Per capture: the gateway's insert; BEGIN; the summary (its id), the payment summary, the invoice
    # and the capture locked, in that order, by one statement (issue 19: was four); the capture, the
    # invoice, the application to it and the payment summary written; the summary's version moved (money
    # moved: issue 12, rule 8); the payment.captured event (issue 17: the summary's next sequence, the
    # event, the webhook endpoints; the payment is rendered as loaded); the answer recorded in the log
    # line; COMMIT: 1 + 12.
    # With the last settlement: the operation locked, its captures read (not when it has just this one,
    # settled here), the operation Complete with its report: 2 (3).
    assert len(one) == 14 + 13 + 2 == 29
    assert len(five) == 14 + 5 * 13 + 3 == 82
    # The log lines are committed with the reservation, before any call; each answer with its settlement.
    assert _shape(one) == ["log", "call", "answer"]
    assert _shape(five) == ["log"] + ["call", "answer"] * 5


def test_ensure_refunds_is_28_statements_and_12_more_per_further_refund():
    one, five = _run(_refunds_of(1)), _run(_refunds_of(5))
    # One transaction before any call: BEGIN; the summary locked, the operation locked; the payment
    # summaries locked; the funds position (one query); the captured payments locked; the refunds
    # inserted and their keys set; the payments and the payment summaries updated (one statement each);
    # the summary's version moved (refunds reserved: issue 12, rule 8); the log lines inserted; the
    # operation updated; COMMIT: 14.
    # Per refund: the gateway's insert; BEGIN; the summary (its id), the payment summary, the payment and
    # the refund locked, in that order, by one statement (was four); the refund, the payment and the
    # payment summary written; the version moved; the refund.succeeded event (sequence, event, endpoints:
    # 3, issue 17); the answer recorded; COMMIT: 1 + 11.
    # With the last settlement, as for captures: 2 (3 with more than one refund).
    assert len(one) == 14 + 12 + 2 == 28
    assert len(five) == 14 + 5 * 12 + 3 == 77
    assert _shape(one) == ["log", "call", "answer"]
    assert _shape(five) == ["log"] + ["call", "answer"] * 5
    assert Refund.objects.filter(status="Processed").count() == 6
    assert Payment.objects.filter(kind="Capture").count() == 0
