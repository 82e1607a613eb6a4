"""The benchmark suite in tiny mode (BENCH_TINY=1: a few iterations on little data), so it cannot rot.

It asserts only that the run succeeded and produced every figure; the figures themselves mean nothing
at this size. On a loaded machine it could fail: B1's 1-second parts sent too few requests (below ~4
orders/s the half-capacity part planned none, and a percentile of no latencies raised IndexError); each
timed part now sends at least a few requests however slow the machine is (AT_LEAST in
tests/bench/bench_ingest_http.py). Needs PostgreSQL and Redis, like `make bench`; its database is
DATABASE_URL's + "_bench".
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.bench.figures import EXPECTED

# It starts gunicorn and real Celery workers (celery_worker): under `make test`'s xdist that puts it in the
# group of the tests that start real processes (tests/conftest.py), one at a time, so that their start-up
# timeouts do not starve each other on 2 cores.
pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]


def test_every_benchmark_runs_and_reports_its_figures(tmp_path):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        if os.environ.get("OMS_REQUIRE_SERVICES"):
            pytest.fail("OMS_REQUIRE_SERVICES is set but CELERY_BROKER_URL is not Redis")
        pytest.skip("the benchmarks need Redis (set CELERY_BROKER_URL=redis://…)")
    results = tmp_path / "bench-results.json"
    env = {**os.environ, "BENCH_TINY": "1", "BENCH_RESULTS": str(results)}
    for setting in ("BENCH_ORDERS", "BENCH_ROUNDS", "BENCH_ALLOW_LOAD", "BENCH_MAX_LOAD"):
        env.pop(setting, None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/bench",
            "-p",
            "no:cacheprovider",
            "-q",
            "-s",
            "-o",
            "addopts=",
            "-o",
            "python_files=bench_*.py",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    written = json.loads(results.read_text())
    produced = {figure["id"] for figure in written["figures"]}
    assert sorted(set(EXPECTED) - produced) == []
    # A tiny run is never published, and it runs whatever the machine's load (CI machines are busy).
    assert written["publishable"] is False
    assert written["unpublishableBecause"] == ["a tiny run (BENCH_TINY=1): a few iterations on little data"]
