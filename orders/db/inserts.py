"""Insert new model instances with one INSERT … RETURNING, without Django's per-field insert compiler.

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

from decimal import Decimal

from django.db import connections, router, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    AutoField,
    BigAutoField,
    BooleanField,
    CharField,
    DecimalField,
    EmailField,
    Field,
    ForeignKey,
    TextField,
)
from django.db.models.fields import AutoFieldMixin

from .plans import plan_for

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


def _make_plan(model, connection) -> _Plan | None:
    try:
        return _Plan(model, connection)
    except _UseBulkCreate:
        return None


def _plan(model, connection) -> _Plan | None:
    return plan_for("insert", (model, connection.alias), lambda: _make_plan(model, connection))


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
