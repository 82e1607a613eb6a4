"""The benchmark session: its own PostgreSQL database, real commits, and one table of figures at the end.

Run with `make bench` (see docs/performance.md). The database is `<DATABASE_URL's name>_bench`, kept
between runs so the large search data set is generated once and topped up after.
Nothing is rolled back or flushed: every scenario names its records with the run's own prefix and round.

Every scenario runs BENCH_ROUNDS times (3 by default, 1 in a tiny run), the rounds one after the other
(all scenarios of round 1, then of round 2, ...) so that a slow minute of the machine does not fall on
one scenario's three runs; each figure is the median of its rounds. A run starts only on a quiet
machine (tests/bench/quiet.py).
"""

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.bench import quiet
from tests.bench.figures import Figures
from tests.bench.support import RUN, TINY, machine, note_postgres_version

ROUNDS = int(os.environ.get("BENCH_ROUNDS") or (1 if TINY else 3))


def pytest_generate_tests(metafunc):
    if "bench_round" in metafunc.fixturenames:
        metafunc.parametrize("bench_round", range(1, ROUNDS + 1), indirect=True, ids=lambda n: f"round{n}")


def pytest_collection_modifyitems(items):
    """Round 1 of every scenario, then round 2, ...: a stable sort, so the files keep their order."""

    def round_of(item):
        callspec = getattr(item, "callspec", None)
        return callspec.params.get("bench_round", 0) if callspec else 0

    if any(round_of(item) for item in items):
        items.sort(key=round_of)


@pytest.fixture(scope="session", autouse=True)
def quiet_machine():
    """Before anything else of the run: refuse to start on a busy machine (exit status 3)."""
    message = quiet.check_before_run(_figures.publishing, tiny=TINY)
    if message:
        pytest.exit(message, returncode=quiet.EXIT_BUSY)


_rounds_started: set[int] = set()


@pytest.fixture(autouse=True)
def bench_round(request, quiet_machine) -> int:
    """The round this run of a scenario belongs to (1..BENCH_ROUNDS); the load is noted as each begins."""
    number = getattr(request, "param", 1)
    if number not in _rounds_started:
        if _rounds_started:
            quiet.note_round(_figures.publishing)
        _rounds_started.add(number)
    return number


@pytest.fixture
def run(bench_round) -> str:
    """The prefix of the records this round of a scenario makes: the run's own, then the round."""
    return f"{RUN}-{bench_round}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    """`<name>_bench`, created and migrated when missing, kept afterwards (the search data set is large)."""
    from django.test.utils import setup_databases

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench"
    with django_db_blocker.unblock():
        setup_databases(verbosity=0, interactive=False, keepdb=True, aliases={"default"}, serialized_aliases=set())


@pytest.fixture(scope="session", autouse=True)
def bench_database(quiet_machine, django_db_setup, django_db_blocker):
    """The whole session may use the database, committing as production does (no test transaction)."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.exit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://…", returncode=2)
        if not settings.CELERY_BROKER_URL.startswith("redis"):
            pytest.exit("The benchmarks run with Redis: set CELERY_BROKER_URL=redis://…", returncode=2)
        note_postgres_version()
        yield


_figures = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _figures


def pytest_sessionfinish(session, exitstatus):
    if not _figures.rows:
        return
    path = _figures.write(machine(), tiny=TINY, rounds=ROUNDS)
    print()
    print(_figures.table())
    print(f"\nFigures written to {path}")


@pytest.fixture(scope="session")
def storefront(bench_database):
    """A storefront's API key (orders read and write, bound to its channel) and a back-office key."""
    from orders.models import ApiClient, SalesChannel

    channel, _ = SalesChannel.objects.get_or_create(name="Bench Web")
    _, store_key = ApiClient.issue(
        name=f"bench-store-{RUN}", scopes=["orders:read", "orders:write"], sales_channel=channel
    )
    _, office_key = ApiClient.issue(name=f"bench-office-{RUN}", scopes=["all"])
    return {"channel": channel, "key": store_key, "office_key": office_key}


@pytest.fixture(scope="session", autouse=True)
def bench_queue(bench_database):
    """Tasks this run sends (routing of ingested orders, background operations) go to its own queue,
    dropped at the end: no other worker on the same broker takes them."""
    from config.celery import app
    from tests.bench.servers import purge_queue

    queue = f"bench-{RUN.lower()}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous
    purge_queue(queue)


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Overrides the test suite's fixture of that name: the benchmarks send tasks through the broker
    (to the run's own queue) with the production settings, automatic routing included."""
    yield
