"""Helpers of the query-count pins: count the statements of an action, ingest an order of n lines."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import OrderSummary
from tests.api.helpers import INGEST
from tests.builders import address, item, order_body


def count(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def body_with(lines: int, number: str) -> dict:
    return order_body(
        number=number,
        groups=[
            {
                "referenceId": "g1",
                "deliverTo": address(),
                "deliveryMethod": "Ground",
                "items": [item(f"SKU-{n:03d}", 3, "10.00", rate=8) for n in range(lines)],
            }
        ],
    )


def ingested(api, lines: int, number: str) -> OrderSummary:
    response = api.post_json(INGEST, body_with(lines, number), key=number)
    assert response.status_code == 201, response.content
    return OrderSummary.objects.get(pk=response.json()["orderSummaryId"])
