"""Change orders and the summary detail: query counts pinned at two sizes, the same number for both.

Counted inside the test's transaction, so each `transaction.atomic()` of a service shows as a SAVEPOINT
and its RELEASE (two statements that production, in autocommit, sends as BEGIN and COMMIT instead).
"""

import pytest

from orders.models import ItemType
from tests.api.helpers import summary_path
from tests.perf.query_counting import count, ingested

pytestmark = pytest.mark.django_db

ACTIONS = "/api/v1/commerce/order-management/order-summaries/{}/actions/{}"


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
