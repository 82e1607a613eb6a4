"""A task delivered twice, or dying mid-way and delivered again, moves money once."""

from decimal import Decimal as D

import pytest

from orders.models import OrderSummary
from payments import tasks
from payments.models import BackgroundOperation, Payment, PaymentGatewayLog, Refund, SandboxTransaction
from payments.services import background_operations, movements
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything, ops_fields, return_one_a

pytestmark = pytest.mark.django_db


class WorkerDied(BaseException):
    """Stands for the worker process being killed: not an Exception, so nothing catches it."""


def die_once(monkeypatch, module, name):
    real = getattr(module, name)
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise WorkerDied
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, dying)


def test_the_money_tasks_ack_late():
    assert tasks.run_background_operation.acks_late is True
    assert tasks.reconcile_payment_movement.acks_late is True


def test_a_task_executed_twice_captures_once():
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    tasks.run_background_operation.apply(args=[operation.pk])
    tasks.run_background_operation.apply(args=[operation.pk])
    assert Payment.objects.filter(kind="Capture").count() == 1
    assert SandboxTransaction.objects.count() == 1
    assert ops_fields(summary.payment_summaries.get())["captured"] == D("118.80")
    assert BackgroundOperation.objects.get(pk=operation.pk).retry_count == 0


def test_worker_dies_after_the_gateway_captured_and_before_settling(monkeypatch):
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    die_once(monkeypatch, movements, "settle_capture")
    with pytest.raises(WorkerDied):
        tasks.run_background_operation.apply(args=[operation.pk], throw=True)
    # The provider has the money; our records still say pending.
    assert SandboxTransaction.objects.count() == 1
    capture = Payment.objects.get(kind="Capture")
    assert capture.status == "Pending"
    assert BackgroundOperation.objects.get(pk=operation.pk).status == "Running"

    tasks.run_background_operation.apply(args=[operation.pk])  # the redelivery

    capture.refresh_from_db()
    assert capture.status == "Processed"
    assert SandboxTransaction.objects.count() == 1  # sent again under the same key: replayed, not charged
    keys = set(PaymentGatewayLog.objects.filter(payment=capture).values_list("idempotency_key", flat=True))
    assert keys == {f"capture:{capture.pk}"}
    assert ops_fields(summary.payment_summaries.get())["captured"] == D("118.80")
    invoice.refresh_from_db()
    assert invoice.balance == D("0")
    operation.refresh_from_db()
    assert (operation.status, operation.retry_count) == ("Complete", 1)


def test_worker_dies_after_reserving_and_before_sending(monkeypatch):
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    die_once(monkeypatch, movements, "send_logged")
    with pytest.raises(WorkerDied):
        tasks.run_background_operation.apply(args=[operation.pk], throw=True)
    assert SandboxTransaction.objects.count() == 0
    tasks.run_background_operation.apply(args=[operation.pk])
    # Planned once: one capture, not a second reservation next to the first.
    assert Payment.objects.filter(kind="Capture").count() == 1
    assert SandboxTransaction.objects.count() == 1
    assert ops_fields(summary.payment_summaries.get())["captured"] == D("118.80")


def test_refund_task_dies_after_the_gateway_refunded(monkeypatch):
    summary = worked_example()
    invoice = invoice_everything(summary)
    tasks.run_background_operation.apply(
        args=[submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)).pk]
    )
    change = return_one_a(summary)
    memo = create_credit_memo(OrderSummary.objects.get(pk=summary.pk).pk, [change.pk])
    operation = submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk))
    die_once(monkeypatch, movements, "settle_refund")
    with pytest.raises(WorkerDied):
        tasks.run_background_operation.apply(args=[operation.pk], throw=True)
    tasks.run_background_operation.apply(args=[operation.pk])
    tasks.run_background_operation.apply(args=[operation.pk])
    assert Refund.objects.count() == 1
    assert SandboxTransaction.objects.filter(interaction_type="ReferencedRefund").count() == 1
    fields = ops_fields(summary.payment_summaries.get())
    assert (fields["refunded"], fields["pendingRefund"]) == (D("43.20"), D("0"))


def test_pending_movements_are_swept_from_beat():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-pending-payment-movements"]
    assert entry["task"] == tasks.reconcile_pending_movements.name


def test_the_log_line_of_a_call_is_committed_with_the_reservation_before_the_call(monkeypatch):
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    die_once(monkeypatch, movements, "send_logged")
    with pytest.raises(WorkerDied):
        tasks.run_background_operation.apply(args=[operation.pk], throw=True)
    # Died before the provider heard of it: the line says the call was initiated, under the capture's key.
    capture = Payment.objects.get(kind="Capture")
    (line,) = PaymentGatewayLog.objects.filter(payment=capture)
    assert (line.status, line.idempotency_key, line.completed_at) == ("Initiated", f"capture:{capture.pk}", None)

    tasks.run_background_operation.apply(args=[operation.pk])

    # The redelivery sends under the same key, with a line of its own; the first stays as it was left.
    lines = list(PaymentGatewayLog.objects.filter(payment=capture).order_by("id"))
    assert [(lg.status, lg.idempotency_key) for lg in lines] == [
        ("Initiated", f"capture:{capture.pk}"),
        ("Success", f"capture:{capture.pk}"),
    ]
    assert SandboxTransaction.objects.count() == 1
    assert BackgroundOperation.objects.get(pk=operation.pk).status == "Complete"


def test_a_settlement_that_fails_still_records_the_answer_and_the_redelivery_settles(monkeypatch):
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    real = movements.settle_capture
    calls = {"n": 0}

    def failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(movements, "settle_capture", failing_once)
    with pytest.raises(RuntimeError):
        background_operations.run_operation(operation.pk)
    capture = Payment.objects.get(kind="Capture")
    assert capture.status == "Pending"
    (line,) = PaymentGatewayLog.objects.filter(payment=capture)
    assert (line.status, line.result_code) == ("Success", "Success")
    assert line.completed_at is not None

    background_operations.run_operation(operation.pk)

    capture.refresh_from_db()
    assert capture.status == "Processed"
    assert SandboxTransaction.objects.count() == 1
    assert ops_fields(summary.payment_summaries.get())["captured"] == D("118.80")
    operation.refresh_from_db()
    assert (operation.status, operation.retry_count, operation.result["success"]) == ("Complete", 1, True)


def test_a_failed_attempt_before_any_movement_is_on_record_and_the_next_delivery_counts_as_a_retry(monkeypatch):
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    real = background_operations.PREPARE["EnsureFunds"]
    calls = {"n": 0}

    def failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("deadlock detected")
        return real(*args, **kwargs)

    monkeypatch.setitem(background_operations.PREPARE, "EnsureFunds", failing_once)
    with pytest.raises(RuntimeError):
        background_operations.run_operation(operation.pk)
    operation.refresh_from_db()
    # Nothing planned, but the attempt is recorded: Running since it started, as a worker left it.
    assert (operation.status, operation.prepared_at, operation.retry_count) == ("Running", None, 0)
    assert operation.started_at is not None
    assert not Payment.objects.filter(kind="Capture").exists()

    background_operations.run_operation(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.retry_count, operation.result["success"]) == ("Complete", 1, True)
    assert Payment.objects.get(kind="Capture").status == "Processed"
