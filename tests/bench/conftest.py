"""The benchmark session: its own PostgreSQL database, real commits, and one table of figures at the end.

Run with `make bench` (see docs/performance.md). The database is `<DATABASE_URL's name>_bench`, kept
between runs so the large search data set is generated once and topped up after.
Nothing is rolled back or flushed: every scenario names its records with the run's own prefix.
"""

import pytest
from django.conf import settings
from django.db import connection

from tests.bench.figures import Figures
from tests.bench.support import TINY, machine, note_postgres_version


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    """`<name>_bench`, created and migrated when missing, kept afterwards (the search data set is large)."""
    from django.test.utils import setup_databases

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench"
    with django_db_blocker.unblock():
        setup_databases(verbosity=0, interactive=False, keepdb=True, aliases={"default"}, serialized_aliases=set())


@pytest.fixture(scope="session", autouse=True)
def bench_database(django_db_setup, django_db_blocker):
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
    path = _figures.write(machine(), tiny=TINY)
    print()
    print(_figures.table())
    print(f"\nFigures written to {path}")


@pytest.fixture(scope="session")
def storefront(bench_database):
    """A storefront's API key (orders read and write, bound to its channel) and a back-office key."""
    from orders.models import ApiClient, SalesChannel
    from tests.bench.support import RUN

    channel, _ = SalesChannel.objects.get_or_create(name="Bench Web")
    _, store_key = ApiClient.issue(name=f"bench-store-{RUN}", scopes=["orders:read", "orders:write"],
                                   sales_channel=channel)
    _, office_key = ApiClient.issue(name=f"bench-office-{RUN}", scopes=["all"])
    return {"channel": channel, "key": store_key, "office_key": office_key}


@pytest.fixture(scope="session", autouse=True)
def bench_queue(bench_database):
    """Tasks this run sends (routing of ingested orders, background operations) go to its own queue,
    dropped at the end: no other worker on the same broker takes them."""
    from config.celery import app
    from tests.bench.servers import purge_queue
    from tests.bench.support import RUN

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
