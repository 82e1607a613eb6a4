"""The console: query counts pinned at two sizes, the same number of statements for a small and a large order.

Counted inside the test's transaction, so each `transaction.atomic()` of a service shows as a SAVEPOINT
and its RELEASE (two statements that production, in autocommit, sends as BEGIN and COMMIT instead).
"""

import pytest

from orders.models import ItemType
from tests.perf.query_counting import count, ingested

pytestmark = pytest.mark.django_db


def test_console_order_page_costs_the_same_for_2_and_40_items(warm_api, agent_client, django_assert_max_num_queries):
    small, large = ingested(warm_api, 2, "P-SMALL"), ingested(warm_api, 40, "P-LARGE")

    def page(summary):
        products = summary.item_summaries.filter(type=ItemType.PRODUCT).count()  # not counted below

        def run():
            response = agent_client.get(f"/console/orders/{summary.pk}/")
            assert response.status_code == 200
            assert response.content.decode().count('<tr data-sku="SKU-') == products

        return run

    small_page, large_page = page(small), page(large)
    small_page()  # the session's first read
    small_count = count(small_page)
    with django_assert_max_num_queries(small_count):
        large_page()
    assert count(large_page) == small_count
    # The session, the user, its permissions (direct and through groups, one query); then
    # console.order_page.order_page: the delivery groups with the summary, its channel and the sums of
    # the funds position, the items, the fulfillment orders with their lines, the payment summaries, the
    # gateway calls, the refunds, the invoices and credit memos (one union), the background operations, the
    # process exceptions, the change orders with their lines and reasons, the refund approvals; the active
    # holds (issue 16: the hold banner, its Release and Route again buttons); the shipments with their lines
    # (issue 17: one query); the exchanges linking the order to others, either way (issue 15: one query); the
    # return orders (issue 15: their lines and fees cost two more only when there are return orders;
    # reshipments two more only when a fulfillment order is a reshipment's); the fulfillment-order moves with
    # who made them (issue 13 point 8: one query, for every fulfillment order of the order).
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
    # The session, the user, its permissions (direct and through groups, one query), the count (capped at
    # 1,001), the page.
    assert few <= 5
