"""Issue 7, case 5: dying workers and messages delivered twice move money once; a failed request
enqueues nothing.

The first two tests run real `celery worker` processes (tests/support/celery_worker.py) on the
configured broker — Redis in CI — and PostgreSQL. The refund goes to the sandbox's `tok_slow` card:
the provider records the refund, then takes seconds to answer, and the worker is killed meanwhile.
"""

import signal
import time
from decimal import Decimal as D

import pytest
from celery.signals import before_task_publish
from django.conf import settings
from django.db import connection, transaction

from config.celery import app as celery_app
from orders.models import OrderSummary
from payments import tasks
from payments.gateway.sandbox import SLOW_SECONDS
from payments.models import BackgroundOperation, CreditMemo, PaymentGatewayLog, Refund, SandboxTransaction
from payments.services import operation_queue
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything, ops_fields, return_one_a, run, set_token
from tests.reliability.helpers import assert_ledger_balanced
from tests.support.celery_worker import running_worker, unique_queue, wait_until, worker_env

VISIBILITY_TIMEOUT = 2


def real_worker(test):
    """Real worker processes on PostgreSQL and the Redis broker (a dead worker's message comes back
    from Redis after the visibility timeout; the embedded filesystem broker loses it)."""
    marks = [
        pytest.mark.celery_worker,
        pytest.mark.postgres,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs the Redis broker (set CELERY_BROKER_URL)"
        ),
    ]
    for mark in marks:
        test = mark(test)
    return test


def paid_and_returned():
    """DOMAIN.md §6 captured in full (118.80), then 1 × A returned: a credit memo of 40.00 + 3.20."""
    summary = worked_example()
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice_everything(summary).pk)))
    change = return_one_a(summary)
    return summary, create_credit_memo(OrderSummary.objects.get(pk=summary.pk).pk, [change.pk])


@pytest.fixture
def refund_on_slow_card(monkeypatch, settings):
    """An ensure-refunds operation on a card whose provider is slow to answer; its message is sent by
    the test to a queue of its own, not enqueued by the submit."""
    settings.OMS_AUTO_ROUTE_ORDERS = False
    monkeypatch.setattr(operation_queue, "enqueue", lambda operation_id: None)
    summary, memo = paid_and_returned()
    set_token(summary, "tok_slow")
    operation = submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk))
    return summary, memo, operation


def assert_refunded_once(summary, memo, operation):
    refund = Refund.objects.get()
    assert refund.status == "Processed"
    assert SandboxTransaction.objects.filter(interaction_type="ReferencedRefund").count() == 1
    fields = ops_fields(summary.payment_summaries.get())
    # 118.80 captured, 43.20 refunded once, nothing pending.
    assert (fields["captured"], fields["refunded"], fields["pendingRefund"]) == (D("118.80"), D("43.20"), 0)
    memo.refresh_from_db()
    assert memo.balance == 0
    assert set(PaymentGatewayLog.objects.filter(refund=refund).values_list("idempotency_key", flat=True)) == {
        f"refund:{refund.pk}"
    }
    assert BackgroundOperation.objects.get(pk=operation.pk).status == "Complete"
    assert_ledger_balanced(summary)


@real_worker
def test_a_worker_killed_in_the_middle_of_ensure_refunds_is_replaced_and_money_moves_once(refund_on_slow_card):
    summary, memo, operation = refund_on_slow_card
    queue = unique_queue("sigkill")
    env = worker_env(connection, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))

    with running_worker(env=env, queue=queue) as doomed:
        tasks.run_background_operation.apply_async(args=[operation.pk], queue=queue)
        # The provider has recorded the refund and is taking its time to say so.
        wait_until(
            lambda: SandboxTransaction.objects.filter(interaction_type="ReferencedRefund").exists(),
            what="the refund to reach the provider",
        )
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(10)
    assert doomed.process.returncode == -signal.SIGKILL
    refund = Refund.objects.get()
    assert refund.status == "Pending"
    assert BackgroundOperation.objects.get(pk=operation.pk).status == "Running"

    # The message was taken and never acknowledged: once the visibility timeout is over, the broker
    # hands it to the next worker.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    with running_worker(env=env, queue=queue):
        wait_until(
            lambda: BackgroundOperation.objects.get(pk=operation.pk).status == "Complete",
            what="the redelivered task to complete the operation",
            timeout=60,
        )

    assert_refunded_once(summary, memo, operation)
    assert BackgroundOperation.objects.get(pk=operation.pk).retry_count == 1


@real_worker
def test_one_message_delivered_twice_to_two_workers_at_once_moves_money_once(refund_on_slow_card):
    summary, memo, operation = refund_on_slow_card
    queue = unique_queue("twice")
    env = worker_env(connection)

    task_id = f"ensure-refunds-{operation.pk}"
    with running_worker(env=env, queue=queue) as first, running_worker(env=env, queue=queue) as second:
        # The same message (same task id) twice: each worker takes one while the other is at the provider.
        for _ in range(2):
            tasks.run_background_operation.apply_async(args=[operation.pk], queue=queue, task_id=task_id)
        wait_until(
            lambda: BackgroundOperation.objects.get(pk=operation.pk).status == "Complete",
            what="the operation to complete",
            timeout=60,
        )
        # Both deliveries are over once the slow answer has come back to the first: each worker has
        # logged the end of its delivery (succeeded, retry or raised).
        wait_until(
            lambda: _deliveries_ended(task_id, first, second) >= 2,
            what="both deliveries to end",
            timeout=SLOW_SECONDS + 30,
        )

    assert_refunded_once(summary, memo, operation)
    # The second delivery ran while the first was still waiting on the provider (not after it finished).
    assert BackgroundOperation.objects.get(pk=operation.pk).retry_count == 1


def _deliveries_ended(task_id, *workers) -> int:
    """How many deliveries of the task the workers have finished, by their log (INFO: one line each)."""
    ends = (" succeeded in ", " retry: ", " raised ")
    return sum(
        1
        for worker in workers
        for line in list(worker.lines)
        if f"[{task_id}]" in line and any(end in line for end in ends)
    )


# --- Tasks only after commit ------------------------------------------------------------------------


class RequestFailed(Exception):
    pass


@pytest.mark.django_db
def test_a_request_failing_after_creating_a_credit_memo_enqueues_nothing(django_capture_on_commit_callbacks):
    summary = worked_example()
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice_everything(summary).pk)))
    change = return_one_a(summary)
    published = []

    def record(sender=None, headers=None, **_):
        published.append(sender)

    before_task_publish.connect(record, weak=False)
    try:
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RequestFailed), transaction.atomic():
            memo = create_credit_memo(summary.pk, [change.pk])
            submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk))
            raise RequestFailed("the request failed after the credit memo was written")
    finally:
        before_task_publish.disconnect(record)

    assert callbacks == []
    assert published == []
    assert not CreditMemo.objects.exists()
    assert not BackgroundOperation.objects.filter(type="EnsureRefunds").exists()

    # The same request, committed: one task, queued once the transaction is over — and it refunds.
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        memo = create_credit_memo(summary.pk, [change.pk])
        operation = submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk))
    assert len(callbacks) == 1
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        callbacks[0]()
    finally:
        celery_app.conf.task_always_eager = previous
    assert BackgroundOperation.objects.get(pk=operation.pk).status == "Complete"
    assert ops_fields(summary.payment_summaries.get())["refunded"] == D("43.20")
