"""The benchmark suite in tiny mode (BENCH_TINY=1: a few iterations on little data), so it cannot rot.

It asserts only that the run succeeded and produced every figure; the figures themselves mean nothing
at this size. Needs PostgreSQL and Redis, like `make bench`; its database is DATABASE_URL's + "_bench".
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.bench.figures import EXPECTED

pytestmark = pytest.mark.postgres


def test_every_benchmark_runs_and_reports_its_figures(tmp_path):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        if os.environ.get("OMS_REQUIRE_SERVICES"):
            pytest.fail("OMS_REQUIRE_SERVICES is set but CELERY_BROKER_URL is not Redis")
        pytest.skip("the benchmarks need Redis (set CELERY_BROKER_URL=redis://…)")
    results = tmp_path / "bench-results.json"
    env = {**os.environ, "BENCH_TINY": "1", "BENCH_RESULTS": str(results)}
    env.pop("BENCH_ORDERS", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/bench", "-p", "no:cacheprovider", "-q", "-s", "-o", "addopts=",
         "-o", "python_files=bench_*.py"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    produced = {figure["id"] for figure in json.loads(results.read_text())["figures"]}
    assert sorted(set(EXPECTED) - produced) == []
