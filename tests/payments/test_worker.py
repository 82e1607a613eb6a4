"""Ensure funds through a real Celery worker on the configured broker (Redis in CI) and PostgreSQL."""

from decimal import Decimal as D

import pytest
from django.db import connection

from payments import tasks
from payments.models import BackgroundOperation, SandboxTransaction
from payments.services import operation_queue
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.operation_input import EnsureFundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything
from tests.support.celery_worker import running_worker, unique_queue, wait_until, worker_env


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ensure_funds_runs_in_a_real_worker_and_a_second_delivery_moves_nothing(monkeypatch):
    # Sent by hand to this test's own queue instead of the default one the submit would use.
    monkeypatch.setattr(operation_queue, "enqueue", lambda operation_id: None)
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    queue = unique_queue("ensure-funds")

    def status():
        return BackgroundOperation.objects.get(pk=operation.pk).status

    with running_worker(env=worker_env(connection), queue=queue):
        tasks.run_background_operation.apply_async(args=[operation.pk], queue=queue)
        wait_until(lambda: status() == "Complete", what="the worker to complete the operation")
        tasks.run_background_operation.apply_async(args=[operation.pk], queue=queue)
        tasks.reconcile_pending_movements.apply_async(queue=queue)
        sentinel = BackgroundOperation.objects.create(type="EnsureFunds", order_summary=summary, input={})
        tasks.run_background_operation.apply_async(args=[sentinel.pk], queue=queue)
        # Tasks on one queue with a solo pool run in order: once the sentinel is done, so is the duplicate.
        wait_until(
            lambda: BackgroundOperation.objects.get(pk=sentinel.pk).status == "Complete",
            what="the worker to get through the duplicate delivery",
        )

    ops = summary.payment_summaries.get()
    assert (ops.captured_amount, ops.balance_amount, ops.pending_capture_amount) == (D("118.80"), D("0"), D("0"))
    invoice.refresh_from_db()
    assert invoice.balance == D("0")
    assert SandboxTransaction.objects.count() == 1
    assert BackgroundOperation.objects.get(pk=operation.pk).result["success"] is True
