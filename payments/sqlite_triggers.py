"""The money triggers of payments 0006 kept on SQLite across later migrations.

SQLite cannot alter most columns in place, so Django's schema editor rebuilds the table (create a copy, move
the rows, drop the old one, rename the copy). The drop silently takes the table's own triggers with it, and
the rename is refused while a trigger of another table names the table ("error in trigger
payments_invoice_for_shipped_goods: no such table"), which broke upgrading an existing database. So on SQLite
the triggers come down before a migrate and go back up after it, as payments 0006 defines them, whenever that
migration is applied. PostgreSQL keeps triggers through an ALTER TABLE and is left alone.
"""

from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

TRIGGERS_MIGRATION = ("payments", "0006_invoice_only_for_shipped_goods")


def _definition() -> ModuleType:
    return import_module(f"payments.migrations.{TRIGGERS_MIGRATION[1]}")


def _sqlite(using: str) -> BaseDatabaseWrapper | None:
    connection = connections[using]
    return connection if connection.vendor == "sqlite" else None


def drop_before_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    connection = _sqlite(using)
    if connection is None:
        return
    with connection.cursor() as cursor:
        for statement in _definition().SQLITE_REVERSE:
            cursor.execute(statement)


def restore_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    connection = _sqlite(using)
    if connection is None or TRIGGERS_MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return
    definition = _definition()
    with connection.cursor() as cursor:
        for statement in [*definition.SQLITE_REVERSE, *definition.SQLITE]:
            cursor.execute(statement)
