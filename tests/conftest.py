import os

import pytest
from django.db import connection

from config.celery import app as celery_app
from tests.factories import ApiKeyClient
from tests.support.test_database import create_test_database


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks; on SQLite they are skipped, in CI they must run."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("OMS_REQUIRE_SERVICES"):
        raise pytest.UsageError("OMS_REQUIRE_SERVICES is set but DATABASE_URL is not PostgreSQL")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


if connection.vendor == "sqlite":

    @pytest.fixture(scope="session")
    def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
        """Replaces pytest-django's: the SQLite test database is copied from one migrated once for the current
        migrations (tests/support/test_database.py) instead of migrated again by every test process.
        PostgreSQL keeps pytest-django's fixture."""
        if request.config.getvalue("nomigrations"):
            raise pytest.UsageError("--no-migrations: the SQLite test database is always built by the migrations")
        with django_db_blocker.unblock():
            old_name = create_test_database(
                connection,
                rebuild=request.config.getvalue("create_db"),
                serialize=any(_needs_serialized_rollback(item) for item in request.session.items),
            )
        yield
        with django_db_blocker.unblock():
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _needs_serialized_rollback(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("serialized_rollback")) or (
        "django_db_serialized_rollback" in getattr(item, "fixturenames", ())
    )


# Tests that start real processes (Celery workers, redis-server, Chromium) run one at a time on one
# xdist worker (`--dist loadgroup` in make test): two at once would starve each other's timeouts on a
# 2-core machine, and each worker would otherwise launch a browser of its own.
XDIST_GROUPS = {"celery_worker": "real-processes", "browser": "browser"}


def pytest_itemcollected(item):
    """Marks the tests of XDIST_GROUPS with their group, during collection: before xdist reads the marks."""
    for marker, group in XDIST_GROUPS.items():
        if item.get_closest_marker(marker) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group))


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests flush every table, and with them the rows data migrations made (reason
    codes, the console's groups, the agent refund limits): put them back before such a test runs."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from console.roles import ensure_roles
    from orders.models import DEFAULT_REASON_CODES, ReasonCode

    for position, name in enumerate(DEFAULT_REASON_CODES):
        ReasonCode.objects.get_or_create(name=name, defaults={"sort_order": position})
    ensure_roles()
    from payments.models.agent_refunds import ensure_default_refund_limits

    ensure_default_refund_limits()


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request, settings):
    """Tasks a test enqueues run in-process, so no message is left in a broker for a later
    `make run` worker to consume; tests marked celery_worker talk to a real worker instead.
    Automatic routing is off unless a test turns it on: it would route every ingested order."""
    settings.OMS_AUTO_ROUTE_ORDERS = False
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def api(db):
    """An API client with every scope and no channel (a back-office integration)."""
    return ApiKeyClient.create(name="backoffice", scopes=["all"])


@pytest.fixture
def make_api(db):
    """Build API clients with chosen scopes and channel: make_api(scopes=[...], channel=...)."""
    counter = {"n": 0}

    def build(scopes=("all",), channel=None, name=None):
        counter["n"] += 1
        return ApiKeyClient.create(name=name or f"client-{counter['n']}", scopes=list(scopes), channel=channel)

    return build
