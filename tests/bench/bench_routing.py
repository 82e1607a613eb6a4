"""Routing benchmark: prints timings for 100 locations × 20 skus and for ranking 1,000 location sets.

Run: .venv/bin/python tests/bench/bench_routing.py   (no assertions: it reports figures to read)
Wall time depends on what else the machine runs; CPU time is this process's own work.
"""

import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orders.routing import find_routes_with_fewest_splits, rank_by_average_distance

LOCATIONS = 100
SKUS = 20
# BENCH_TINY=1 (the CI run of the suite) takes 2 inventories per case: enough to prove it still runs.
TINY = os.environ.get("BENCH_TINY", "").strip().lower() in {"1", "true", "yes", "on"}
RUNS = int(os.environ.get("BENCH_RUNS") or (2 if TINY else 20))


def inventory(rng: random.Random, stocked_share: float):
    skus = [f"SKU-{j:02d}" for j in range(SKUS)]
    available = {
        f"LOC-{i:03d}": {sku: Decimal(rng.randint(1, 6)) for sku in skus if rng.random() < stocked_share}
        for i in range(LOCATIONS)
    }
    ordered = {sku: Decimal(rng.randint(1, 4)) for sku in skus}
    return ordered, available


def timed(label: str, scenarios, max_splits: int) -> None:
    durations, cpu, sizes, counts = [], [], [], []
    for ordered, available in scenarios:
        started, started_cpu = time.perf_counter(), time.process_time()
        routes = find_routes_with_fewest_splits(ordered, available, max_splits)
        durations.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        counts.append(len(routes))
        sizes.append(len(routes[0]) if routes else 0)
    print(
        f"{label:<48} wall median {statistics.median(durations) * 1000:7.1f} ms max {max(durations) * 1000:7.1f} ms"
        f" | cpu median {statistics.median(cpu) * 1000:7.1f} ms max {max(cpu) * 1000:7.1f} ms"
        f" | set size {min(sizes)}-{max(sizes)}, routes {min(counts)}-{max(counts)}"
    )


def main() -> None:
    rng = random.Random(20261120)
    print(f"find-routes-with-fewest-splits, {LOCATIONS} locations × {SKUS} skus, {RUNS} inventories each")
    for share, max_splits in ((0.9, 5), (0.6, 5), (0.35, 5), (0.2, 10), (0.1, 10)):
        scenarios = [inventory(rng, share) for _ in range(RUNS)]
        timed(f"  each sku at {share:.0%} of locations, ≤ {max_splits} splits", scenarios, max_splits)
    # No route: one sku is stocked nowhere, so every size up to the limit must be refuted.
    scenarios = []
    for _ in range(RUNS):
        ordered, available = inventory(rng, 0.35)
        ordered["SKU-MISSING"] = Decimal(1)
        scenarios.append((ordered, available))
    timed("  no route exists (one sku nowhere), ≤ 10 splits", scenarios, 10)

    sets = [[f"LOC-{rng.randrange(LOCATIONS):03d}" for _ in range(rng.randint(1, 4))] for _ in range(1000)]
    coordinates = {f"LOC-{i:03d}": (rng.uniform(25.0, 49.0), rng.uniform(-124.0, -67.0)) for i in range(LOCATIONS)}
    durations = []
    for _ in range(RUNS):
        started = time.perf_counter()
        rank_by_average_distance((40.7484, -73.9967), sets, coordinates, unit="mi")
        durations.append(time.perf_counter() - started)
    print(
        f"rank-byaverage-distance, 1,000 sets of 1-4 locations: median {statistics.median(durations) * 1000:.1f} ms"
        f"   max {max(durations) * 1000:.1f} ms"
    )


def test_b7_routing(figures):
    """B7 for the benchmark session (`make bench`): the same work, recorded as figures.

    The search is pure CPU in this process, so its CPU time is the figure that holds on a shared
    machine; wall time is recorded beside it."""
    rng = random.Random(20261120)
    scenarios = [inventory(rng, share) for share in (0.9, 0.6, 0.35, 0.2) for _ in range(max(RUNS // 4, 2))]
    durations, cpu = [], []
    for ordered, available in scenarios:
        started, started_cpu = time.perf_counter(), time.process_time()
        find_routes_with_fewest_splits(ordered, available, 5)
        durations.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    note = f"{len(scenarios)} inventories, each sku at 90/60/35/20 % of locations, ≤ 5 splits"
    figures.record(
        "B7.fewest_splits.median_ms",
        "find-routes-with-fewest-splits, 100 locations × 20 skus",
        statistics.median(durations) * 1000,
        "ms",
        "",
        note,
    )
    figures.record(
        "B7.fewest_splits.max_ms",
        "find-routes-with-fewest-splits, slowest inventory",
        max(durations) * 1000,
        "ms",
        "< 100",
        note,
    )
    figures.record(
        "B7.fewest_splits.cpu_max_ms",
        "find-routes-with-fewest-splits, CPU of the slowest inventory",
        max(cpu) * 1000,
        "ms",
        "< 100",
        f"median {statistics.median(cpu) * 1000:.1f} ms; {note}",
    )
    sets = [[f"LOC-{rng.randrange(LOCATIONS):03d}" for _ in range(rng.randint(1, 4))] for _ in range(1000)]
    coordinates = {f"LOC-{i:03d}": (rng.uniform(25.0, 49.0), rng.uniform(-124.0, -67.0)) for i in range(LOCATIONS)}
    ranked, ranked_cpu = [], []
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        rank_by_average_distance((40.7484, -73.9967), sets, coordinates, unit="mi")
        ranked.append(time.perf_counter() - started)
        ranked_cpu.append(time.process_time() - started_cpu)
    figures.record(
        "B7.rank_1000.median_ms",
        "rank-byaverage-distance of 1,000 location sets",
        statistics.median(ranked) * 1000,
        "ms",
        "< 50",
    )
    figures.record(
        "B7.rank_1000.cpu_ms",
        "rank-byaverage-distance of 1,000 location sets, CPU (median)",
        statistics.median(ranked_cpu) * 1000,
        "ms",
        "< 50",
    )


if __name__ == "__main__":
    main()
