# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install migrate demo run worker test test-serial lint format-check typecheck migrations-check check bench bench-publish

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

migrate: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --no-input

demo: migrate
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py load_demo_data --base-url http://$(HOST):$(PORT)

# Serves the console and API with a Celery worker (embedded filesystem broker, beat included)
# beside it; Ctrl-C stops both. The worker logs to .celery/worker.log so the logins stay in view.
# A worker that dies is started again after 2 s (docs/reliability.md, "Running it"); the web answers
# /health/ and /health/worker/.
run: demo
	@mkdir -p .celery && : > .celery/worker.log
	@( trap 'kill $$child 2>/dev/null; wait $$child 2>/dev/null; exit 0' INT TERM; \
	   while :; do \
	     DEBUG=$${DEBUG:-1} $(BIN)/celery -A config worker --beat --loglevel=INFO --concurrency=2 \
	       >> .celery/worker.log 2>&1 & child=$$!; \
	     wait $$child; status=$$?; \
	     echo "$$(date -u +%FT%TZ) the Celery worker exited ($$status); starting it again in 2 s" >> .celery/worker.log; \
	     sleep 2; \
	   done ) & supervisor=$$!; \
	trap 'kill $$supervisor 2>/dev/null; wait $$supervisor 2>/dev/null' EXIT INT TERM; \
	for _ in $$(seq 120); do \
		grep -q ' ready\.' .celery/worker.log && break; \
		kill -0 $$supervisor 2>/dev/null || { cat .celery/worker.log; echo "The Celery worker did not start." >&2; exit 1; }; \
		sleep 0.5; \
	done; \
	grep -q ' ready\.' .celery/worker.log || { cat .celery/worker.log; echo "The Celery worker is not ready after 60s." >&2; exit 1; }; \
	echo "Celery worker running under a restart loop (pid $$supervisor); its log: .celery/worker.log"; \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install
	DEBUG=$${DEBUG:-1} $(BIN)/celery -A config worker --loglevel=INFO --concurrency=2

# The suite across the cores (pytest-xdist): each worker has a test database of its own (on SQLite copied from
# one migrated once and kept in .test-db/ until a migration changes: tests/support/test_database.py), and the tests
# that start real processes (Celery workers, redis-server, Chromium) run one after the other on one
# worker (tests/conftest.py, XDIST_GROUPS). Bytecode is written even if PYTHONDONTWRITEBYTECODE is set:
# without it every worker compiles and assertion-rewrites every module again on each run.
# TEST_WORKERS=0 runs in one process; PYTEST_ARGS adds options (-x, -k ..., a path).
TEST_WORKERS ?= auto
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-serial: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The checks CI runs before the tests (.ci/run), also run by pre-commit (.pre-commit-config.yaml).
lint: install
	$(BIN)/ruff check .

format-check: install
	$(BIN)/ruff format --check .

# mypy strict on orders/calculations, the services and payments ([tool.mypy] in pyproject.toml).
typecheck: install
	$(BIN)/python -m mypy

migrations-check: install
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

check: lint format-check typecheck migrations-check

# The benchmark suite (docs/performance.md) on PostgreSQL and Redis, as CI has them: one table of
# figures, the same in bench-results.json. Its database is DATABASE_URL's name + "_bench", kept between
# runs; BENCH_ORDERS order summaries for the search figures (200000 by default, 1000000 for the full one).
# Every scenario runs BENCH_ROUNDS times (3), figures are medians. It refuses to start (exit 3) when the
# 1-minute load average is above 1 (BENCH_MAX_LOAD); BENCH_ALLOW_LOAD=1 runs anyway, marked unpublishable.
bench: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/oms} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} LOG_LEVEL=$${LOG_LEVEL:-WARNING} \
	$(BIN)/python -m pytest tests/bench -p no:cacheprovider -q -s -o addopts="" -o python_files="bench_*.py"

# The figures of the last `make bench` as Markdown rows for docs/performance.md; refuses (exit 1) when
# they may not be published (a tiny run, or a busy machine let through with BENCH_ALLOW_LOAD=1).
bench-publish:
	$(BIN)/python -m tests.bench.publish $${BENCH_RESULTS:-bench-results.json}
