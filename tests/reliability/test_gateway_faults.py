"""Issue 7, case 4: a misbehaving payment gateway (DOMAIN.md §3.9, the sandbox's tokens).

A decline is final: no retry, a process exception, the invoice stays unpaid. A timeout after the
provider acted leaves the movement pending until reconciliation settles it, with one movement at the
provider. A provider that cannot be reached is asked again later, less and less often, under the
same key. A permanent failure is in front of the agents: API, summary detail and console queue.
"""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from orders.models import OrderSummary, OutboxMessage, ProcessException
from payments import tasks
from payments.models import Invoice, Payment, PaymentGatewayLog, Refund, SandboxTransaction
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.movements import (
    CAPTURE,
    MAX_RECONCILE_DELAY_SECONDS,
    REFUND,
    pending_movements,
    reconcile_countdown,
    reconcile_movement,
)
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything, ops_fields, return_one_a, run, set_token
from tests.reliability.gateways import UnreachableGateway
from tests.reliability.helpers import SUMMARIES, assert_ledger_balanced, body_of

pytestmark = pytest.mark.django_db


def sweep():
    """The beat task's body: every pending movement, however recent, is asked about again."""
    for kind, pk in pending_movements(timezone.now().replace(year=2100)):
        tasks.reconcile_payment_movement.apply(args=[kind, pk], throw=True)


def invoiced(token):
    summary = worked_example()
    set_token(summary, token)
    return summary, invoice_everything(summary)


def reconciliations() -> list[int]:
    """The countdowns of the reconciliations scheduled so far: recorded in the outbox, which publishes
    each when its countdown is over (orders/outbox.py)."""
    rows = OutboxMessage.objects.filter(task_name=tasks.reconcile_payment_movement.name).order_by("id")
    return [round((row.next_attempt_at - row.created_at).total_seconds()) for row in rows]


def test_a_declined_capture_is_not_retried_raises_an_exception_and_leaves_the_invoice_unpaid(
    django_capture_on_commit_callbacks,
):
    summary, invoice = invoiced("tok_decline")
    with django_capture_on_commit_callbacks():
        operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    # The task delivered again, and the sweep of pending movements: neither asks the gateway again.
    tasks.run_background_operation.apply(args=[operation.pk], throw=True)
    sweep()

    assert reconciliations() == []
    assert PaymentGatewayLog.objects.count() == 1
    assert SandboxTransaction.objects.count() == 1
    assert (operation.status, operation.result["success"]) == ("Complete", False)
    invoice.refresh_from_db()
    assert invoice.balance == D("118.80")
    fields = ops_fields(summary.payment_summaries.get())
    assert (fields["captured"], fields["pendingCapture"], fields["availableToCapture"]) == (0, 0, D("118.80"))
    exception = ProcessException.objects.get(order_summary=summary)
    assert (exception.category, exception.status) == ("Payment", "New")
    assert "Decline" in exception.message
    assert_ledger_balanced(summary)


def paid_and_returned(token):
    summary, invoice = invoiced("tok_visa")
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    set_token(summary, token)
    change = return_one_a(summary)
    return summary, create_credit_memo(OrderSummary.objects.get(pk=summary.pk).pk, [change.pk])


@pytest.mark.parametrize("kind", [CAPTURE, REFUND])
def test_a_timeout_after_the_provider_acted_stays_pending_until_reconciliation_settles_it_once(kind):
    if kind == CAPTURE:
        summary, invoice = invoiced("tok_timeout")
        operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
        movement = Payment.objects.get(kind="Capture")
        interaction, pending_field, done_field = "Capture", "pendingCapture", "captured"
        # The whole 118.80 invoice; A returned later is 40.00 + 3.20.
        amount = D("118.80")
    else:
        summary, memo = paid_and_returned("tok_timeout")
        operation = run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
        movement = Refund.objects.get()
        interaction, pending_field, done_field = "ReferencedRefund", "pendingRefund", "refunded"
        amount = D("43.20")
    ops = summary.payment_summaries.get()
    assert movement.status == "Pending"
    assert (ops_fields(ops)[pending_field], ops_fields(ops)[done_field]) == (amount, 0)
    # The provider moved the money; we do not know it yet. Delivering the task again sends nothing.
    tasks.run_background_operation.apply(args=[operation.pk], throw=True)
    assert PaymentGatewayLog.objects.filter(interaction_type=interaction, is_reconciliation=False).count() == 1

    sweep()
    sweep()

    movement.refresh_from_db()
    assert movement.status == "Processed"
    assert (ops_fields(ops)[pending_field], ops_fields(ops)[done_field]) == (0, amount)
    assert SandboxTransaction.objects.filter(interaction_type=interaction).count() == 1
    logs = PaymentGatewayLog.objects.filter(interaction_type=interaction, idempotency_key=movement.idempotency_key)
    assert [(log.is_reconciliation, log.status) for log in logs] == [(False, "Timeout"), (True, "Success")]
    assert not ProcessException.objects.filter(order_summary=summary).exists()
    assert_ledger_balanced(summary)


def test_an_unreachable_provider_is_asked_again_with_backoff_under_the_same_key(
    settings, django_capture_on_commit_callbacks
):
    settings.OMS_PAYMENT_GATEWAY = "tests.reliability.gateways.UnreachableGateway"
    settings.OMS_GATEWAY_RECONCILE_DELAY_SECONDS = 60
    summary, invoice = invoiced("tok_visa")
    UnreachableGateway.fail_next(3)

    with django_capture_on_commit_callbacks():
        run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    capture = Payment.objects.get(kind="Capture")
    key = capture.idempotency_key
    for _ in range(3):
        with django_capture_on_commit_callbacks():
            reconcile_movement(CAPTURE, capture.pk)
    countdowns = reconciliations()

    # Refused three times (the send, then two lookups), asked after 60 s, 120 s, 240 s; the third
    # lookup got through, found nothing had arrived and sent the capture, still under its own key.
    assert countdowns == [60, 120, 240]
    assert UnreachableGateway.calls == [("send", key), ("lookup", key), ("lookup", key), ("lookup", key), ("send", key)]
    capture.refresh_from_db()
    assert capture.status == "Processed"
    assert SandboxTransaction.objects.count() == 1
    assert set(PaymentGatewayLog.objects.values_list("idempotency_key", flat=True)) == {key}
    invoice.refresh_from_db()
    assert invoice.balance == 0
    assert not ProcessException.objects.filter(order_summary=summary).exists()
    assert_ledger_balanced(summary)


def test_the_backoff_stops_growing_at_half_an_hour(settings):
    settings.OMS_PAYMENT_GATEWAY = "tests.reliability.gateways.UnreachableGateway"
    settings.OMS_GATEWAY_RECONCILE_DELAY_SECONDS = 60
    summary, invoice = invoiced("tok_visa")
    UnreachableGateway.fail_next(20)
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    capture = Payment.objects.get(kind="Capture")
    for _ in range(10):
        reconcile_movement(CAPTURE, capture.pk)
    # 60 × 2^10 = 61,440 s would be the next wait; it is held at 1,800 s.
    assert reconcile_countdown(CAPTURE, capture.pk) == MAX_RECONCILE_DELAY_SECONDS == 1800
    assert Payment.objects.get(pk=capture.pk).status == "Pending"
    assert SandboxTransaction.objects.count() == 0


def test_a_permanent_failure_is_in_front_of_the_agents(api):
    summary, invoice = invoiced("tok_error")
    operation = run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))

    listed = body_of(api.get("/api/v1/commerce/process-exceptions", {"orderSummaryId": summary.pk}))
    (exception,) = listed["processExceptions"]
    assert (exception["category"], exception["status"]) == ("Payment", "New")
    assert "PermanentFail" in exception["message"]
    detail = body_of(api.get(f"{SUMMARIES}/{summary.pk}"))
    assert detail["activeProcessExceptionCount"] == 1
    assert [e["id"] for e in detail["processExceptions"]] == [exception["id"]]
    state = body_of(api.get(f"/api/v1/commerce/background-operations/{operation.pk}"))
    assert state["result"]["success"] is False
    assert [c["status"] for c in state["result"]["captures"]] == ["Failed"]
    assert Invoice.objects.get(pk=invoice.pk).balance == D("118.80")

    supervisor = User.objects.create_user("supervisor", password="x")
    supervisor.groups.add(Group.objects.get(name="Supervisor"))
    console = Client()
    console.force_login(supervisor)
    queue = console.get("/console/exceptions/")
    assert queue.status_code == 200
    assert exception["message"] in queue.content.decode()
