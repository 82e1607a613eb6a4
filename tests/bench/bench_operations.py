"""B6 and B8 (Celery worker): ensure-funds and ensure-refunds background operations run by 2 Celery worker
processes on Redis against the sandbox gateway.

Latency first (it warms both workers): operations submitted one at a time at a modest pace, submit →
Complete from the operation's own timestamps (submitted_at → finished_at). Then throughput: a burst
submitted in one transaction, operations/s from its commit (the tasks are published then) to the last
completion. B8: the peak resident memory of either worker.

The burst also reports the CPU time each operation cost the two workers and the PostgreSQL backends
serving the bench database (read from /proc): unlike operations/s, it barely moves when other work
shares the machine, so it is the figure to compare between two versions of the code.
"""

import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import OrderSummary
from payments.models import BackgroundOperation, OperationStatus
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.bench.servers import celery_workers, purge_queue
from tests.bench.support import (
    CpuTime,
    PeakMemory,
    database_backends,
    env_number,
    median,
    percentile,
    size,
    storefront_order,
)
from tests.builders import ingest
from tests.payments.money_builders import invoice_everything

BURST = size(200, 3)  # of each kind
PACED = size(40, 2)
PACE_PER_S = env_number("BENCH_B6_PACE", 10, 10)
EXCESS = Decimal("10.00")


def _funds_case(number: str):
    """An authorized order shipped whole and invoiced: ensure funds captures the invoice."""
    summary = ingest(storefront_order(number, lines=2, channel="Bench Web"))
    return summary, invoice_everything(summary)


def _refunds_case(number: str) -> OrderSummary:
    """An order paid by a sale 10.00 above its grand total: ensure refunds gives the excess back."""
    body = storefront_order(number, lines=2, channel="Bench Web")
    payment = body["payments"][0]
    payment.update(kind="sale", amount=str(Decimal(payment["amount"]) + EXCESS))
    return ingest(body)


def _cases(prefix: str, count: int):
    funds = [_funds_case(f"{prefix}-F{n}") for n in range(count)]
    refunds = [_refunds_case(f"{prefix}-R{n}") for n in range(count)]
    return funds, refunds


def _submit(funds, refunds) -> list[int]:
    ids = []
    for (summary, invoice), refund_summary in zip(funds, refunds, strict=True):
        ids.append(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)).pk)
        ids.append(submit_ensure_refunds(refund_summary.pk, EnsureRefundsInput(excess_funds_amount=EXCESS)).pk)
    return ids


def _wait_final(ids: list[int], timeout: float) -> list[BackgroundOperation]:
    final = Q(status=OperationStatus.COMPLETE) | Q(status=OperationStatus.ERROR)
    deadline = time.monotonic() + timeout
    while BackgroundOperation.objects.filter(pk__in=ids).exclude(final).exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"operations not final after {timeout}s")
        time.sleep(0.05)
    return list(BackgroundOperation.objects.filter(pk__in=ids))


def _failed(operations) -> int:
    return sum(1 for op in operations if op.status != OperationStatus.COMPLETE or not (op.result or {}).get("success"))


def _sessions_opened() -> int:
    """Connections ever opened to the bench database (PostgreSQL 14+), to show the workers reuse theirs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_b6_background_operations(bench_queue, figures, run):
    burst_funds, burst_refunds = _cases(f"B6-{run}", BURST)
    paced_funds, paced_refunds = _cases(f"B6p-{run}", PACED // 2 or 1)
    warm_funds, warm_refunds = _cases(f"B6w-{run}", size(2, 1))

    # The run's queue holds the routing of every order the other benchmarks ingested: not B6's work.
    purge_queue(bench_queue, bindings=False)
    with celery_workers(bench_queue, count=2) as workers:
        pids = [worker.process.pid for worker in workers]
        with PeakMemory(lambda: pids) as memory:
            # Each worker's first tasks open its connections and import what they need: not measured.
            _wait_final(_submit(warm_funds, warm_refunds), timeout=120)
            paced_ids = []
            for (summary, invoice), refund_summary in zip(paced_funds, paced_refunds, strict=True):
                paced_ids.append(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)).pk)
                time.sleep(1 / PACE_PER_S)
                paced_ids.append(
                    submit_ensure_refunds(refund_summary.pk, EnsureRefundsInput(excess_funds_amount=EXCESS)).pk
                )
                time.sleep(1 / PACE_PER_S)
            paced = _wait_final(paced_ids, timeout=120)
            # One transaction: every task is published when it commits, so the workers meet a full queue.
            sessions_before = _sessions_opened()
            with CpuTime(lambda: pids) as worker_cpu, CpuTime(database_backends) as database_cpu:
                with transaction.atomic():
                    burst_ids = _submit(burst_funds, burst_refunds)
                    released = timezone.now()
                burst = _wait_final(burst_ids, timeout=600)
            sessions = _sessions_opened() - sessions_before

    span = (max(op.finished_at for op in burst) - released).total_seconds()
    figures.record(
        "B6.operations_per_s",
        f"ensure-funds + ensure-refunds, burst of {len(burst)}, 2 workers",
        len(burst) / span,
        "ops/s",
        "≥ 150",
        f"{len(burst)} operations in {span:.1f} s; CPU per operation workers "
        f"{worker_cpu.seconds * 1000 / len(burst):.1f} ms + PostgreSQL "
        f"{database_cpu.seconds * 1000 / len(burst):.1f} ms",
    )
    figures.record(
        "B6.worker_cpu_ms_per_op",
        "CPU of the 2 workers per operation (burst)",
        worker_cpu.seconds * 1000 / len(burst),
        "ms",
        "",
        "user + system, /proc",
    )
    figures.record(
        "B6.database_cpu_ms_per_op",
        "CPU of their PostgreSQL backends per operation (burst)",
        database_cpu.seconds * 1000 / len(burst),
        "ms",
        "",
        "backends of the bench database",
    )
    figures.record(
        "B6.database_connections_opened",
        "connections opened to PostgreSQL during the burst",
        sessions,
        "count",
        "0",
        "the workers' pooled connections are reused from task to task",
    )
    latencies = [(op.finished_at - op.submitted_at).total_seconds() * 1000 for op in paced]
    figures.record(
        "B6.submit_to_complete.median_ms",
        f"submit → Complete at {PACE_PER_S:.0f} operations/s, median",
        median(latencies),
        "ms",
        "< 200",
        f"{len(paced)} operations",
    )
    figures.record("B6.submit_to_complete.p95_ms", "submit → Complete, p95", percentile(latencies, 0.95), "ms")
    figures.record("B6.errors", "operations not Complete with success", _failed(burst) + _failed(paced), "count", "0")
    figures.record(
        "B8.celery_worker_peak_rss_mb", "peak RSS of one Celery worker during B6", memory.peak_mb, "MB", "< 250"
    )
