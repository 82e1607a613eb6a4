"""Two workers on one operation at once (a redelivery while the first still runs): money moves once."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from payments.models import BackgroundOperation, Payment, SandboxTransaction
from payments.services import background_operations, operation_queue
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.operation_input import EnsureFundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_operation_capture_once(monkeypatch):
    monkeypatch.setattr(operation_queue, "enqueue", lambda operation_id: None)
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait()
            background_operations.run_operation(operation.pk)
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Payment.objects.filter(kind="Capture").count() == 1
    assert SandboxTransaction.objects.count() == 1
    ops = summary.payment_summaries.get()
    assert (ops.captured_amount, ops.pending_capture_amount) == (D("118.80"), D("0"))
    invoice.refresh_from_db()
    assert invoice.balance == D("0")
    assert BackgroundOperation.objects.get(pk=operation.pk).status == "Complete"
