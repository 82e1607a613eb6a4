"""Query counts pinned at two sizes: the same number of statements for a small and a large order.

Counted inside the test's transaction, so each `transaction.atomic()` of a service shows as a SAVEPOINT
and its RELEASE (two statements that production, in autocommit, sends as BEGIN and COMMIT instead).
"""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orders.models import ItemType, OrderSummary
from tests.api.helpers import INGEST, summary_path
from tests.builders import address, ensure_channel, item, order_body

pytestmark = pytest.mark.django_db

ACTIONS = "/api/v1/commerce/order-management/order-summaries/{}/actions/{}"


def count(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def body_with(lines: int, number: str) -> dict:
    return order_body(number=number, groups=[{
        "referenceId": "g1", "deliverTo": address(), "deliveryMethod": "Ground",
        "items": [item(f"SKU-{n:03d}", 3, "10.00", rate=8) for n in range(lines)],
    }])


def ingested(api, lines: int, number: str) -> OrderSummary:
    response = api.post_json(INGEST, body_with(lines, number), key=number)
    assert response.status_code == 201, response.content
    return OrderSummary.objects.get(pk=response.json()["orderSummaryId"])


@pytest.fixture
def warm_api(api):
    """The API client after its first request (which also writes the key's last-used time)."""
    ensure_channel()
    ingested(api, 1, "WARM-1")
    return api


def test_ingest_costs_the_same_for_1_and_12_lines(warm_api, django_assert_max_num_queries):
    def ingest(lines, number):
        def run():
            response = warm_api.post_json(INGEST, body_with(lines, number), key=number)
            assert response.status_code == 201, response.content
        return run

    # The key; the claim of the Idempotency-Key (savepoint, insert, release); the channel by name; the
    # duplicate check; the order's transaction (savepoint, order, group, items, taxes, summary, group
    # summary, item summaries, payment summary, authorization, release); the answer kept for replay.
    # In production the claim is one autocommit INSERT and the transaction BEGIN … COMMIT: 16, and 15
    # for a storefront key, which names no channel (B2 of the benchmarks).
    with django_assert_max_num_queries(18):
        small = count(ingest(1, "ONE-1"))
    with django_assert_max_num_queries(18):
        large = count(ingest(12, "TWELVE-1"))
    assert small == large


def _products(summary):
    return list(summary.item_summaries.filter(type=ItemType.PRODUCT).order_by("line_number"))


def _cancel(items) -> dict:
    return {"changeItems": [{"orderItemSummaryId": str(ois.pk), "quantity": 1, "reason": "Customer Changed Mind",
                             "shippingReductionFlag": False} for ois in items]}


def test_preview_and_submit_cancel_cost_the_same_for_2_and_25_items(warm_api, django_assert_max_num_queries):
    small, large = ingested(warm_api, 2, "C-SMALL"), ingested(warm_api, 25, "C-LARGE")
    small_items, large_items = _products(small), _products(large)

    def post(summary, action, body):
        def run():
            response = warm_api.post_json(ACTIONS.format(summary.pk, action), body)
            assert response.status_code in (200, 201), response.content
        return run

    # Preview: the key, the summary's channel, the summary, its items, the change lines of earlier
    # changes, the active reason codes, and the funds position (one query).
    with django_assert_max_num_queries(7):
        preview_small = count(post(small, "preview-cancel", _cancel(small_items[:1])))
    with django_assert_max_num_queries(7):
        preview_large = count(post(large, "preview-cancel", _cancel(large_items[:1])))
    assert preview_small == preview_large

    # Submit: the key and the channel; in the transaction (savepoint … release) the summary locked, its
    # items, earlier change lines, reason codes, the funds position, the change order count (its
    # number), the group summaries; then the change order, its items, their taxes, the item summary
    # changes, one bulk update of the items, the groups read and updated, the summary updated: 2 + 17.
    with django_assert_max_num_queries(19):
        submit_small = count(post(small, "submit-cancel", _cancel(small_items[:1])))
    with django_assert_max_num_queries(19):
        submit_large = count(post(large, "submit-cancel", _cancel(large_items[:1])))
    with django_assert_max_num_queries(19):
        submit_many = count(post(large, "submit-cancel", _cancel(large_items[1:])))
    assert submit_small == submit_large == submit_many


def test_order_summary_detail_costs_the_same_for_2_and_30_items(warm_api, django_assert_max_num_queries):
    small, large = ingested(warm_api, 2, "D-SMALL"), ingested(warm_api, 30, "D-LARGE")

    def get(summary):
        def run():
            response = warm_api.get(summary_path(summary.pk))
            assert response.status_code == 200, response.content
            assert len(response.json()["orderItemSummaries"]) == summary.item_summaries.count()
        return run

    small_count = count(get(small))
    with django_assert_max_num_queries(small_count):
        get(large)()
    assert count(get(large)) == small_count
    # The key, the summary, one per kind of child (groups, items, exceptions, fulfillment and return
    # orders, payment summaries, authorizations, payments, refunds, gateway calls, invoices, memos,
    # change history), the funds position, the inventory effects of fulfillment and return orders.
    assert small_count <= 19


@pytest.fixture
def agent_client(db):
    user = User.objects.create_user(username="perf-agent")
    user.groups.add(Group.objects.get(name="Agent"))
    client = Client()
    client.force_login(user)
    return client


def test_console_order_page_costs_the_same_for_2_and_40_items(warm_api, agent_client,
                                                            django_assert_max_num_queries):
    small, large = ingested(warm_api, 2, "P-SMALL"), ingested(warm_api, 40, "P-LARGE")

    def page(summary):
        def run():
            response = agent_client.get(f"/console/orders/{summary.pk}/")
            assert response.status_code == 200
            assert response.content.decode().count('<tr data-sku="SKU-') == summary.item_summaries.filter(
                type=ItemType.PRODUCT).count()
        return run

    page(small)()  # the session's first read
    small_count = count(page(small))
    with django_assert_max_num_queries(small_count):
        page(large)()
    assert count(page(large)) == small_count
    assert small_count <= 19


def test_console_search_costs_the_same_for_3_and_30_rows(warm_api, agent_client, django_assert_max_num_queries):
    def search():
        response = agent_client.get("/console/", {"q": "ada"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return response.content.decode()

    for n in range(3):
        ingested(warm_api, 1, f"S-{n}")
    search()
    few = count(search)
    for n in range(3, 30):
        ingested(warm_api, 1, f"S-{n}")
    with django_assert_max_num_queries(few):
        page = search()
    assert page.count(">S-") == 25  # the first page of 30 matches, 25 to a page
    assert few <= 6  # the session, the user, its permissions (user and group), the count, the page


def test_a_batch_of_10_orders_costs_what_a_batch_of_2_costs(warm_api, django_assert_max_num_queries):
    def batch(count, prefix):
        orders = [{**body_with(3, f"{prefix}-{n}"), "idempotencyKey": f"{prefix}-{n}"} for n in range(count)]

        def run():
            response = warm_api.post_json("/api/v1/commerce/orders/batch", {"orders": orders})
            assert [r["success"] for r in response.json()["results"]] == [True] * count
        return run

    # The key. The claims' transaction (savepoint … release here): the keys already known (one
    # select) and every new claim (one insert, in a savepoint). The orders' transaction: the channel,
    # the duplicate numbers (one select), then in a savepoint one insert per table for all the orders
    # (orders, groups, items, taxes, summaries, group summaries, item summaries, payment summaries,
    # authorizations), and the answers read and kept (one select, one update). 24 whatever the count.
    with django_assert_max_num_queries(24):
        small = count(batch(2, "TWO"))
    with django_assert_max_num_queries(24):
        large = count(batch(10, "TEN"))
    assert small == large
