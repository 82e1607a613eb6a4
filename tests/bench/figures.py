"""The figures a benchmark run produces: one table on the terminal, the same rows in bench-results.json.

Each scenario runs BENCH_ROUNDS times (3 by default, tests/bench/conftest.py); a figure's value is the
median of its rounds, and every round's value is kept beside it.
"""

import json
import os
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

# Every figure the suite must produce, in the table's order (each rate with the CPU per unit beside it);
# the tiny run in tests/perf checks that none is missing.
EXPECTED = (
    "B1.orders_per_s",
    "B1.app_cpu_ms_per_order",
    "B1.database_cpu_ms_per_order",
    "B1.client_cpu_ms_per_order",
    "B1.p50_ms",
    "B1.p95_ms",
    "B1.errors",
    "B1.rate100.p50_ms",
    "B1.rate100.p95_ms",
    "B1.rate100.errors",
    "B1.half_capacity.p95_ms",
    "B1b.orders_per_s",
    "B1b.app_cpu_ms_per_order",
    "B1b.database_cpu_ms_per_order",
    "B1b.errors",
    "B2.queries.1_line",
    "B2.queries.10_lines",
    "B2.queries.100_lines",
    "B3.preview.p95_ms",
    "B3.preview.cpu_ms",
    "B3.preview.queries",
    "B3.preview.queries_5_items",
    "B3.preview.writes",
    "B3.submit.p95_ms",
    "B3.submit.cpu_ms",
    "B3.submit.queries",
    "B3.submit.queries_5_items",
    "B3.submit.queries_50_changes",
    "B3.submit.queries_100_changes",
    "B4.median_ms",
    "B4.p95_ms",
    "B4.cpu_ms",
    "B4.queries",
    "B4.queries_5_items",
    "B5.summaries",
    "B5.generate_s",
    "B5.number.median_ms",
    "B5.email.median_ms",
    "B5.name_prefix.median_ms",
    "B5.list_first.median_ms",
    "B5.list_page100.median_ms",
    "B5.console_name.median_ms",
    "B5.cpu_ms",
    "B5.explain_seq_scans",
    "B6.operations_per_s",
    "B6.worker_cpu_ms_per_op",
    "B6.database_cpu_ms_per_op",
    "B6.submit_to_complete.median_ms",
    "B6.submit_to_complete.p95_ms",
    "B6.errors",
    "B6.database_connections_opened",
    "B7.fewest_splits.median_ms",
    "B7.fewest_splits.max_ms",
    "B7.fewest_splits.cpu_max_ms",
    "B7.rank_1000.median_ms",
    "B7.rank_1000.cpu_ms",
    "B8.gunicorn_worker_peak_rss_mb",
    "B8.celery_worker_peak_rss_mb",
)


def results_path() -> Path:
    return Path(os.environ.get("BENCH_RESULTS") or Path(settings.BASE_DIR) / "bench-results.json")


@dataclass
class Figure:
    id: str
    label: str
    value: float  # the median of `runs`
    unit: str
    target: str = ""
    note: str = ""
    runs: list[float] = field(default_factory=list)


@dataclass
class Publishing:
    """Whether these figures may be published, and why not (tests/bench/quiet.py decides)."""

    publishable: bool = True
    reasons: list[str] = field(default_factory=list)
    load_before: list[float] = field(default_factory=list)  # the 1-minute load average before each round

    def refuse(self, reason: str) -> None:
        self.publishable = False
        if reason not in self.reasons:
            self.reasons.append(reason)


class Figures:
    def __init__(self):
        self.rows: list[Figure] = []
        self.publishing = Publishing()

    def record(self, figure_id: str, label: str, value, unit: str, target: str = "", note: str = "") -> None:
        """One round's value of a figure; recorded again in a later round, the figure becomes their median
        (label, target and note are the last round's)."""
        value = round(float(value), 2)
        earlier = next((row.runs for row in self.rows if row.id == figure_id), [])
        runs = [*earlier, value]
        self.rows = [row for row in self.rows if row.id != figure_id]
        self.rows.append(Figure(figure_id, label, round(statistics.median(runs), 2), unit, target, note, runs))

    def table(self) -> str:
        lines = []
        if not self.publishing.publishable:
            lines.append("NOT PUBLISHABLE: " + "; ".join(self.publishing.reasons))
        lines += [f"{'id':<34} {'figure':<58} {'median':>12} {'unit':<9} {'target':<12} rounds", "-" * 150]
        for row in sorted(self.rows, key=lambda r: _order(r.id)):
            spread = f"{min(row.runs):,.2f}–{max(row.runs):,.2f} ({len(row.runs)})" if len(row.runs) > 1 else ""
            lines.append(
                f"{row.id:<34} {row.label[:58]:<58} {row.value:>12,.2f} {row.unit:<9} {row.target:<12} {spread}"
            )
        return "\n".join(lines)

    def write(self, machine: dict, *, tiny: bool, rounds: int) -> Path:
        path = results_path()
        body = {
            "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "tiny": tiny,
            "rounds": rounds,
            "publishable": self.publishing.publishable,
            "unpublishableBecause": self.publishing.reasons,
            "loadAverageBeforeRounds": self.publishing.load_before,
            "machine": machine,
            "figures": [asdict(row) for row in sorted(self.rows, key=lambda r: _order(r.id))],
        }
        path.write_text(json.dumps(body, indent=2) + "\n")
        return path


def _order(figure_id: str):
    return EXPECTED.index(figure_id) if figure_id in EXPECTED else len(EXPECTED)
