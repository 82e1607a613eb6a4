"""Bound the pending list of the trigram search indexes on PostgreSQL.

GIN indexes take new entries into an unsorted pending list (`fastupdate`) that every search scans in
full until VACUUM or the list's limit merges it. With the default limit of 4 MB a busy hour of ingest
left 465 pending pages on the name index: a search by email took 24 ms in the database instead of
0.9 ms (measured on 1,000,000 summaries right after the ingest benchmark). A limit of 256 kB keeps the
scan to a few pages while inserts still reach the index in batches. SQLite has no such index.
"""

from django.db import migrations

INDEXES = ("os_name_upper_trgm", "os_email_upper_trgm")


def bound_pending_lists(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} SET (gin_pending_list_limit = 256)")


def default_pending_lists(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_search_indexes"),
    ]

    operations = [
        migrations.RunPython(bound_pending_lists, default_pending_lists, elidable=False),
    ]
