"""The reused SQLite test database (tests/support/test_database.py) is named by what decides its content."""

from pathlib import Path

from django.conf import settings

from tests.support.test_database import _schema_sources

BASE = Path(settings.BASE_DIR)


def test_the_template_is_keyed_by_every_migration_and_the_migrate_signal_handlers():
    sources = _schema_sources()
    for app in ("orders", "payments", "console"):
        migrations = set((BASE / app / "migrations").glob("*.py"))
        assert migrations and migrations <= sources
    # post_migrate recreates the SQLite triggers from this module, not from a migration.
    assert BASE / "payments" / "sqlite_triggers.py" in sources
    # A migration's field default refers to it (orders/migrations/0013_events_and_webhooks.py).
    assert BASE / "orders" / "models" / "events.py" in sources
    # Django's own apps are migrated too: their migrations count.
    assert any(path.parts[-3:-1] == ("auth", "migrations") for path in sources)
