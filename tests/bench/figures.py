"""The figures a benchmark run produces: one table on the terminal, the same rows in bench-results.json."""

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

# Every figure the suite must produce; the tiny run in tests/perf checks that none is missing.
EXPECTED = (
    "B1.orders_per_s", "B1.p50_ms", "B1.p95_ms", "B1.errors", "B1.rate100.p50_ms", "B1.rate100.p95_ms",
    "B1.rate100.errors", "B1.half_capacity.p95_ms",
    "B1b.orders_per_s", "B1b.errors",
    "B2.queries.1_line", "B2.queries.10_lines", "B2.queries.100_lines",
    "B3.preview.p95_ms", "B3.preview.queries", "B3.preview.queries_5_items", "B3.preview.writes",
    "B3.submit.p95_ms", "B3.submit.queries", "B3.submit.queries_5_items", "B3.submit.queries_50_changes",
    "B3.submit.queries_100_changes", "B3.preview.cpu_ms", "B3.submit.cpu_ms",
    "B4.median_ms", "B4.p95_ms", "B4.queries", "B4.queries_5_items",
    "B5.summaries", "B5.generate_s",
    "B5.number.median_ms", "B5.email.median_ms", "B5.name_prefix.median_ms", "B5.list_first.median_ms",
    "B5.list_page100.median_ms", "B5.console_name.median_ms", "B5.explain_seq_scans",
    "B6.operations_per_s", "B6.submit_to_complete.median_ms", "B6.submit_to_complete.p95_ms", "B6.errors",
    "B6.worker_cpu_ms_per_op", "B6.database_cpu_ms_per_op", "B6.database_connections_opened",
    "B7.fewest_splits.median_ms", "B7.fewest_splits.max_ms", "B7.rank_1000.median_ms",
    "B8.gunicorn_worker_peak_rss_mb", "B8.celery_worker_peak_rss_mb",
)


def results_path() -> Path:
    return Path(os.environ.get("BENCH_RESULTS") or Path(settings.BASE_DIR) / "bench-results.json")


@dataclass
class Figure:
    id: str
    label: str
    value: float
    unit: str
    target: str = ""
    note: str = ""


class Figures:
    def __init__(self):
        self.rows: list[Figure] = []

    def record(self, figure_id: str, label: str, value, unit: str, target: str = "", note: str = "") -> None:
        value = round(float(value), 2)
        self.rows = [row for row in self.rows if row.id != figure_id]
        self.rows.append(Figure(figure_id, label, value, unit, target, note))

    def table(self) -> str:
        lines = [f"{'id':<34} {'figure':<58} {'value':>12} {'unit':<9} target", "-" * 130]
        for row in sorted(self.rows, key=lambda r: _order(r.id)):
            lines.append(f"{row.id:<34} {row.label[:58]:<58} {row.value:>12,.2f} {row.unit:<9} {row.target}")
        return "\n".join(lines)

    def write(self, machine: dict, *, tiny: bool) -> Path:
        path = results_path()
        body = {
            "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "tiny": tiny,
            "machine": machine,
            "figures": [asdict(row) for row in sorted(self.rows, key=lambda r: _order(r.id))],
        }
        path.write_text(json.dumps(body, indent=2) + "\n")
        return path


def _order(figure_id: str):
    return EXPECTED.index(figure_id) if figure_id in EXPECTED else len(EXPECTED)
