"""PostgreSQL prepares a statement the app runs often (config/settings.py, DB_PREPARED_STATEMENTS)."""

import pytest
from django.db import connection

from orders.models import SalesChannel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_statement_run_five_times_is_prepared_on_its_connection():
    for _ in range(6):
        list(SalesChannel.objects.filter(name="Prepared").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "orders_saleschannel"' in statement for statement in prepared), prepared
