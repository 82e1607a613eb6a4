"""PostgreSQL: a submitted change writes its change orders' rows with one statement
(orders.services.ingest_statement, used by orders.services.change_flow.ChangeWriter); the same changes
submitted with one insert per table (OMS_INGEST_ONE_STATEMENT off, as on SQLite) write the same rows, column
by column, ids and times aside, and leave the item summaries the same."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orders.models import (
    AdjustmentSource,
    Order,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderItemTaxLine,
    OrderKind,
)
from orders.services.ingest_statement import insert_rows, one_statement
from tests.builders import ensure_channel
from tests.perf.query_counting import ingested
from tests.perf.test_query_counts_changes import ACTIONS, _adjust, _cancel, _fulfilled, _products

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TIMES = {"created_at", "updated_at", "last_modified_at", "ordered_date", "last_modified"}
SHOWN = (Order, OrderItem, OrderItemAdjustmentLine, OrderItemTaxLine, OrderItemSummaryChange, OrderItemSummary)


@pytest.fixture
def warm_api(api):
    ensure_channel()
    return api


def written(summary) -> list[dict]:
    """Every column of the change orders' rows and of the summary's items, each id replaced by the row's place
    among the rows shown (so that two summaries compare), times and numbers left out."""
    changes = Order.objects.filter(order_summary=summary, kind=OrderKind.CHANGE)
    querysets = {
        Order: changes,
        OrderItem: OrderItem.objects.filter(order__in=changes),
        OrderItemAdjustmentLine: OrderItemAdjustmentLine.objects.filter(order_item__order__in=changes),
        OrderItemTaxLine: OrderItemTaxLine.objects.filter(order_item__order__in=changes),
        OrderItemSummaryChange: OrderItemSummaryChange.objects.filter(order_summary=summary),
        OrderItemSummary: OrderItemSummary.objects.filter(order_summary=summary),
    }
    places = {
        (model, pk): n
        for model, queryset in querysets.items()
        for n, pk in enumerate(queryset.order_by("pk").values_list("pk", flat=True))
    }
    rows = []
    for model, queryset in querysets.items():
        for row in queryset.order_by("pk").values():
            shown = {"model": model.__name__}
            for field in model._meta.concrete_fields:
                value = row[field.attname]
                if field.attname in TIMES or field.name == "order_number":
                    continue
                if field.primary_key:
                    value = places[(model, value)]
                elif field.is_relation and (field.related_model, value) in places:
                    value = ("place", places[(field.related_model, value)])
                elif field.is_relation and value is not None:
                    value = "the original order's or the summary's"  # another id for each summary
                shown[field.attname] = (type(value).__name__, str(value))
            rows.append(shown)
    return rows


def _submit(api, summary, action, body) -> dict:
    response = api.post_json(ACTIONS.format(summary.pk, action), body)
    assert response.status_code in (200, 201), response.content
    return response.json()


def _both_ways(api, settings, lines, prepare, steps) -> tuple[list, list]:
    """The same steps on two equal orders, with the statement and then without: the answers and the rows."""
    answers, rows = [], []
    for statement in (True, False):
        settings.OMS_INGEST_ONE_STATEMENT = statement
        summary = prepare(ingested(api, lines, f"CS-{statement}-{lines}"))
        items = _products(summary)
        answers.append([_strip(_submit(api, summary, action, body(items))) for action, body in steps])
        rows.append(written(summary))
    return answers, rows


def _strip(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if not key.endswith(("Id", "Ids"))}


@pytest.mark.parametrize("lines", [1, 5, 30])
def test_cancels_write_the_same_rows_with_one_statement(warm_api, settings, lines):
    steps = [
        ("submit-cancel", lambda items: _cancel(items[:1])),
        ("submit-cancel", lambda items: _cancel(items)),
    ]
    (one, orm), (one_rows, orm_rows) = _both_ways(warm_api, settings, lines, lambda s: s, steps)
    assert one == orm
    assert one_rows == orm_rows
    assert sum(row["model"] == "OrderItemTaxLine" for row in one_rows) == 1 + lines


def test_adjustments_and_returns_write_the_same_rows_with_one_statement(warm_api, settings):
    steps = [
        ("adjust-item-submit", _adjust),
        ("submit-return", lambda items: _cancel(items[:2])),
        ("adjust-item-submit", lambda items: _adjust(items[1:])),
    ]
    (one, orm), (one_rows, orm_rows) = _both_ways(warm_api, settings, 4, _fulfilled, steps)
    assert one == orm
    assert one_rows == orm_rows
    assert any(row["model"] == "OrderItemAdjustmentLine" for row in one_rows)


def test_a_submitted_cancel_writes_its_change_order_in_one_statement(warm_api):
    summary = ingested(warm_api, 3, "CS-ONE")
    with CaptureQueriesContext(connection) as queries:
        _submit(warm_api, summary, "submit-cancel", _cancel(_products(summary)[:2]))
    inserts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]
    written_tables = [sql for sql in inserts if '"orders_orderitemsummarychange"' in sql]
    assert len(written_tables) == 1
    assert all(
        table in written_tables[0] for table in ('"orders_order"', '"orders_orderitem"', '"orders_orderitemtaxline"')
    )


def test_rows_that_refer_to_a_table_kept_after_theirs_are_written_apart(warm_api):
    """Tax lines kept, then an adjustment line, then a tax line of that adjustment line (a change order
    without discounts followed by one with): the statement joins stand-ins only to the tables before
    theirs, so the second tax line is written after what was kept, with its adjustment line's real id."""
    item = OrderItem.objects.filter(order_id=ingested(warm_api, 1, "CS-LATER").original_order_id).first()
    assert item is not None
    with transaction.atomic(), one_statement():
        first = insert_rows([OrderItemTaxLine(order_item=item, name="Tax", rate=8, amount=1)])
        [line] = insert_rows(
            [OrderItemAdjustmentLine(order_item=item, name="x", source=AdjustmentSource.CHANGE, amount=-1)]
        )
        [tax] = insert_rows([OrderItemTaxLine(order_item=item, adjustment_line=line, name="Tax", rate=8, amount=-1)])
    assert first[0].pk > 0 and line.pk > 0 and tax.pk > 0
    assert OrderItemTaxLine.objects.get(pk=tax.pk).adjustment_line_id == line.pk
