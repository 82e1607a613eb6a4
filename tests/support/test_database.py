"""The SQLite test database, migrated once and reused by every test process until the schema's sources change.

Migrating an empty database costs each pytest process (each xdist worker) about 19 s of CPU, almost all of
it Django rebuilding the migration state of 63 migrations. The first process that finds no template for
the current sources migrates as Django's test runner would (`create_test_db`, post_migrate included: the
SQLite triggers, permissions, content types) and saves the result as a file; every process then copies
that file into its own in-memory test database with SQLite's backup API, the way Django clones a SQLite
test database for its parallel runner. Tests run on the same in-memory database as before.

The file is named by a digest of what decides its content, so a stale schema is never used: every
installed app's migration files, the modules those migrations reference, the pre/post_migrate receivers'
modules, the Django and SQLite versions. `pytest --create-db` rebuilds it regardless.
"""

import ast
import fcntl
import hashlib
import importlib.util
import inspect
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_migrate, pre_migrate

TEMPLATE_DIR = Path(settings.BASE_DIR) / ".test-db"


def create_test_database(connection: BaseDatabaseWrapper, *, rebuild: bool = False, serialize: bool = False) -> str:
    """Point `connection` at its test database, filled from the template (built first if needed), as
    `connection.creation.create_test_db` does with migrations. Returns the name it replaced, for
    `destroy_test_db`."""
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    template = TEMPLATE_DIR / f"sqlite-{schema_digest()}.sqlite3"
    # Held while copying too: another checkout of the sources may be replacing the file meanwhile.
    with _exclusive(TEMPLATE_DIR / "build.lock"):
        if rebuild or not template.exists():
            creation.create_test_db(verbosity=0, autoclobber=True, serialize=serialize)
            _save(connection, template)
            return old_name
        test_name = creation._create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = test_name
        connection.settings_dict["NAME"] = test_name
        connection.ensure_connection()
        # Read-only: a file that vanished raises instead of being created empty.
        source = sqlite3.connect(f"{template.as_uri()}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    if serialize:
        connection._test_serialized_contents = creation.serialize_db_to_string()
    call_command("createcachetable", database=connection.alias)
    return old_name


def copy_template(target: Path) -> bool:
    """Write the migrated database of the current sources into the SQLite file `target`, for a test that
    needs a migrated file for other processes (a Celery worker, manage.py). False when no template has been
    built for these sources (a PostgreSQL run): the caller migrates instead."""
    template = TEMPLATE_DIR / f"sqlite-{schema_digest()}.sqlite3"
    with _exclusive(TEMPLATE_DIR / "build.lock"):
        if not template.exists():
            return False
        source = sqlite3.connect(f"{template.as_uri()}?mode=ro", uri=True)
        try:
            with sqlite3.connect(target) as copy:
                source.backup(copy)
            copy.close()
        finally:
            source.close()
    return True


def schema_digest() -> str:
    """A digest of every source the migrated database's content depends on."""
    digest = hashlib.sha256(f"{django.__version__} {sqlite3.sqlite_version}".encode())
    for path in sorted(_schema_sources()):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _schema_sources() -> set[Path]:
    from django.db.migrations.loader import MigrationLoader

    sources: set[Path] = set()
    for config in apps.get_app_configs():
        module_name, _explicit = MigrationLoader.migrations_module(config.label)
        spec = importlib.util.find_spec(module_name) if module_name else None
        if spec is None or not spec.submodule_search_locations:
            # No migrations: `migrate --run-syncdb` creates the tables from the models.
            if config.models_module is not None:
                sources.add(Path(inspect.getfile(config.models_module)))
            continue
        for path in Path(next(iter(spec.submodule_search_locations))).glob("*.py"):
            sources.add(path)
            sources |= _imported_project_files(path)
    for signal in (pre_migrate, post_migrate):
        for _key, reference, _is_async in signal.receivers:
            receiver = reference() if isinstance(reference, weakref.ReferenceType) else reference
            if receiver is not None:
                sources.add(Path(inspect.getfile(inspect.unwrap(receiver))))
    return sources


def _imported_project_files(migration: Path) -> set[Path]:
    """The project's modules a migration imports, at the top or inside a RunPython function (a field's
    default callable, a shared helper): changing them may change what the migration writes."""
    base = Path(settings.BASE_DIR)
    names: set[str] = set()
    for node in ast.walk(ast.parse(migration.read_bytes())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    found: set[Path] = set()
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin and origin.suffix == ".py" and origin.is_relative_to(base):
            found.add(origin)
    return found


def _save(connection: BaseDatabaseWrapper, template: Path) -> None:
    """Write the template beside its final name, then rename: a reader never sees half a database."""
    for stale in template.parent.glob("sqlite-*.sqlite3"):
        stale.unlink()
    partial = template.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    connection.ensure_connection()
    with sqlite3.connect(partial) as target:
        connection.connection.backup(target)
    target.close()
    partial.replace(template)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One process builds the template; the others wait for it instead of migrating too."""
    lock_path.parent.mkdir(exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
