"""ORM queries compiled once per thread and database, then run with new values: for queries whose
compilation costs more than running them (the API key's lookup with its sales channel, ~1 ms of CPU on
every request; the funds position's three subqueries, ~2 ms to compile against ~0.2 ms to run)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


class CompiledQuery:
    """`build(*values)` returns a queryset whose shape does not depend on the values (filters on fixed
    fields, select_related, annotations); `instances(*values)` gives what iterating `build(*values)`
    gives for a model queryset (instances with their select_related objects and annotations),
    `rows(*values)` what it gives for a `values_list` queryset (tuples), with the SQL compiled once per
    thread and database. The values are text; with `numbers=True`, integers (ids).

    Django resolves and compiles a queryset on every evaluation; here only the values change. `build` is
    called once, with a marker per value: each marker must appear exactly once among the compiled
    parameters, and that parameter is the one replaced. The rows are converted by Django's own compiler
    (the column converters) and instances made as its ModelIterable makes them.
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

    def _compile(self, using: str, count: int) -> tuple[Any, str, list[Any], list[int | None], dict[int, Any]]:
        marks: list[Any] = [
            self._NUMBER_MARK - index if self.numbers else self._MARK.format(index) for index in range(count)
        ]
        queryset = self.build(*marks)
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        slots = [marks.index(param) if param in marks else None for param in params]
        if sorted(slot for slot in slots if slot is not None) != list(range(count)):
            raise AssertionError("Each value must appear exactly once among the query's parameters.")
        converters = compiler.get_converters([selected[0] for selected in compiler.select[: compiler.col_count]])
        return compiler, sql, list(params), slots, converters

    def _run(self, values: tuple[Any, ...], using: str) -> tuple[Any, dict[int, Any], list[tuple[Any, ...]]]:
        compiled = getattr(self._local, "by_alias", None)
        if compiled is None:
            compiled = self._local.by_alias = {}
        if using not in compiled:
            compiled[using] = self._compile(using, len(values))
        compiler, sql, params, slots, converters = compiled[using]
        params = [param if slot is None else values[slot] for param, slot in zip(params, slots, strict=True)]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return compiler, converters, cursor.fetchall()

    def rows(self, *values: Any, using: str = "default") -> list[tuple[Any, ...]]:
        compiler, converters, rows = self._run(values, using)
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        return [tuple(row) for row in rows]

    def instances(self, *values: Any, using: str = "default") -> list[Any]:
        compiler, _, rows = self._run(values, using)
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
