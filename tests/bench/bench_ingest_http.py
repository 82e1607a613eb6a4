"""B1, B1b and B8 (app worker): storefront ingest over HTTP to gunicorn with 2 worker processes
(2 threads each by default: tests/bench/gunicorn_bench.py).

B1: orders of 5 product lines, 1 delivery group, 1 authorization, sent by `concurrency` keep-alive
clients for a fixed time (closed loop: orders/s, p50/p95); then at a fixed 100 orders/s (open loop:
p50/p95 from each request's planned start). B1b: the same orders, 100 per request, to the batch
resource. B8: the peak resident memory of either gunicorn worker during B1.

The load generator runs in this process on the same 2 cores: what it uses is taken from the server.
"""

import asyncio
import json
import os
import statistics
import time

from tests.bench.load import closed_loop, open_loop, request_bytes
from tests.bench.servers import gunicorn
from tests.bench.support import (
    CpuTime,
    PeakMemory,
    child_pids,
    database_backends,
    env_number,
    median,
    percentile,
    storefront_order,
)

INGEST = "/api/v1/commerce/orders"
BATCH = "/api/v1/commerce/orders/batch"
SECONDS = env_number("BENCH_B1_SECONDS", 60, 1.5)
RATE_SECONDS = env_number("BENCH_B1_RATE_SECONDS", 30, 1)
RATE = env_number("BENCH_B1_RATE", 100, 20)
BATCH_SECONDS = env_number("BENCH_B1B_SECONDS", 20, 1.5)
BATCH_SIZE = int(env_number("BENCH_B1B_BATCH", 100, 10))
CONCURRENCY = int(env_number("BENCH_B1_CONCURRENCY", 4, 2))
# However slow the machine, each timed part sends this many requests: a tiny run's 1-second parts once
# sent none on a loaded machine, and a percentile of nothing failed the run.
AT_LEAST = 5


def test_b1_ingest_over_http(storefront, bench_queue, figures, run):
    headers = {"Authorization": f"Bearer {storefront['key']}"}

    with gunicorn(bench_queue, workers=2) as (port, server):

        def single(prefix):
            def make(n):
                number = f"{prefix}-{run}-{n}"
                return request_bytes(INGEST, storefront_order(number), {**headers, "Idempotency-Key": number}, port)

            return make

        def batch(n):
            orders = []
            for m in range(BATCH_SIZE):
                number = f"B1b-{run}-{n}-{m}"
                orders.append({**storefront_order(number), "idempotencyKey": number})
            return request_bytes(BATCH, {"orders": orders}, headers, port)

        def server_pids():
            return [server.pid, *child_pids(server.pid)]

        asyncio.run(closed_loop(port, single("B1w"), concurrency=CONCURRENCY, seconds=min(3, SECONDS / 3)))
        with (
            PeakMemory(lambda: child_pids(server.pid)) as memory,
            CpuTime(server_pids) as app_cpu,
            CpuTime(database_backends) as database_cpu,
        ):
            client_cpu_started = time.process_time()
            sustained = asyncio.run(
                closed_loop(port, single("B1"), concurrency=CONCURRENCY, seconds=SECONDS, at_least=AT_LEAST)
            )
            client_cpu = time.process_time() - client_cpu_started
        paced = asyncio.run(open_loop(port, single("B1r"), rate=RATE, seconds=RATE_SECONDS, at_least=AT_LEAST))
        # Latency without a queue: at half the throughput this machine sustained.
        half_rate = max(1.0, sustained.statuses.get(201, 0) / sustained.elapsed_s / 2)
        relaxed = asyncio.run(
            open_loop(port, single("B1h"), rate=half_rate, seconds=RATE_SECONDS / 2, at_least=AT_LEAST)
        )
        with CpuTime(server_pids) as batch_app_cpu, CpuTime(database_backends) as batch_database_cpu:
            batched = asyncio.run(
                closed_loop(port, batch, concurrency=2, seconds=BATCH_SECONDS, keep_bodies=True, at_least=2)
            )

    created = sustained.statuses.get(201, 0)
    errors = sustained.errors + sum(count for status, count in sustained.statuses.items() if status != 201)
    windows = _per_window(sustained)
    per_order = 1000 / max(created, 1)
    figures.record(
        "B1.orders_per_s",
        f"ingest over HTTP, {CONCURRENCY} clients, {SECONDS:.0f} s, orders/s",
        created / sustained.elapsed_s,
        "orders/s",
        "≥ 300",
        f"{created} orders; CPU per order app {app_cpu.seconds * per_order:.1f} ms + PostgreSQL "
        f"{database_cpu.seconds * per_order:.1f} ms; 5-s windows min/median/max {windows}; "
        f"gunicorn 2 {_workers()}",
    )
    figures.record(
        "B1.app_cpu_ms_per_order",
        "CPU of gunicorn (2 processes) per order, full load",
        app_cpu.seconds * per_order,
        "ms",
        "≤ 2.5",
        "user + system, /proc",
    )
    figures.record(
        "B1.database_cpu_ms_per_order",
        "CPU of their PostgreSQL backends per order, full load",
        database_cpu.seconds * per_order,
        "ms",
        "≤ 2.0",
        "backends of the bench database",
    )
    figures.record(
        "B1.client_cpu_ms_per_order",
        "CPU of the load generator per order (same 2 cores)",
        client_cpu * per_order,
        "ms",
        "",
        "taken from the server: it shares the machine",
    )
    figures.record("B1.p50_ms", "ingest latency p50 under full load", percentile(sustained.latencies_ms, 0.5), "ms")
    figures.record("B1.p95_ms", "ingest latency p95 under full load", percentile(sustained.latencies_ms, 0.95), "ms")
    figures.record("B1.errors", "ingest errors under full load", errors, "count", "0", str(sustained.statuses))

    paced_errors = paced.errors + sum(count for status, count in paced.statuses.items() if status != 201)
    figures.record(
        "B1.rate100.p50_ms", f"ingest latency p50 at {RATE:.0f} orders/s", percentile(paced.latencies_ms, 0.5), "ms"
    )
    figures.record(
        "B1.rate100.p95_ms",
        f"ingest latency p95 at {RATE:.0f} orders/s",
        percentile(paced.latencies_ms, 0.95),
        "ms",
        "< 50",
    )
    figures.record("B1.rate100.errors", f"ingest errors at {RATE:.0f} orders/s", paced_errors, "count", "0")
    figures.record(
        "B1.half_capacity.p95_ms",
        f"ingest latency p95 at {half_rate:.0f} orders/s (half of B1)",
        percentile(relaxed.latencies_ms, 0.95),
        "ms",
        "",
        f"p50 {percentile(relaxed.latencies_ms, 0.5):.1f} ms, {len(relaxed.latencies_ms)} orders",
    )

    succeeded = failed = 0
    for body in batched.bodies:
        for result in json.loads(body).get("results", []):
            succeeded += result["success"]
            failed += not result["success"]
    batch_errors = failed + batched.errors + sum(n for status, n in batched.statuses.items() if status != 200)
    per_batch_order = 1000 / max(succeeded, 1)
    figures.record(
        "B1b.orders_per_s",
        f"batch ingest, {BATCH_SIZE} orders a request, 2 clients, orders/s",
        succeeded / batched.elapsed_s,
        "orders/s",
        "≥ 2,000",
        f"{succeeded} orders in {len(batched.bodies)} requests, median request "
        f"{median(batched.latencies_ms) if batched.latencies_ms else 0:.0f} ms; CPU per order app "
        f"{batch_app_cpu.seconds * per_batch_order:.1f} ms + PostgreSQL "
        f"{batch_database_cpu.seconds * per_batch_order:.1f} ms",
    )
    figures.record(
        "B1b.app_cpu_ms_per_order",
        "CPU of gunicorn per order of a batch",
        batch_app_cpu.seconds * per_batch_order,
        "ms",
        "≤ 1.0 with the database",
        "user + system, /proc",
    )
    figures.record(
        "B1b.database_cpu_ms_per_order",
        "CPU of their PostgreSQL backends per order of a batch",
        batch_database_cpu.seconds * per_batch_order,
        "ms",
        "",
    )
    figures.record("B1b.errors", "batch ingest failed orders", batch_errors, "count", "0")
    figures.record(
        "B8.gunicorn_worker_peak_rss_mb", "peak RSS of one gunicorn worker during B1", memory.peak_mb, "MB", "< 250"
    )


def _workers() -> str:
    kind = os.environ.get("BENCH_GUNICORN_WORKER_CLASS", "gthread")
    if kind != "gthread":
        return f"{kind} workers"
    return f"gthread workers × {os.environ.get('BENCH_GUNICORN_THREADS', '2')} threads"


def _per_window(outcome, window_s: float = 5.0) -> str:
    rates = outcome.rates_per_window(window_s)
    if len(rates) < 2:
        return "n/a (run too short)"
    return f"{min(rates):.0f}/{statistics.median(rates):.0f}/{max(rates):.0f}"
