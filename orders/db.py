"""The performance machinery, in one place: what Django's ORM does on the hot paths, with the per-call
work done once. Each function is held to Django's own result by tests/orders/test_db.py (and
test_bulk_insert.py, test_update_rows.py); outside the hot paths, use the ORM.

- `insert_rows(objs)`: what `bulk_create` does for new instances, with one INSERT … RETURNING.
- `update_rows(model, rows, fields)`: what `bulk_update` does, one UPDATE with a CASE per column.
- `update_by_key(model, key_filter, key_field, values, set_also)`: several rows found by a key of theirs
  (not the primary key), each its own values, one UPDATE with a CASE over the key (idempotency answers).
- `capped_count(queryset, limit)`: `min(queryset.count(), limit)` without counting past `limit`.
- `ActiveReasonCodes()`: the names of the active reason codes as one JSON array, read inside a query that
  runs anyway.
- `CompiledQuery(build)`: a queryset of a fixed shape compiled to SQL once per process, then run with new
  values (the API key's lookup on every request).

## insert_rows
Insert new model instances with one INSERT … RETURNING, without Django's per-field insert compiler.

`bulk_create` compiles every insert anew: for each field of each object it calls pre_save, looks for an
expression, and runs get_db_prep_save through several layers of field methods; for the nine inserts of
an ingested order that machinery was about a third of the order's CPU. `insert_rows` sends the same
parameters with the work per model done once: the columns, the SQL, and for each field how its value
is read (pre_save only where a field overrides it, e.g. auto_now_add) and converted. A value a field
stores as it is (text in a CharField, a Decimal in a DecimalField, a bool in a BooleanField, an id in a
foreign key, None) goes straight through: Django's get_db_prep_save returns it unchanged or an equal
copy. Any other value goes through the field's own get_db_prep_save, as bulk_create would send it.

Everything else bulk_create does for new objects is kept: the check that related objects are saved
(`_prepare_related_fields_for_save`), batches the backend can take, primary keys and `_state` set from
RETURNING, several statements in one transaction (a single one in autocommit is its own). Anything
outside that (an object with a primary key, an expression as a value, a field with its own
placeholder, a model with order_with_respect_to or a parent, a backend that cannot return rows from a
bulk insert) is handed to bulk_create itself.
"""

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    AutoField,
    BigAutoField,
    BooleanField,
    CharField,
    DecimalField,
    EmailField,
    Expression,
    Field,
    ForeignKey,
    Model,
    QuerySet,
    TextField,
)
from django.db.models.fields import AutoFieldMixin
from django.db.models.query import get_related_populators

from orders.models import ReasonCode

_AS_IS: dict[type, tuple[type, ...]] = {
    CharField: (str,),
    EmailField: (str,),
    TextField: (str,),
    DecimalField: (Decimal,),
    BooleanField: (bool,),
}


class _UseBulkCreate(Exception):
    pass


def _as_is(field, connection) -> tuple[type, ...]:
    """The types of value the field's get_db_prep_save returns unchanged (or as an equal copy)."""
    types = _AS_IS.get(type(field), ())
    if (
        isinstance(field, ForeignKey)
        and isinstance(field.target_field, AutoFieldMixin)
        and type(connection.ops).validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
    ):
        types += (int,)  # an id: int(value), then the backend's validate_autopk_value, which keeps it
    if field.null:
        types += (type(None),)
    return types


class _Plan:
    """One model on one database: the INSERT's columns and how each field's value is read."""

    def __init__(self, model, connection):
        opts = model._meta
        if (
            opts.parents
            or opts.order_with_respect_to
            or opts.db_returning_fields != [opts.pk]
            or not isinstance(opts.pk, AutoField | BigAutoField)
        ):
            raise _UseBulkCreate
        self.fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.pk]
        if any(hasattr(f, "get_placeholder") for f in self.fields):
            raise _UseBulkCreate
        quote = connection.ops.quote_name
        self.head = (
            f"{connection.ops.insert_statement(on_conflict=None)} {quote(opts.db_table)} "
            f"({', '.join(quote(f.column) for f in self.fields)}) "
        )
        self.row = f"({', '.join(['%s'] * len(self.fields))})"
        # PostgreSQL: several rows as one array per column, as bulk_create sends them (one short statement
        # whatever the number of rows, so the driver and the server parse and plan it once).
        self.unnest = None
        if connection.vendor == "postgresql" and all(
            (f.target_field if f.is_relation else f).get_internal_type() in connection.data_types for f in self.fields
        ):
            arrays = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in self.fields)
            # Quoted identifiers and the fields' own column types only: no value is ever in the text.
            self.unnest = f"SELECT * FROM UNNEST({arrays})"  # noqa: S608
        self.returning, _ = connection.ops.return_insert_columns([opts.pk])
        self.pk_attname = opts.pk.attname
        self.readers = [
            (field, field.attname, type(field).pre_save is not Field.pre_save, _as_is(field, connection))
            for field in self.fields
        ]

    def values(self, obj, connection) -> list:
        row = []
        for field, attname, pre_save, as_is in self.readers:
            value = field.pre_save(obj, True) if pre_save else getattr(obj, attname)
            if type(value) not in as_is:
                if hasattr(value, "resolve_expression"):
                    raise _UseBulkCreate
                value = field.get_db_prep_save(value, connection=connection)
            row.append(value)
        return row


_plans: dict[tuple[type, str], _Plan | None] = {}


def _plan(model, connection) -> _Plan | None:
    key = (model, connection.alias)
    if key not in _plans:
        try:
            _plans[key] = _Plan(model, connection)
        except _UseBulkCreate:
            _plans[key] = None
    return _plans[key]


def insert_rows(objs: list) -> list:
    """Insert new (unsaved) instances of one model; what `Model.objects.bulk_create(objs)` does for them."""
    if not objs:
        return objs
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    plan = _plan(model, connection)
    if (
        plan is None
        or not connection.features.can_return_rows_from_bulk_insert
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
    ):
        return model._default_manager.bulk_create(objs)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    try:
        rows = [plan.values(obj, connection) for obj in objs]
    except _UseBulkCreate:
        return model._default_manager.bulk_create(objs)
    batch = max(connection.ops.bulk_batch_size(plan.fields, objs), 1)
    # Several statements are made one by one transaction, as bulk_create does; a single statement is one
    # already (in autocommit, no BEGIN and COMMIT around it, as Model.save sends none).
    atomically = (
        transaction.atomic(using=using, savepoint=False)
        if len(objs) > batch
        else transaction.mark_for_rollback_on_error(using=using)
    )
    with atomically, connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = rows[start : start + batch]
            if plan.unnest and len(chunk) > 1:
                columns = [list(column) for column in zip(*chunk, strict=True)]
                cursor.execute(f"{plan.head}{plan.unnest} {plan.returning}", columns)
            else:
                cursor.execute(
                    f"{plan.head}VALUES {', '.join([plan.row] * len(chunk))} {plan.returning}",
                    [value for row in chunk for value in row],
                )
            returned = cursor.fetchall()
            if len(returned) != len(chunk):
                raise AssertionError(
                    f"INSERT into {model._meta.db_table} returned {len(returned)} ids for {len(chunk)} rows."
                )
            for obj, (pk,) in zip(objs[start : start + batch], returned, strict=True):
                setattr(obj, plan.pk_attname, pk)
                obj._state.adding = False
                obj._state.db = using
    return objs


# ## update_rows and update_by_key


def update_rows(model: type[Model], rows: Sequence[Model], field_names: Iterable[str]) -> None:
    """Save `field_names` of `rows` (each row its own values) in one UPDATE.

    What bulk_update does, and the same SQL for the values: each column set to a CASE over the primary
    key, cast to the column's type where the database needs it (PostgreSQL), each value prepared by its
    field as a save prepares it, in batches of the size bulk_update uses. bulk_update builds and resolves
    an ORM condition per row and field, which costs about 40 ms of CPU for 50 item summaries and 4
    fields; this writes the statement directly (about 2 ms). One row gets the plain `SET column = %s`
    that QuerySet.update would send.
    """
    field_names = list(field_names)
    if not rows or not field_names:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk_column = quote(meta.pk.column)
    if len(rows) == 1:
        # What QuerySet.filter(pk=…).update(…) sends for one row.
        row = rows[0]
        params = [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608
                [*params, row.pk],
            )
        return
    cast = connection.features.requires_casted_case_in_updates
    batch_size = connection.ops.bulk_batch_size(["pk", "pk", *fields], rows) or len(rows)
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            assignments, params = [], []
            for field in fields:
                for row in batch:
                    params += (row.pk, field.get_db_prep_save(getattr(row, field.attname), connection))
                case = f"CASE {pk_column}{' WHEN %s THEN %s' * len(batch)} END"
                if cast:
                    case = f"CAST({case} AS {field.cast_db_type(connection)})"
                assignments.append(f"{quote(field.column)} = {case}")
            params += [row.pk for row in batch]
            # Only quoted names from the model's meta are formatted in; every value is a parameter.
            sql = (
                f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608
                f"WHERE {pk_column} IN ({', '.join(['%s'] * len(batch))})"
            )
            cursor.execute(sql, params)


def update_by_key(
    model: type[Model],
    *,
    where: Mapping[str, object],
    key: str,
    rows: Mapping[object, Mapping[str, object]],
    also: Mapping[str, object] | None = None,
) -> int:
    """Give each row found by `where` and its `key` field its own values, in one UPDATE; returns the count.

    `rows` maps a key value to {field name: value} (the same fields for every key); `also` sets fields
    to one value for all of them. What `model.objects.filter(**where, **{key: k}).update(**values)` does
    for each key in turn, as one statement: each column a CASE over the key. bulk_update would first read
    the rows for their primary keys and then resolve a When() expression per row and column (a sixth of a
    100-order batch's CPU when it kept the Idempotency-Key answers).
    """
    if not rows:
        return 0
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    key_field = meta.get_field(key)
    key_column = quote(key_field.column)
    names = list(next(iter(rows.values())))
    cast = connection.features.requires_casted_case_in_updates
    assignments, params = [], []
    keys = [key_field.get_db_prep_save(value, connection) for value in rows]
    for name in names:
        field = meta.get_field(name)
        case = f"CASE {key_column}{' WHEN %s THEN %s' * len(rows)} END"
        if cast:
            case = f"CAST({case} AS {field.cast_db_type(connection)})"
        assignments.append(f"{quote(field.column)} = {case}")
        for prepared_key, values in zip(keys, rows.values(), strict=True):
            params += (prepared_key, field.get_db_prep_save(values[name], connection))
    for name, value in (also or {}).items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    conditions = []
    for name, value in where.items():
        field = meta.get_field(name)
        conditions.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    conditions.append(f"{key_column} IN ({', '.join(['%s'] * len(keys))})")
    params += keys
    # Only quoted names from the model's meta are formatted in; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# ## capped_count


def capped_count(queryset: QuerySet, limit: int) -> int:
    """The number of rows of `queryset`, counting no further than `limit`: one query.

    The rows come from a MATERIALIZED common table expression, which PostgreSQL plans as for the whole
    result (with the search's trigram indexes) and reads only as far as the outer LIMIT asks. A LIMIT
    inside the subquery instead makes the planner bet that a sequential scan finds the first rows
    early, which on a million summaries is several times slower than the indexes.
    """
    query = queryset.order_by().values("pk").query
    # Django's own SQL for the queryset, its values passed as parameters.
    sql, params = query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"WITH matches AS MATERIALIZED ({sql}) SELECT COUNT(*) FROM (SELECT 1 FROM matches LIMIT %s) AS capped",  # noqa: S608
            (*params, limit),
        )
        return cursor.fetchone()[0]


# ## ActiveReasonCodes


class ActiveReasonCodes(Expression):
    """The names of the active reason codes as one JSON array (text), a scalar subquery: reference data
    read in the query a change makes anyway instead of one of its own. `reason_codes(value)` reads it."""

    output_field = TextField()

    def _from(self, connection) -> str:
        quote = connection.ops.quote_name
        return f"FROM {quote(ReasonCode._meta.db_table)} WHERE {quote('is_active')}"

    def as_sql(self, compiler, connection):
        return f"(SELECT JSON_GROUP_ARRAY({connection.ops.quote_name('name')}) {self._from(connection)})", []

    def as_postgresql(self, compiler, connection):
        return f"(SELECT JSON_AGG({connection.ops.quote_name('name')})::text {self._from(connection)})", []


def reason_codes(raw: str | None) -> frozenset[str]:
    """The names an `ActiveReasonCodes` annotation read."""
    return frozenset(json.loads(raw)) if raw else frozenset()


# ## CompiledQuery


class CompiledQuery:
    """`build(*values)` returns a queryset whose shape does not depend on the values (filters on fixed
    fields, select_related); `instances(*values)` gives what iterating `build(*values)` gives, model
    instances with their select_related objects and annotations, with the SQL compiled once per thread and
    database. The values are text; with `numbers=True`, integers (ids).

    Django resolves and compiles a queryset on every evaluation (about 1 ms of CPU for the API key's
    lookup with its sales channel, on every request); here only the values change. The rows are read by
    Django's own compiler (the column converters) and instances made as its ModelIterable makes them.
    """

    _MARK = "\x00compiled-query-value-{}\x00"
    # For values an integer field takes (ids): numbers no row has, each standing for one value.
    _NUMBER_MARK = -7_019_283_746_501

    def __init__(self, build: Callable[..., QuerySet[Any]], *, numbers: bool = False) -> None:
        self.build = build
        self.numbers = numbers
        # Per thread: a compiler keeps the connection it was made for (each thread has its own), and its
        # converters are given that connection.
        self._local = threading.local()

    def _compile(self, using: str, count: int) -> tuple:
        marks: list[Any] = [
            self._NUMBER_MARK - index if self.numbers else self._MARK.format(index) for index in range(count)
        ]
        queryset = self.build(*marks)
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        slots = [marks.index(param) if param in marks else None for param in params]
        if sorted(slot for slot in slots if slot is not None) != list(range(count)):
            raise ValueError("Each value must appear once among the query's parameters.")
        return compiler, sql, params, slots

    def instances(self, *values, using: str = "default") -> list:
        compiled = getattr(self._local, "by_alias", None)
        if compiled is None:
            compiled = self._local.by_alias = {}
        if using not in compiled:
            compiled[using] = self._compile(using, len(values))
        compiler, sql, params, slots = compiled[using]
        params = [param if slot is None else values[slot] for param, slot in zip(params, slots, strict=True)]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        # What ModelIterable does with the compiler's rows.
        select, klass_info = compiler.select, compiler.klass_info
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        annotations = list(compiler.annotation_col_map.items())
        objs = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(using, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            objs.append(obj)
        return objs
