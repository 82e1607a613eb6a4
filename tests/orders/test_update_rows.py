"""update_rows: several rows' own values in one UPDATE, read back exactly as bulk_update would write them."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.db import update_rows
from orders.models import OrderItemSummary
from tests.builders import worked_example

pytestmark = pytest.mark.django_db

FIELDS = ["name", "list_price", "tax_rate", "quantity_canceled", "total_adjustment_amount", "status"]


def _values(rows):
    return [tuple(getattr(row, name) for name in FIELDS) for row in rows]


def _change(rows):
    for index, row in enumerate(rows):
        row.name = f'It\'s 100% "{index}" ; --'
        row.list_price = None if index % 2 else D("12.3456")
        row.tax_rate = None if index == 0 else D("8.875")
        row.quantity_canceled = D("0.25") * index
        row.total_adjustment_amount = D("-1.0005") - index
        row.status = "Canceled" if index % 2 else "Ordered"


def _fresh(rows):
    return list(OrderItemSummary.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk"))


@pytest.mark.parametrize("batch_size", [None, 2])
def test_each_row_gets_its_own_values_in_one_statement_per_batch(monkeypatch, batch_size):
    summary = worked_example()
    rows = list(summary.item_summaries.order_by("pk"))
    assert len(rows) >= 3
    untouched = {row.pk: (row.sku, row.quantity_ordered, row.total_line_amount) for row in rows}
    changed, left = rows[:-1], rows[-1]
    left_before = _values([left])
    if batch_size is not None:
        monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: batch_size)
    _change(changed)
    with CaptureQueriesContext(connection) as queries:
        update_rows(OrderItemSummary, changed, FIELDS)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == (1 if batch_size is None else -(-len(changed) // batch_size))

    fresh = _fresh(rows)
    assert _values(fresh[:-1]) == _values(changed)
    assert _values(fresh[-1:]) == left_before
    assert {row.pk: (row.sku, row.quantity_ordered, row.total_line_amount) for row in fresh} == untouched


def test_the_same_as_bulk_update():
    first, second = worked_example(), worked_example()
    ours = list(first.item_summaries.order_by("pk"))
    theirs = list(second.item_summaries.order_by("pk"))
    _change(ours)
    _change(theirs)
    update_rows(OrderItemSummary, ours, FIELDS)
    OrderItemSummary.objects.bulk_update(theirs, FIELDS)
    assert _values(_fresh(ours)) == _values(_fresh(theirs))


def test_one_row_and_nothing():
    summary = worked_example()
    row, other = summary.item_summaries.order_by("pk")[:2]
    other_before = _values([other])
    rows = [row, other]
    _change(rows)
    row.tax_rate = None
    with CaptureQueriesContext(connection) as queries:
        update_rows(OrderItemSummary, [row], FIELDS)
        update_rows(OrderItemSummary, [], FIELDS)
        update_rows(OrderItemSummary, [row], [])
    assert len(queries.captured_queries) == 1
    assert _values(_fresh([row])) == _values([row])
    assert _values(_fresh([other])) == other_before
