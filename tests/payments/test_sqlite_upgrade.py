"""An existing SQLite database upgrades through every later migration with its money triggers intact
(payments/sqlite_triggers.py): the database of a newcomer who ran `make run` before pulling."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRIGGERS = [
    ("payments_invoice_for_shipped_goods", "payments_invoice"),
    ("payments_invoice_for_shipped_goods_update", "payments_invoice"),
    ("payments_invoiced_fulfillment_order_stays", "orders_fulfillmentorder"),
    ("payments_invoiced_lines_stay", "orders_fulfillmentorderlineitem"),
]


# `manage.py migrate` once per target, in one process: Django starts and loads the migrations once.
MIGRATE = """
import sys
import django
from django.core.management import call_command
django.setup()
for target in sys.argv[1:]:
    call_command("migrate", *target.split(), interactive=False, verbosity=0)
"""


def migrate(database: Path, *targets: str) -> None:
    """Migrate to each target in turn ("orders 0007", or "" for every app's latest)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    done = subprocess.run(
        [sys.executable, "-c", MIGRATE, *targets],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def triggers(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return sorted(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'").fetchall())


def test_a_database_with_the_money_triggers_migrates_to_the_latest_schema_and_keeps_them(tmp_path):
    database = tmp_path / "old.sqlite3"
    # The schema as it was when the triggers came (orders 0007, payments 0006), before the orders migrations that
    # rebuild the fulfillment-order tables.
    migrate(database, "orders 0007", "payments 0006")
    assert triggers(database) == TRIGGERS
    migrate(database, "")
    assert triggers(database) == TRIGGERS
