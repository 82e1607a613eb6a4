"""The benchmark's own rules (tests/bench): medians of rounds, the quiet-machine gate, the publishing step."""

import json

import pytest

from tests.bench import publish, quiet
from tests.bench.figures import Figures, Publishing


def test_a_figure_recorded_in_three_rounds_is_their_median_and_keeps_each_round():
    figures = Figures()
    for value in (120.0, 80.0, 95.5):
        figures.record("B1.orders_per_s", "ingest", value, "orders/s", "≥ 300")
    [row] = figures.rows
    assert row.value == 95.5
    assert row.runs == [120.0, 80.0, 95.5]
    assert "80.00–120.00 (3)" in figures.table()


def test_an_even_number_of_rounds_takes_the_mean_of_the_middle_two():
    figures = Figures()
    for value in (10, 40, 20, 30):
        figures.record("B7.fewest_splits.cpu_max_ms", "routing", value, "ms")
    assert figures.rows[0].value == 25.0


def test_a_quiet_machine_runs_and_publishes(monkeypatch):
    monkeypatch.delenv("BENCH_MAX_LOAD", raising=False)
    monkeypatch.delenv("BENCH_ALLOW_LOAD", raising=False)
    publishing = Publishing()
    assert quiet.check_before_run(publishing, tiny=False, load=0.42) is None
    assert publishing.publishable
    assert publishing.load_before == [0.42]


def test_a_busy_machine_refuses_to_run_and_says_how_to_go_on(monkeypatch):
    monkeypatch.delenv("BENCH_MAX_LOAD", raising=False)
    monkeypatch.delenv("BENCH_ALLOW_LOAD", raising=False)
    message = quiet.check_before_run(Publishing(), tiny=False, load=1.37)
    assert message.startswith("The benchmark refuses to run: the load average was 1.37 before the run, above 1.")
    assert "BENCH_ALLOW_LOAD=1" in message


def test_the_override_runs_on_a_busy_machine_and_marks_the_figures_unpublishable(monkeypatch):
    monkeypatch.delenv("BENCH_MAX_LOAD", raising=False)
    monkeypatch.setenv("BENCH_ALLOW_LOAD", "1")
    publishing = Publishing()
    assert quiet.check_before_run(publishing, tiny=False, load=3.5) is None
    assert not publishing.publishable
    assert publishing.reasons == ["the load average was 3.50 before the run, above 1 (run with BENCH_ALLOW_LOAD=1)"]


def test_the_threshold_is_configurable(monkeypatch):
    monkeypatch.setenv("BENCH_MAX_LOAD", "4")
    monkeypatch.delenv("BENCH_ALLOW_LOAD", raising=False)
    assert quiet.check_before_run(Publishing(), tiny=False, load=3.9) is None
    assert quiet.check_before_run(Publishing(), tiny=False, load=4.1) is not None


def test_a_tiny_run_never_refuses_and_is_never_published(monkeypatch):
    monkeypatch.delenv("BENCH_ALLOW_LOAD", raising=False)
    publishing = Publishing()
    assert quiet.check_before_run(publishing, tiny=True, load=9.0) is None
    assert not publishing.publishable


def _results(tmp_path, publishing: Publishing):
    figures = Figures()
    figures.publishing = publishing
    for value in (3.0, 5.0, 4.0):
        figures.record("B7.fewest_splits.cpu_max_ms", "slowest inventory", value, "ms", "< 100")
    path = tmp_path / "bench-results.json"
    body = {
        "generatedAt": "2026-12-03T16:00:00+00:00",
        "tiny": False,
        "rounds": 3,
        "publishable": publishing.publishable,
        "unpublishableBecause": publishing.reasons,
        "loadAverageBeforeRounds": publishing.load_before,
        "machine": {"cores": 2, "cpu": "EPYC", "memoryGiB": 23.5, "python": "3.11.7", "postgres": "PostgreSQL 15"},
        "figures": [
            {
                "id": row.id,
                "label": row.label,
                "value": row.value,
                "unit": row.unit,
                "target": row.target,
                "note": row.note,
                "runs": row.runs,
            }
            for row in figures.rows
        ],
    }
    path.write_text(json.dumps(body))
    return path


def test_the_publishing_step_prints_the_medians_of_a_quiet_run(tmp_path, capsys):
    path = _results(tmp_path, Publishing(load_before=[0.3, 2.1, 2.4]))
    assert publish.main(["publish", str(path)]) == 0
    out = capsys.readouterr().out
    assert "load average before the rounds 0.30, 2.10, 2.40" in out
    assert "| B7.fewest_splits.cpu_max_ms | slowest inventory | 4.00 ms | 3.00–5.00 | < 100 |" in out


@pytest.mark.parametrize(
    "reason",
    [
        "the load average was 3.50 before the run, above 1 (run with BENCH_ALLOW_LOAD=1)",
        "a tiny run (BENCH_TINY=1): a few iterations on little data",
    ],
)
def test_the_publishing_step_refuses_unpublishable_figures(tmp_path, capsys, reason):
    publishing = Publishing()
    publishing.refuse(reason)
    path = _results(tmp_path, publishing)
    assert publish.main(["publish", str(path)]) == 1
    assert capsys.readouterr().err == f"Not publishing {path}: {reason}.\n"
