"""PostgreSQL: the rows of new orders written by one statement of data-modifying CTEs (issue 19).

An ingested order is about ten inserts (order, delivery groups, items, adjustments, taxes, summary, group
summaries, item summaries, payment summaries, authorizations or sales), each a round trip with its own
driver work, because a child needs its parent's id. Inside `one_statement()` the writers of those rows
(`orders.services.order_write`, `payments.services.checkout_payments`) call this module's `insert_rows`
as they would `orders.db.insert_rows`; it keeps the instances instead, each with a stand-in primary key
(a negative number, unique in the statement) that the children built after it take as their foreign key.
When the block ends, one statement writes them all:

    WITH t0 AS MATERIALIZED (SELECT nextval(<t0's sequence>) AS id, (e->>0)::bigint AS ph, (e->>1)::varchar AS c0, …
                             FROM json_array_elements($1::json) e),
         wt0 AS (INSERT INTO <table 0> (id, …) SELECT t0.id, t0.c0, … FROM t0),
         t1 AS MATERIALIZED (… FROM json_array_elements($2::json) e),
         wt1 AS (INSERT INTO <table 1> (id, <fk to table 0>, …)
                 SELECT t1.id, COALESCE(j0.id, t1.c0), … FROM t1 LEFT JOIN t0 AS j0 ON j0.ph = t1.c0),
         …
    SELECT ph, id FROM t0 UNION ALL SELECT ph, id FROM t1 …

Each table's rows come as one JSON array of rows, each the stand-in then the values of `orders.db`'s insert
plan (exactly what `insert_rows` would send, as text PostgreSQL casts back to the column's type), so the
text depends only on which tables have rows, not on how many: psycopg prepares it on its connection after
its fifth run (config/settings.py, DB_PREPARED_STATEMENTS) and PostgreSQL stops planning it. JSON rather
than one array per column (`unnest`): json.dumps is C, and psycopg dumps some two hundred arrays value by
value in Python. The ids come from each table's own sequence, in the order of the rows, as a bulk insert
takes them; the answer maps each stand-in to its id, which is then set on the instances (primary keys and
the foreign keys that held a stand-in). The foreign keys are checked at commit, as Django declares them
(DEFERRABLE INITIALLY DEFERRED).

A change order's rows (order, items, adjustment and tax lines, item summary changes) are written the same
way by `orders.services.change_flow.ChangeWriter`.

Anything the statement cannot take (SQLite, a model `orders.db` hands to bulk_create, a row given its own
primary key, more rows of a table that may refer to a table kept after it) writes what is kept so far and
is then inserted at once by `orders.db.insert_rows`.
OMS_INGEST_ONE_STATEMENT=False turns it off (every insert on its own, the reference the tests compare with).
"""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID

from django.conf import settings
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from psycopg.types.json import Jsonb

from orders import db
from orders.db import inserts

M = TypeVar("M", bound=Model)


class _Statement:
    """The rows kept for one statement, by model in the order their first rows came."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.rows: dict[type[Model], list[Model]] = {}
        self.values: dict[type[Model], list[list[Any]]] = {}
        self.last_stand_in = 0
        # Every stand-in written so far and its id: rows inserted on their own afterwards may hold one.
        self.ids: dict[int, int] = {}

    def keep(self, objs: Sequence[Model]) -> bool:
        model = type(objs[0])
        plan = inserts._plan(model, self.connection)
        if (
            plan is None
            or plan.unnest is None
            or router.db_for_write(model) != self.connection.alias
            or any(type(obj) is not model or obj.pk is not None for obj in objs)
        ):
            return False
        if model in self.rows and self._refers_to_later(model, plan.fields):
            return False
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        try:
            # Read now, as insert_rows reads them: the foreign keys hold their parents' stand-ins already.
            values = [plan.values(obj, self.connection) for obj in objs]
        except inserts._UseBulkCreate:
            return False
        for obj in objs:
            self.last_stand_in -= 1
            setattr(obj, plan.pk_attname, self.last_stand_in)
        self.rows.setdefault(model, []).extend(objs)
        self.values.setdefault(model, []).extend(values)
        return True

    def _refers_to_later(self, model: type[Model], fields: "list[Field[Any, Any]]") -> bool:
        """Whether more rows of `model` could refer to a model first kept after it: the statement joins a
        table's stand-ins only to the tables written before it (a change order's tax lines, kept before the
        adjustment lines of the next change order, that refer to those)."""
        kept = list(self.rows)
        later = kept[kept.index(model) + 1 :]
        return any(field.related_model in later for field in fields if field.many_to_one or field.one_to_one)

    def write(self) -> None:
        if not self.rows:
            return
        rows, values, self.rows, self.values = self.rows, self.values, {}, {}
        sql, foreign_keys = _sql(tuple(rows), self.connection)
        # One JSON array of rows per table: json.dumps is C, where psycopg would dump each of some two hundred
        # column arrays value by value in Python.
        params = [
            json.dumps([[obj.pk, *row] for obj, row in zip(objs, values[model], strict=True)], default=_json_value)
            for model, objs in rows.items()
        ]
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = dict(cursor.fetchall())
        self.ids.update(ids)
        if len(ids) != sum(len(objs) for objs in rows.values()):
            raise AssertionError(f"The statement returned {len(ids)} ids for {sum(map(len, rows.values()))} rows.")
        for model, objs in rows.items():
            pk_attname = model._meta.pk.attname
            for obj in objs:
                setattr(obj, pk_attname, ids[obj.pk])
                for attname in foreign_keys[model]:
                    value = getattr(obj, attname)
                    if value is not None and value < 0:
                        setattr(obj, attname, ids[value])
                obj._state.adding = False
                obj._state.db = self.connection.alias

    def resolve(self, objs: Sequence[Model]) -> None:
        """The stand-ins that rows about to be inserted on their own hold in their foreign keys, replaced by
        the ids the statement gave."""
        for field in objs[0]._meta.concrete_fields:
            if field.many_to_one or field.one_to_one:
                for obj in objs:
                    value = getattr(obj, field.attname)
                    if isinstance(value, int) and value < 0:
                        setattr(obj, field.attname, self.ids[value])


_open: ContextVar[_Statement | None] = ContextVar("ingest_statement", default=None)


@contextmanager
def one_statement(using: str = "default") -> Iterator[None]:
    """Inside: the rows given to `insert_rows` are kept; at the end of the block, written by one statement
    (their ids set then). On SQLite, or when OMS_INGEST_ONE_STATEMENT is off, every insert is made at once.
    The caller holds the transaction."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings.OMS_INGEST_ONE_STATEMENT or _open.get() is not None:
        yield
        return
    statement = _Statement(connection)
    token = _open.set(statement)
    try:
        yield
    finally:
        _open.reset(token)
    statement.write()


def insert_rows(objs: list[M]) -> list[M]:
    """`orders.db.insert_rows(objs)`, or, inside `one_statement()`, kept for its statement with stand-in ids."""
    if not objs:
        return objs
    statement = _open.get()
    if statement is not None:
        if statement.keep(objs):
            return objs
        statement.write()  # what this insert's rows may refer to is written first
        statement.resolve(objs)
    return db.insert_rows(objs)


_sqls: dict[tuple[tuple[type[Model], ...], str], tuple[str, dict[type[Model], list[str]]]] = {}


def _sql(models: tuple[type[Model], ...], connection: BaseDatabaseWrapper) -> tuple[str, dict[type[Model], list[str]]]:
    """The statement writing rows of `models` (parents before children), and each model's foreign keys to
    the others (the attributes whose stand-ins the answer replaces). Made once per process and shape."""
    key = (models, connection.alias)
    if key not in _sqls:
        quote = connection.ops.quote_name
        sequences = _sequences(models, connection)
        ctes: list[str] = []
        foreign_keys: dict[type[Model], list[str]] = {}
        alias: dict[type[Model], str] = {}
        for model in models:
            # Parents come first (their rows were kept before their children were built): a foreign key to a
            # model later in the statement (Order.summary, for a change order) holds a real id or none.
            alias[model] = f"t{len(alias)}"
            plan = inserts._plan(model, connection)
            assert plan is not None
            fields: list[Field[Any, Any]] = plan.fields
            columns = ", ".join(["(e->>0)::bigint AS ph"] + [_column(n, f, connection) for n, f in enumerate(fields)])
            me = alias[model]
            next_id = f"nextval({_literal(sequences[model])}::regclass)"
            source = "json_array_elements(%s::json) e"
            ctes.append(f"{me} AS MATERIALIZED (SELECT {next_id} AS id, {columns} FROM {source})")  # noqa: S608
            selected, joins, foreign_keys[model] = [f"{me}.id"], [], []
            for n, field in enumerate(fields):
                parent = field.related_model if field.many_to_one or field.one_to_one else None
                if parent in alias and parent is not model:
                    join = f"j{n}"
                    joins.append(f"LEFT JOIN {alias[parent]} AS {join} ON {join}.ph = {me}.c{n}")
                    selected.append(f"COALESCE({join}.id, {me}.c{n})")
                    foreign_keys[model].append(field.attname)
                else:
                    selected.append(f"{me}.c{n}")
            names = ", ".join(quote(cast(str, f.column)) for f in [model._meta.pk, *fields])
            rows = f"SELECT {', '.join(selected)} FROM {me} {' '.join(joins)}"  # noqa: S608
            ctes.append(f"w{me} AS (INSERT INTO {quote(model._meta.db_table)} ({names}) {rows})")
        # Quoted identifiers, sequence names and the fields' own column types only: no value is in the text.
        answer = " UNION ALL ".join(f"SELECT ph, id FROM {name}" for name in alias.values())  # noqa: S608
        _sqls[key] = (f"WITH {', '.join(ctes)} {answer}", foreign_keys)
    return _sqls[key]


def _column(n: int, field: "Field[Any, Any]", connection: BaseDatabaseWrapper) -> str:
    """Element n + 1 of a row's JSON array, as the field's column type (JSON as it is, anything else as text)."""
    if field.get_internal_type() == "JSONField":
        return f"(e->{n + 1})::jsonb AS c{n}"
    return f"(e->>{n + 1})::{str(field.db_type(connection)).split('(')[0]} AS c{n}"


def _json_value(value: object) -> object:
    """The JSON of a value a field prepared for the database: its text, which PostgreSQL casts back exactly
    (a Decimal keeps its digits and scale, a time its zone); a JSON field's value as the field dumps it."""
    if isinstance(value, Jsonb):
        return json.loads(value.dumps(value.obj)) if value.dumps else value.obj
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"No JSON for {type(value).__name__} in the ingest statement.")


_sequence_names: dict[tuple[type[Model], str], str] = {}


def _sequences(models: tuple[type[Model], ...], connection: BaseDatabaseWrapper) -> dict[type[Model], str]:
    """Each model's id sequence, asked once per process."""
    unknown = [model for model in models if (model, connection.alias) not in _sequence_names]
    if unknown:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(t, c) FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS r(t, c, n) "
                "ORDER BY n",
                [
                    [connection.ops.quote_name(model._meta.db_table) for model in unknown],
                    [model._meta.pk.column for model in unknown],
                ],
            )
            for model, (name,) in zip(unknown, cursor.fetchall(), strict=True):
                _sequence_names[(model, connection.alias)] = name
    return {model: _sequence_names[(model, connection.alias)] for model in models}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
