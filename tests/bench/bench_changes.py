"""B3: preview-cancel and submit-cancel of 1 item on an order of 50 items, through the REST API in-process.

Server time (the Django handler, no socket); SQL counted in autocommit as served. The same actions on
a 5-item order and submits of 50 and 100 change items show that the counts do not depend on items. The
in-process CPU per request (this process only, not PostgreSQL's) is steadier than wall time on a
shared machine.
"""

import json
import time

from django.test import Client

from orders.models import ItemType, OrderSummary
from tests.bench.support import median, percentile, query_count, size, storefront_order, timed_ms

INGEST = "/api/v1/commerce/orders"
ACTIONS = "/api/v1/commerce/order-management/order-summaries/{}/actions/{}"
RUNS = size(60, 3)


def _order(client: Client, number: str, lines: int) -> OrderSummary:
    body = storefront_order(number, lines=lines, quantity=3, channel="Bench Web")
    response = client.post(INGEST, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=number)
    assert response.status_code == 201, response.content[:500]
    return OrderSummary.objects.get(pk=response.json()["orderSummaryId"])


def _cancel(items, quantity=1) -> str:
    return json.dumps(
        {
            "changeItems": [
                {
                    "orderItemSummaryId": str(item.pk),
                    "quantity": quantity,
                    "reason": "Customer Changed Mind",
                    "shippingReductionFlag": False,
                }
                for item in items
            ]
        }
    )


def _products(summary):
    return list(summary.item_summaries.filter(type=ItemType.PRODUCT).order_by("line_number"))


def test_b3_preview_and_submit_cancel(storefront, figures, run):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {storefront['office_key']}")

    def post(summary, action, body):
        response = client.post(ACTIONS.format(summary.pk, action), body, content_type="application/json")
        assert response.status_code in (200, 201), response.content[:500]

    large = _order(client, f"B3-{run}-50", 50)
    small = _order(client, f"B3-{run}-5", 5)
    wide = _order(client, f"B3-{run}-wide", 50)
    widest = _order(client, f"B3-{run}-wide100", 100)
    large_items, small_items = _products(large), _products(small)

    post(large, "preview-cancel", _cancel(large_items[:1]))  # warm: first use of the key, imports
    preview_count, preview_sql = query_count(lambda: post(large, "preview-cancel", _cancel(large_items[:1])))
    small_preview_count, _ = query_count(lambda: post(small, "preview-cancel", _cancel(small_items[:1])))
    writes = sum(1 for sql in preview_sql if sql.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"})
    cpu_started = time.process_time()
    previews = timed_ms(lambda: post(large, "preview-cancel", _cancel(large_items[:1])), RUNS)
    preview_cpu = (time.process_time() - cpu_started) * 1000 / RUNS

    submits = iter(range(10**6))

    def submit_next():
        item = large_items[next(submits) % len(large_items)]
        post(large, "submit-cancel", _cancel([item]))

    submit_count, _ = query_count(submit_next)
    small_submit_count, _ = query_count(lambda: post(small, "submit-cancel", _cancel(small_items[:1])))
    every_item = _cancel(_products(wide))
    wide_submit_count, _ = query_count(lambda: post(wide, "submit-cancel", every_item))
    every_item_of_100 = _cancel(_products(widest))
    widest_submit_count, _ = query_count(lambda: post(widest, "submit-cancel", every_item_of_100))
    cpu_started = time.process_time()
    submit_times = timed_ms(submit_next, RUNS)
    submit_cpu = (time.process_time() - cpu_started) * 1000 / RUNS

    figures.record(
        "B3.preview.p95_ms",
        "preview-cancel of 1 item on a 50-item order, p95",
        percentile(previews, 0.95),
        "ms",
        "< 15",
        f"median {median(previews):.1f} ms, {RUNS} runs",
    )
    figures.record(
        "B3.preview.queries", "preview-cancel SQL statements, 50-item order", preview_count, "queries", "≤ 6"
    )
    figures.record(
        "B3.preview.queries_5_items",
        "preview-cancel SQL statements, 5-item order",
        small_preview_count,
        "queries",
        "= 50-item count",
    )
    figures.record("B3.preview.writes", "rows written by a preview (INSERT/UPDATE/DELETE)", writes, "statements", "0")
    figures.record(
        "B3.submit.p95_ms",
        "submit-cancel of 1 item on a 50-item order, p95",
        percentile(submit_times, 0.95),
        "ms",
        "< 40",
        f"median {median(submit_times):.1f} ms",
    )
    figures.record("B3.submit.queries", "submit-cancel SQL statements, 1 change item", submit_count, "queries", "≤ 15")
    figures.record(
        "B3.submit.queries_5_items",
        "submit-cancel SQL statements, 5-item order",
        small_submit_count,
        "queries",
        "= 50-item count",
    )
    figures.record(
        "B3.submit.queries_50_changes",
        "submit-cancel SQL statements, 50 change items",
        wide_submit_count,
        "queries",
        "≤ 15",
    )
    figures.record(
        "B3.submit.queries_100_changes",
        "submit-cancel SQL statements, 100 change items",
        widest_submit_count,
        "queries",
        "≤ 15",
    )
    figures.record(
        "B3.preview.cpu_ms", "preview-cancel, in-process CPU per request (mean)", preview_cpu, "ms", "", f"{RUNS} runs"
    )
    figures.record(
        "B3.submit.cpu_ms",
        "submit-cancel of 1 item, in-process CPU per request (mean)",
        submit_cpu,
        "ms",
        "",
        f"{RUNS} runs",
    )
