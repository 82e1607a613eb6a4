import os

import pytest
from django.db import connection

from tests.factories import ApiKeyClient


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


@pytest.fixture
def reason_codes():
    """The default reason codes again: transactional tests flush the tables, the data migration's rows
    with them. Use in tests marked django_db(transaction=True)."""
    from orders.models import DEFAULT_REASON_CODES, ReasonCode

    for name in DEFAULT_REASON_CODES:
        ReasonCode.objects.get_or_create(name=name)


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
