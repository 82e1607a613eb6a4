"""The console: query counts pinned at two sizes, the same number of statements for a small and a large order.

Counted inside the test's transaction, so each `transaction.atomic()` of a service shows as a SAVEPOINT
and its RELEASE (two statements that production, in autocommit, sends as BEGIN and COMMIT instead).
"""

import pytest

from orders.models import ItemType
from tests.perf.query_counting import count, ingested

pytestmark = pytest.mark.django_db


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
