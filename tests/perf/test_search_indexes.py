"""The search indexes on PostgreSQL (orders migrations 0004 and 0005): present, and the trigram ones with
a bounded pending list, so a search after a burst of ingest does not scan megabytes of unsorted entries."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _options() -> dict[str, list[str] | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relkind = 'i' AND relname LIKE 'os\\_%%'")
        return dict(cursor.fetchall())


def test_search_indexes_exist_and_trigram_pending_lists_are_bounded():
    options = _options()
    assert {
        "os_number_pattern",
        "os_number_upper_pattern",
        "os_email_upper",
        "os_name_upper_trgm",
        "os_email_upper_trgm",
    } <= set(options)
    assert options["os_name_upper_trgm"] == ["gin_pending_list_limit=256"]
    assert options["os_email_upper_trgm"] == ["gin_pending_list_limit=256"]
