"""Indexes for the order summary search (API `q`, console search) on PostgreSQL.

The list's filters and keyset order have their btree indexes in the model (0001). Searching by text
needs indexes on the expressions the queries compare: `order_number LIKE 'x%'` (a pattern-ops btree,
since the database collation is not C), `UPPER(order_number) LIKE 'X%'`, and trigram GIN indexes on
`UPPER(bill_to_name)` and `UPPER(bill_to_email)` for prefix and substring matches, and a btree on
`UPPER(bill_to_email)` for the exact email (a trigram index answers equality too, but every address
shares the trigrams of its domain). Expression indexes have statistics only once analyzed. SQLite runs the tests with small tables and has no such index types: the
operations do nothing there. Built CONCURRENTLY so that a live database keeps taking orders.
"""

from django.db import migrations

INDEXES = {
    "os_number_pattern": "(order_number varchar_pattern_ops)",
    "os_number_upper_pattern": "(UPPER(order_number) text_pattern_ops)",
    "os_email_upper": "(UPPER(bill_to_email))",
    "os_name_upper_trgm": "USING gin (UPPER(bill_to_name) gin_trgm_ops)",
    "os_email_upper_trgm": "USING gin (UPPER(bill_to_email) gin_trgm_ops)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON orders_ordersummary {definition}")
    schema_editor.execute("ANALYZE orders_ordersummary")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0003_fulfillment_and_returns"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
