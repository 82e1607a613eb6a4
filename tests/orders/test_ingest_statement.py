"""PostgreSQL: a single ingest writes an order's rows with one statement (orders/services/ingest_statement.py);
the same bodies ingested with one insert per table (OMS_INGEST_ONE_STATEMENT off, as on SQLite, and as a batch
writes them) write the same rows, column by column, ids and times aside, and answer the same, errors included."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import (
    Event,
    IdempotencyRecord,
    Order,
    OrderDeliveryGroup,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemTaxLine,
    OrderSummary,
    OutboxMessage,
)
from payments.models import OrderPaymentSummary, Payment, PaymentAuthorization
from tests.api.helpers import INGEST
from tests.api.test_idempotency import fingerprint_of
from tests.builders import address, ensure_channel, item, order_body, tax
from tests.orders.test_bulk_insert import INGESTED, rich_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TIMES = {"created_at", "updated_at", "last_modified_at"}


def _lines(count: int) -> list[dict]:
    lines = []
    for n in range(count):
        adjustments = []
        if n % 3 == 0:
            adjustments = [{"name": "Promo", "promotionCode": "SAVE", "amount": Decimal("-1.00"), "taxes": []}]
        lines.append(item(f"SKU-{n}", 1 + n % 4, f"{3 + n % 7}.25", rate=8, adjustments=adjustments))
    return lines


def body(number: str, lines: int, groups: int = 1, *, payments: int = 1) -> dict:
    """`lines` lines spread over `groups` delivery groups, discounts and taxes, `payments` payments."""
    all_lines = _lines(lines)
    delivery_groups = [
        {
            "referenceId": f"g{g}",
            "deliverTo": address(f"Recipient {g}"),
            "deliveryMethod": "Ground",
            "deliveryCharge": {"amount": Decimal("4.00"), "taxes": [tax(8, "0.32")]},
            "items": all_lines[g::groups],
        }
        for g in range(groups)
    ]
    result = order_body(number=number, groups=delivery_groups)
    if payments > 1:
        result["payments"] = [
            {
                "kind": "authorization" if n % 2 == 0 else "sale",
                "method": f"Card {n}",
                "gatewayToken": f"tok_{n}",
                "amount": Decimal("5000.00"),  # more than any grand total here
            }
            for n in range(payments)
        ]
    return result


def written(summary_ids: list[int]) -> list[dict]:
    """Every column of every row the ingest of these summaries wrote, each id replaced by the row's place
    among the rows written (so that two ingests compare), times left out; the event and outbox rows too."""
    summaries = list(OrderSummary.objects.filter(pk__in=summary_ids).order_by("pk"))
    orders = [s.original_order_id for s in summaries]
    querysets = {
        Order: Order.objects.filter(pk__in=orders),
        OrderDeliveryGroup: OrderDeliveryGroup.objects.filter(order__in=orders),
        OrderItem: OrderItem.objects.filter(order__in=orders),
        OrderItemAdjustmentLine: OrderItemAdjustmentLine.objects.filter(order_item__order__in=orders),
        OrderItemTaxLine: OrderItemTaxLine.objects.filter(order_item__order__in=orders),
        OrderSummary: OrderSummary.objects.filter(pk__in=summary_ids),
        OrderDeliveryGroupSummary: OrderDeliveryGroupSummary.objects.filter(order_summary__in=summary_ids),
        OrderItemSummary: OrderItemSummary.objects.filter(order_summary__in=summary_ids),
        OrderPaymentSummary: OrderPaymentSummary.objects.filter(order_summary__in=summary_ids),
        PaymentAuthorization: PaymentAuthorization.objects.filter(order__in=orders),
        Payment: Payment.objects.filter(order__in=orders),
    }
    assert set(querysets) == set(INGESTED)  # every table an ingest writes
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
                elif field.is_relation and field.related_model in querysets and value is not None:
                    value = ("place", places[(field.related_model, value)])
                shown[field.attname] = (type(value).__name__, str(value))
            rows.append(shown)
    events = Event.objects.filter(order_summary_id__in=summary_ids).order_by("pk")
    rows += [{"event": (e.type, e.sequence, summary_ids.index(e.order_summary_id))} for e in events]
    messages = OutboxMessage.objects.filter(created_at__gte=summaries[0].created_at).order_by("pk")
    rows += [{"outbox": (m.task_name, m.status, [summary_ids.index(a) for a in m.args])} for m in messages]
    return rows


def ingested_both_ways(api, settings, send) -> tuple[list, list, list, list]:
    """`send(prefix)` with the statement and then without: the answers and the rows each wrote."""
    answers, rows = [], []
    for one_statement in (True, False):
        settings.OMS_INGEST_ONE_STATEMENT = one_statement
        prefix = "ONE" if one_statement else "ORM"
        answer, summary_ids = send(prefix)
        answers.append(answer)
        rows.append(written(summary_ids))
    return answers[0], answers[1], rows[0], rows[1]


@pytest.mark.parametrize(("lines", "groups", "payments"), [(1, 1, 1), (5, 2, 3), (100, 3, 4)])
def test_a_single_ingest_writes_the_same_rows_with_one_statement(api, settings, lines, groups, payments):
    ensure_channel()

    def send(prefix):
        response = api.post_json(INGEST, body(f"{prefix}-{lines}", lines, groups, payments=payments), key=prefix)
        assert response.status_code == 201, response.content
        return set(response.json()) - {"orderId", "orderSummaryId", "orderPaymentSummaryIds"}, [
            int(response.json()["orderSummaryId"])
        ]

    one, orm, one_rows, orm_rows = ingested_both_ways(api, settings, send)
    assert one == orm
    assert one_rows == orm_rows
    assert any(row.get("model") == "OrderItemAdjustmentLine" for row in one_rows)


def test_the_rich_order_writes_the_same_rows_with_one_statement(api, settings):
    ensure_channel("Rich")

    def send(prefix):
        response = api.post_json(INGEST, rich_body(f"{prefix}-RICH", "Rich"), key=prefix)
        assert response.status_code == 201, response.content
        return None, [int(response.json()["orderSummaryId"])]

    _, _, one_rows, orm_rows = ingested_both_ways(api, settings, send)
    assert one_rows == orm_rows


def test_a_single_ingest_writes_its_rows_in_one_statement(api):
    ensure_channel()
    api.post_json(INGEST, body("WARM-S", 2), key="warm-s")
    with CaptureQueriesContext(connection) as queries:
        response = api.post_json(INGEST, body("ONE-S", 5, 2, payments=2), key="one-s")
    assert response.status_code == 201
    inserts = [q["sql"] for q in queries if "INSERT INTO" in q["sql"] and "orders_orderitem" in q["sql"]]
    assert len(inserts) == 1
    assert all(table in inserts[0] for table in ('"orders_order"', '"orders_orderitemsummary"', '"payments_payment"'))


def _normal(response, prefix: str) -> tuple:
    """An answer with this run's prefix taken out of its text and the ids it names replaced by whether it
    names one."""
    answer = json.loads(response.content.decode().replace(prefix, "P"))
    for ids in (answer, answer.get("output")):
        if isinstance(ids, dict):
            ids.update({key: value is not None for key, value in ids.items() if key.endswith(("Id", "Ids"))})
    return response.status_code, answer


def test_the_error_paths_answer_the_same_with_one_statement(api, settings):
    ensure_channel()
    answers = {}
    for one_statement in (True, False):
        settings.OMS_INGEST_ONE_STATEMENT = one_statement
        prefix = "E1" if one_statement else "E2"
        first = api.post_json(INGEST, body(f"{prefix}-TAKEN", 2), key=f"{prefix}-a")
        taken = api.post_json(INGEST, body(f"{prefix}-TAKEN", 2), key=f"{prefix}-b")
        replay = api.post_json(INGEST, body(f"{prefix}-TAKEN", 2), key=f"{prefix}-a")
        other_body = api.post_json(INGEST, body(f"{prefix}-OTHER", 3), key=f"{prefix}-a")
        busy = body(f"{prefix}-BUSY", 2)
        IdempotencyRecord.objects.create(  # claimed by a request still running
            client=api.record,
            key=f"{prefix}-busy",
            method="POST",
            path=INGEST,
            request_hash=fingerprint_of(busy),
        )
        in_flight = api.post_json(INGEST, busy, key=f"{prefix}-busy")
        assert replay.content == first.content
        answers[one_statement] = [_normal(r, prefix) for r in (taken, replay, other_body, in_flight)]
        assert taken.json()["output"]["orderId"] == first.json()["orderId"]
    assert answers[True] == answers[False]
    assert [status for status, _ in answers[True]] == [409, 201, 422, 409]
