"""POST /commerce/order-management/order-summaries: the summary of an order ingested without one."""

from decimal import Decimal

import pytest

from orders.models import OrderSummary
from tests.api.helpers import INGEST, SUMMARIES, SUMMARY_TEMPLATE, body_of, row_counts, summary_path
from tests.api.schema import assert_response_matches_schema, check_every_response
from tests.builders import ensure_channel, order_body, worked_example_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def ingested_without_summary(client, *, channel="Web US", key="no-summary", **overrides) -> str:
    ensure_channel(channel)
    body = worked_example_body(channel=channel, createOrderSummary=False, **overrides)
    response = client.post_json(INGEST, body, key=key)
    assert response.status_code == 201, response.content
    assert body_of(response)["orderSummaryId"] is None
    return body_of(response)["orderId"]


def create(client, body, key=None):
    response = client.post_json(SUMMARIES, body, key=key)
    assert_response_matches_schema(response, "post", SUMMARIES)
    return response


def test_creates_a_managed_summary_with_the_orders_totals(api):
    order_id = ingested_without_summary(api)
    response = create(api, {"orderId": order_id, "name": "Ada's order", "externalReferenceIdentifier": "ERP-9"})
    assert response.status_code == 201
    created = body_of(response)
    summary = OrderSummary.objects.get(original_order_id=order_id)
    assert created == {"orderSummaryId": str(summary.pk), "success": True, "errors": []}

    state = body_of(api.get(summary_path(summary.pk)))
    assert (state["orderLifeCycleType"], state["status"], state["name"], state["externalReferenceIdentifier"]) == (
        "MANAGED",
        "Created",
        "Ada's order",
        "ERP-9",
    )
    # The §6 order: 110.00 + 8.80 = 118.80, the item summaries with their tax rate back from the tax lines.
    assert (state["totalAmount"], state["totalTaxAmount"], state["grandTotalAmount"]) == (
        110,
        Decimal("8.80"),
        Decimal("118.80"),
    )
    assert len(state["orderItemSummaries"]) == 3
    assert summary.item_summaries.get(sku="A").tax_rate == Decimal("8")


def test_unmanaged_summaries_are_accepted(api):
    order_id = ingested_without_summary(api)
    response = create(api, {"orderId": order_id, "orderLifeCycleType": "UNMANAGED"})
    assert response.status_code == 201
    assert OrderSummary.objects.get(original_order_id=order_id).life_cycle_type == "UNMANAGED"


def test_a_second_summary_for_the_same_order_answers_409_with_the_first(api):
    order_id = ingested_without_summary(api)
    first = body_of(create(api, {"orderId": order_id}))
    before = row_counts()
    response = create(api, {"orderId": order_id})
    assert response.status_code == 409
    error = body_of(response)
    assert error["errors"][0]["errorCode"] == "INVALID_STATE"
    assert error["output"] == {"orderSummaryId": first["orderSummaryId"]}
    assert row_counts() == before


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"status": "Fulfilled"}, 400, "status"),
        ({"orderLifeCycleType": "SOMETIMES"}, 400, "orderLifeCycleType"),
        ({"unknownKey": 1}, 400, "unknownKey"),
        ({"orderId": None}, 400, "orderId"),
        ({"orderId": "999999"}, 404, "orderId"),
        ({"orderId": "abc"}, 404, "orderId"),
        ({"orderId": "9" * 30}, 404, "orderId"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(api, change, status, field):
    order_id = ingested_without_summary(api)
    before = row_counts()
    response = create(api, {"orderId": order_id, **change})
    assert response.status_code == status
    assert field in [error["field"] for error in body_of(response)["errors"]]
    assert row_counts() == before


def test_a_storefront_key_cannot_create_another_channels_summary(api, make_api):
    order_id = ingested_without_summary(api, channel="Web US")
    storefront = make_api(scopes=["orders:write"], channel=ensure_channel("Web EU"))
    before = row_counts()
    response = create(storefront, {"orderId": order_id})
    assert response.status_code == 404
    assert body_of(response)["errors"][0]["errorCode"] == "NOT_FOUND"
    assert row_counts() == before

    own = ingested_without_summary(api, channel="Web EU", key="eu-order")
    assert create(storefront, {"orderId": own}).status_code == 201


def test_a_read_only_key_cannot_create(make_api, api):
    order_id = ingested_without_summary(api)
    reader = make_api(scopes=["orders:read"])
    response = create(reader, {"orderId": order_id})
    assert response.status_code == 403
    assert not OrderSummary.objects.exists()


def test_a_retry_with_the_same_key_replays(api):
    order_id = ingested_without_summary(api)
    first = create(api, {"orderId": order_id}, key="cs-1")
    again = create(api, {"orderId": order_id}, key="cs-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert OrderSummary.objects.count() == 1


def test_the_new_summary_is_listed_and_readable(api):
    order_id = ingested_without_summary(api, number="LATE-1")
    summary_id = body_of(create(api, {"orderId": order_id}))["orderSummaryId"]
    listed = body_of(api.get(SUMMARIES))["orderSummaries"]
    assert [row["id"] for row in listed] == [summary_id]
    response = api.get(summary_path(summary_id))
    assert response.status_code == 200
    assert_response_matches_schema(response, "get", SUMMARY_TEMPLATE)


def test_an_order_ingested_with_a_summary_cannot_get_another(api):
    ensure_channel()
    created = body_of(api.post_json(INGEST, order_body(), key="with-summary"))
    response = create(api, {"orderId": created["orderId"]})
    assert response.status_code == 409
    assert body_of(response)["output"] == {"orderSummaryId": created["orderSummaryId"]}
