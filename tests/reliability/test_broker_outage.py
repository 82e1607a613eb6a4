"""Issue 14, points 1 and 3 with real processes: a Redis broker this test starts on its own port (6441)
is killed while the worker routes a burst of orders and stays down during ingest, fulfilment and
ensure-refunds, then started again empty (no persistence:
what it held is lost, the worst case); a real `celery worker --beat` (prefork, as `make run`) on
PostgreSQL survives the outage and, once the broker is back, everything promised is done once.
A worker SIGKILLed in the middle of a refund is replaced and the refund finishes within two minutes
with the default settings (outbox lease 60 s, relay every 5 s; Redis's visibility timeout is 300 s).
"""

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal as D

import pytest
from django.db import connection

from config.celery import app as celery_app
from orders.models import FulfillmentOrder, OrderSummary, OutboxMessage, OutboxStatus
from payments.models import BackgroundOperation, CreditMemo, Invoice, Payment, Refund, SandboxTransaction
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import ensure_channel, worked_example, worked_example_body
from tests.fulfillment.helpers import make_location, stock
from tests.payments.money_builders import invoice_everything, return_one_a, run, set_token
from tests.reliability.helpers import SUMMARIES
from tests.support.celery_worker import PROJECT_DIR, WorkerProcess, _child_env, database_url, wait_until

PORT = 6441
BROKER = f"redis://127.0.0.1:{PORT}/0"

pytestmark = [
    # One redis-server on a fixed port: its tests must never run at once (make test's xdist workers).
    pytest.mark.xdist_group("real-processes"),
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


class Broker:
    """A redis-server of the test's own, without persistence."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="oms-broker-")
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if (
                subprocess.run(["redis-cli", "-p", str(PORT), "ping"], capture_output=True, text=True).stdout.strip()
                == "PONG"
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()  # a crash, not a clean shutdown
            self.process.wait(10)


@contextmanager
def own_broker():
    broker = Broker()
    broker.start()
    previous = celery_app.conf.task_always_eager
    # This process (the web side) publishes to the test's broker, for real.
    celery_app.conf.broker_write_url = BROKER
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.task_always_eager = False
    try:
        yield broker
    finally:
        celery_app.conf.broker_write_url = None
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.task_always_eager = previous
        broker.stop()
        shutil.rmtree(broker.folder, ignore_errors=True)


@contextmanager
def worker_with_beat(**env):
    data = tempfile.mkdtemp(prefix="oms-worker-")
    child_env = _child_env(
        {
            "DATABASE_URL": database_url(connection.settings_dict),
            "CELERY_BROKER_URL": BROKER,
            "CELERY_DATA_DIR": data,
            "OMS_AUTO_ROUTE_ORDERS": "1",
            **env,
        }
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--loglevel=INFO",
            "--concurrency=2",
            "--hostname",
            f"outage-{time.monotonic_ns()}@%h",
        ],
        cwd=PROJECT_DIR,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = WorkerProcess(process)
    try:
        worker.wait_ready(90)
        yield worker
    except BaseException as error:
        error.add_note(f"Celery worker output:\n{worker.output[-8000:]}")
        raise
    finally:
        worker.stop(30)
        shutil.rmtree(data, ignore_errors=True)


def routed(summary_ids) -> bool:
    return set(
        FulfillmentOrder.objects.filter(order_summary_id__in=summary_ids).values_list("order_summary_id", flat=True)
    ) == set(summary_ids)


def test_a_broker_down_during_ingest_fulfil_and_refunds_delays_the_work_and_loses_none(api, settings):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    ensure_channel()
    make_location("WH-OUT", latitude="41.88", longitude="-87.62")
    stock("WH-OUT", A=100, B=100)
    # An order paid in full and then returned: its credit memo is refunded during the outage.
    returned = worked_example()
    run(submit_ensure_funds(returned.pk, EnsureFundsInput(invoice_id=invoice_everything(returned).pk)))
    memo = create_credit_memo(OrderSummary.objects.get(pk=returned.pk).pk, [return_one_a(returned).pk])
    OutboxMessage.objects.all().delete()
    settings.OMS_AUTO_ROUTE_ORDERS = True

    def ingest(number):
        answer = api.post(
            "/api/v1/commerce/orders",
            worked_example_body(orderNumber=number),
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"ingest-{number}",
        )
        assert answer.status_code == 201, answer.content
        return int(answer.json()["orderSummaryId"])

    with (
        own_broker() as broker,
        worker_with_beat(OMS_OUTBOX_RELAY_SECONDS="1", OMS_OUTBOX_LEASE_SECONDS="10") as worker,
    ):
        before = [ingest(f"OUT-A{n}") for n in range(3)]
        wait_until(lambda: routed(before), what="the first orders to be routed", timeout=60)
        shipped = list(FulfillmentOrder.objects.filter(order_summary_id__in=before).values_list("pk", flat=True))

        # Under load: the broker dies while the worker is routing a burst of orders (tasks in hand,
        # messages queued): what Redis held is lost with it.
        burst = [ingest(f"OUT-L{n}") for n in range(10)]
        wait_until(
            lambda: FulfillmentOrder.objects.filter(order_summary_id__in=burst).exists(),
            what="the worker to be busy with the burst",
            timeout=60,
        )
        broker.stop()
        during = [ingest(f"OUT-B{n}") for n in range(3)]
        for pk in shipped:
            answer = api.patch(
                f"/api/v1/commerce/fulfillment/fulfillment-orders/{pk}", {"status": "Fulfilled"}, format="json"
            )
            assert answer.status_code == 200, answer.content
        answer = api.post(
            f"/api/v1/{SUMMARIES.split('/api/v1/')[-1]}/{returned.pk}/async-actions/ensure-refunds-async",
            {"creditMemoId": str(memo.pk)},
            format="json",
            HTTP_IDEMPOTENCY_KEY="refund-1",
        )
        assert answer.status_code in (200, 201, 202), answer.content
        operation_id = BackgroundOperation.objects.get(type="EnsureRefunds").pk
        # All recorded, nothing done: the broker is away.
        assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() >= 3 + 3 + 1
        # The worker noticed the outage and has already failed to reconnect at least once (not a fixed wait).
        wait_until(
            lambda: (
                "Connection to broker lost" in worker.output
                and "consumer: Cannot connect to" in worker.output.split("Connection to broker lost", 1)[1]
            ),
            what="the worker to lose the broker and fail to reconnect",
            timeout=60,
        )
        assert worker.process.poll() is None, "the worker exited while the broker was down"
        assert not routed(during)

        broker.start()
        wait_until(
            lambda: routed(during + burst), what="the orders of the burst and of the outage to be routed", timeout=120
        )
        wait_until(
            lambda: Invoice.objects.filter(fulfillment_order_id__in=shipped, balance=0).count() == 3,
            what="the shipped orders to be invoiced and paid",
            timeout=90,
        )
        wait_until(
            lambda: BackgroundOperation.objects.get(pk=operation_id).status == "Complete",
            what="the refund operation to complete",
            timeout=90,
        )
        wait_until(
            lambda: not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists(),
            what="every outbox message to be acknowledged",
            timeout=60,
        )
        assert worker.process.poll() is None
        assert "Unrecoverable error" not in worker.output

    # Nothing twice: one fulfillment order per summary, one invoice and one capture per shipment,
    # one refund of 43.20 for the memo, every message done.
    for summary_id in before + burst + during:
        assert FulfillmentOrder.objects.filter(order_summary_id=summary_id).count() == 1
    assert Invoice.objects.filter(fulfillment_order_id__in=shipped).count() == 3
    captures = Payment.objects.filter(order_payment_summary__order_summary_id__in=before, kind="Capture")
    assert sorted(captures.values_list("amount", flat=True)) == [D("118.80")] * 3
    assert SandboxTransaction.objects.filter(interaction_type="Capture").count() == 3 + 1  # + the returned order's
    assert list(Refund.objects.values_list("amount", "status")) == [(D("43.20"), "Processed")]
    assert CreditMemo.objects.get(pk=memo.pk).balance == 0
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}


def test_a_worker_killed_mid_refund_is_replaced_and_the_refund_finishes_within_two_minutes(settings):
    """Default lease and visibility timeout: the outbox brings the message back, not Redis."""
    settings.OMS_AUTO_ROUTE_ORDERS = False
    summary = worked_example()
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice_everything(summary).pk)))
    memo = create_credit_memo(OrderSummary.objects.get(pk=summary.pk).pk, [return_one_a(summary).pk])
    set_token(summary, "tok_slow")
    OutboxMessage.objects.all().delete()

    with own_broker():
        with worker_with_beat() as doomed:
            operation = submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk))
            # Published after commit (autocommit here) to the test's broker.
            started = time.monotonic()
            wait_until(
                lambda: SandboxTransaction.objects.filter(interaction_type="ReferencedRefund").exists(),
                what="the refund to reach the provider",
                timeout=60,
            )
            for child in _children(doomed.process.pid):
                subprocess.run(["kill", "-KILL", str(child)], check=False)
            doomed.process.send_signal(signal.SIGKILL)
            doomed.process.wait(10)
            killed = time.monotonic()
        assert BackgroundOperation.objects.get(pk=operation.pk).status == "Running"

        with worker_with_beat():
            wait_until(
                lambda: BackgroundOperation.objects.get(pk=operation.pk).status == "Complete",
                what="the operation to complete",
                timeout=120,
            )
        elapsed = time.monotonic() - killed

    assert elapsed < 120, f"finished {elapsed:.0f} s after the kill ({killed - started:.0f} s after the start)"
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (D("43.20"), "Processed")
    assert SandboxTransaction.objects.filter(interaction_type="ReferencedRefund").count() == 1
    assert CreditMemo.objects.get(pk=memo.pk).balance == 0
    assert OutboxMessage.objects.get(task_name="payments.tasks.run_background_operation").status == OutboxStatus.DONE


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(child) for child in found]
