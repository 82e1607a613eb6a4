"""Rows read and locked with SQL made once per model, for the hot paths of the money jobs.

A background operation's run is ~30 short statements (lock this row, write those columns); through the
ORM each one is built, compiled and its row turned into an instance anew, which was most of a run's
CPU (issue 19: ~1 ms of the worker per statement, against ~0.1 ms for the statement itself). These
helpers keep what the ORM gives — the same rows, values converted by the fields' own converters (so a
Decimal comes back quantized on SQLite as on PostgreSQL), instances made by `Model.from_db`, values
written as `save(update_fields=…)` prepares them (orders.db.updates) — and do the per-model work once:
the column list, the SQL text, the converters.

They cover the plain cases only: one row by primary key, columns of the model itself. Anything else
uses the ORM.
"""

from typing import Any, NamedTuple, TypeVar

from django.db import connections, models, router

from .plans import plan_for


def lock_clause(connection, *, no_key: bool = False) -> str:
    """What `select_for_update(no_key=…)` appends: nothing where the database has no row locks (SQLite,
    which locks the whole database for the transaction)."""
    if not connection.features.has_select_for_update:
        return ""
    if no_key and connection.features.has_select_for_no_key_update:
        return " FOR NO KEY UPDATE"
    return " FOR UPDATE"


class _Reader:
    """The columns of `model` named by `fields` (all concrete fields when empty): their SQL and converters."""

    def __init__(self, model, fields: tuple[str, ...], connection):
        opts = model._meta
        if fields:
            chosen = [opts.pk] + [opts.get_field(name) for name in fields if name != "pk"]
            # In the model's own field order, as an `only()` query reads them.
            chosen = [field for field in opts.concrete_fields if field in chosen]
        else:
            chosen = list(opts.concrete_fields)
        self.model = model
        self.fields = chosen
        self.attnames = [field.attname for field in chosen]
        self.complete = len(chosen) == len(opts.concrete_fields)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in chosen)
        self.select = f"SELECT {columns} FROM {quote(opts.db_table)}"  # noqa: S608 - our own names
        self.converters = []
        for index, field in enumerate(chosen):
            col = field.get_col(opts.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((index, found, col))

    def instance(self, row, connection):
        values = list(row)
        for index, converters, col in self.converters:
            value = values[index]
            for converter in converters:
                value = converter(value, col, connection)
            values[index] = value
        return self.model.from_db(connection.alias, None if self.complete else self.attnames, values)


def _reader(model, fields, connection) -> _Reader:
    return plan_for("read", (model, fields, connection.alias), lambda: _Reader(model, fields, connection))


def _where(model, pk, where: dict | None, connection, pk_sql: str = "%s") -> tuple[str, list]:
    """`pk` and `where` (attname → value, or a list of values) as an SQL condition and its parameters;
    `pk_sql`: what the primary key equals, `pk` its parameter (a subquery finding it, say)."""
    opts = model._meta
    quote = connection.ops.quote_name
    conditions, params = [], []
    if pk is not None:
        conditions.append(f"{quote(opts.pk.column)} = {pk_sql}")
        params.append(pk)
    for attname, value in (where or {}).items():
        column = quote(opts.get_field(attname).column)
        if isinstance(value, list | tuple | set | frozenset):
            value = list(value)
            conditions.append(f"{column} IN ({', '.join(['%s'] * len(value))})" if value else "1 = 0")
            params += value
        else:
            conditions.append(f"{column} = %s")
            params.append(value)
    return " AND ".join(conditions), params


M = TypeVar("M", bound=models.Model)


def get_rows(
    model: type[M],
    *,
    pk: Any = None,
    where: dict | None = None,
    fields: tuple[str, ...] = (),
    lock: bool = False,
    no_key: bool = False,
    pk_sql: str = "%s",
) -> list[M]:
    """`model.objects[.select_for_update(no_key=…)][.only(*fields)].filter(pk=…, **where).order_by("pk")`
    as a list, `where` holding attnames (a list value is `__in`)."""
    connection = connections[router.db_for_write(model) if lock else router.db_for_read(model)]
    reader = _reader(model, fields, connection)
    condition, params = _where(model, pk, where, connection, pk_sql)
    quote = connection.ops.quote_name
    sql = f"{reader.select} WHERE {condition} ORDER BY {quote(model._meta.pk.column)}"
    if lock:
        sql += lock_clause(connection, no_key=no_key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [reader.instance(row, connection) for row in rows]


def get_row(
    model: type[M],
    pk: Any,
    *,
    where: dict | None = None,
    fields: tuple[str, ...] = (),
    lock: bool = False,
    no_key: bool = False,
    pk_sql: str = "%s",
) -> M | None:
    """`model.objects[.select_for_update(no_key=…)][.only(*fields)].filter(pk=pk, **where).first()`: the
    instance, or None."""
    rows = get_rows(model, pk=pk, where=where, fields=fields, lock=lock, no_key=no_key, pk_sql=pk_sql)
    return rows[0] if rows else None


def lock_row(model: type[M], pk: Any, *, fields: tuple[str, ...] = (), no_key: bool = False) -> M:
    """`model.objects.select_for_update(no_key=…).get(pk=pk)` (DoesNotExist when there is no such row)."""
    instance = get_row(model, pk, fields=fields, lock=True, no_key=no_key)
    if instance is None:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    return instance


def money_sums(model, column: str, by: str, where: dict) -> dict:
    """`model.objects.filter(**where).values(by).annotate(total=MoneySum(column))` as {by value: total}:
    each total as MoneySum gives it (quantized to the stored places on SQLite too)."""
    from orders.models.fields import MoneySum

    connection = connections[router.db_for_read(model)]
    opts = model._meta
    quote = connection.ops.quote_name
    condition, params = _where(model, None, where, connection)
    key = quote(opts.get_field(by).column)
    sql = (
        f"SELECT {key}, SUM({quote(opts.get_field(column).column)}) FROM {quote(opts.db_table)} "  # noqa: S608
        f"WHERE {condition} GROUP BY {key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    total = MoneySum(column)
    return {value: total.convert_value(amount, None, connection) for value, amount in rows}


class Lock(NamedTuple):
    """One row for `lock_rows`: `model.objects.select_for_update(no_key=…).only(*fields).get(pk=pk)`
    (DoesNotExist when there is no such row), or `.first()` (None) when not `required`."""

    model: type[models.Model]
    pk: Any
    fields: tuple[str, ...] = ()
    no_key: bool = False
    required: bool = True


class _Locks:
    """One statement locking one row of each of several models, in the order given: a UNION ALL of one
    locking sub-select per row, each row's columns in a slice of its own (NULL in the other rows'). An
    Append runs its branches one after the other, so the locks are taken in the order of the branches, as
    the statements one after the other took them; a locking query is never run in parallel. A row's
    branch number comes first, so a missing row is told apart from the others."""

    def __init__(self, kinds: tuple[tuple[type[models.Model], tuple[str, ...], bool], ...], connection):
        self.readers = [_reader(model, fields, connection) for model, fields, _ in kinds]
        # PostgreSQL types a UNION's columns two branches at a time: a NULL standing in for another row's
        # column carries that column's type, or two NULLs would be text against a later branch's bigint.
        typed = connection.vendor == "postgresql"
        nulls = [
            f"CAST(NULL AS {field.cast_db_type(connection)})" if typed else "NULL"
            for reader in self.readers
            for field in reader.fields
        ]
        quote = connection.ops.quote_name
        self.slices = []
        branches = []
        start = 0
        for index, ((model, _, no_key), reader) in enumerate(zip(kinds, self.readers, strict=True)):
            end = start + len(reader.fields)
            columns = [*nulls[:start], f"r{index}.*", *nulls[end:]]
            condition = f"{quote(model._meta.pk.column)} = %s"
            locked = f"{reader.select} WHERE {condition}{lock_clause(connection, no_key=no_key)}"
            branches.append(f"SELECT {index}, {', '.join(columns)} FROM ({locked}) r{index}")  # noqa: S608
            self.slices.append(slice(start + 1, end + 1))
            start = end
        self.sql = " UNION ALL ".join(branches)


def lock_rows(*locks: Lock) -> list[Any]:
    """The rows of `locks`, each locked as `lock_row` locks it, in one statement that takes the locks in
    the order given: for the hot paths that lock several rows of different models at once (the settlement
    of a capture or a refund)."""
    connection = connections[router.db_for_write(locks[0].model)]
    kinds = tuple((lock.model, lock.fields, lock.no_key) for lock in locks)
    plan = plan_for("locks", (kinds, connection.alias), lambda: _Locks(kinds, connection))
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [lock.pk for lock in locks])
        rows = cursor.fetchall()
    found: list[Any] = [None] * len(locks)
    for row in rows:
        index = row[0]
        found[index] = plan.readers[index].instance(row[plan.slices[index]], connection)
    for lock, instance in zip(locks, found, strict=True):
        if instance is None and lock.required:
            raise lock.model.DoesNotExist(f"{lock.model._meta.object_name} matching query does not exist.")
    return found
