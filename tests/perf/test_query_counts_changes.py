"""Change orders and the summary detail: query counts pinned at two sizes, the same number for both.

Counted inside the test's transaction, so each `transaction.atomic()` of a service shows as a SAVEPOINT
and its RELEASE (two statements that production, in autocommit, sends as BEGIN and COMMIT instead).
"""

import pytest
from django.db import connection

from orders.models import ItemType
from tests.api.helpers import summary_path
from tests.builders import set_fulfillment_state
from tests.perf.query_counting import count, ingested

pytestmark = pytest.mark.django_db

ACTIONS = "/api/v1/commerce/order-management/order-summaries/{}/actions/{}"


def _products(summary):
    return list(summary.item_summaries.filter(type=ItemType.PRODUCT).order_by("line_number"))


def _cancel(items) -> dict:
    return {
        "changeItems": [
            {
                "orderItemSummaryId": str(ois.pk),
                "quantity": 1,
                "reason": "Customer Changed Mind",
                "shippingReductionFlag": False,
            }
            for ois in items
        ]
    }


def _fulfilled(summary):
    for ois in summary.item_summaries.all():
        set_fulfillment_state(ois, allocated=ois.quantity_ordered, fulfilled=ois.quantity_ordered)
    return summary


def _adjust(items) -> dict:
    return {
        "adjustItems": [
            {
                "orderItemSummaryId": str(ois.pk),
                "adjustmentType": "AmountWithoutTax",
                "amount": -1,
                "reason": "Price Match",
            }
            for ois in items
        ]
    }


def _poster(api, summary, action, body):
    def run():
        response = api.post_json(ACTIONS.format(summary.pk, action), body)
        assert response.status_code in (200, 201), response.content

    return run


# Preview: the key; the summary, with its channel check, the active reason codes and the funds sums (one
# query); its items; the change lines of earlier changes (their proration basis).
PREVIEW = 4
# Submit: the key; then in the transaction (savepoint … release): the summary locked (with its channel
# check), its items locked, earlier change lines, the group summaries (their rows also carry the reason
# codes, the funds sums and the change order count, which numbers the new one); the change order, its
# items, their taxes, the item summary changes; one update of the changed items (with their new
# statuses), one of the changed groups, the summary updated; the outbox row of the money that follows
# (orders.automation.order_summary_changed, issue 12); the order_summary.changed event (issue 17: its
# next sequence, the event, the webhook endpoints that receive it; the summary as the list renders it is
# the one just saved, its channel read with its lock, issue 19): 1 + 17. On PostgreSQL the change order,
# its items, their taxes and the item summary changes are one statement (orders.services.ingest_statement,
# issue 19): 1 + 14.
ONE_STATEMENT = connection.vendor == "postgresql"
SUBMIT = 15 if ONE_STATEMENT else 18


@pytest.fixture(autouse=True)
def _sequences_known():
    """The statement asks its tables' id sequences once per process (orders.services.ingest_statement); not
    counted per submit."""
    if ONE_STATEMENT:
        from orders.models import Order, OrderItem, OrderItemAdjustmentLine, OrderItemSummaryChange, OrderItemTaxLine
        from orders.services.ingest_statement import _sequences

        _sequences((Order, OrderItem, OrderItemAdjustmentLine, OrderItemTaxLine, OrderItemSummaryChange), connection)


# An adjustment (or a cancel or return of a discounted item) also writes adjustment lines: one insert more,
# in the same statement on PostgreSQL.
SUBMIT_WITH_ADJUSTMENT_LINES = SUBMIT if ONE_STATEMENT else SUBMIT + 1


def test_preview_and_submit_cancel_cost_the_same_for_2_and_25_items(warm_api, django_assert_max_num_queries):
    small, large = ingested(warm_api, 2, "C-SMALL"), ingested(warm_api, 25, "C-LARGE")
    small_items, large_items = _products(small), _products(large)

    with django_assert_max_num_queries(PREVIEW):
        preview_small = count(_poster(warm_api, small, "preview-cancel", _cancel(small_items[:1])))
    with django_assert_max_num_queries(PREVIEW):
        preview_large = count(_poster(warm_api, large, "preview-cancel", _cancel(large_items[:1])))
    assert preview_small == preview_large

    with django_assert_max_num_queries(SUBMIT):
        submit_small = count(_poster(warm_api, small, "submit-cancel", _cancel(small_items[:1])))
    with django_assert_max_num_queries(SUBMIT):
        submit_large = count(_poster(warm_api, large, "submit-cancel", _cancel(large_items[:1])))
    with django_assert_max_num_queries(SUBMIT):
        submit_many = count(_poster(warm_api, large, "submit-cancel", _cancel(large_items[1:])))
    # Every remaining unit: the items' statuses change too, in the same update.
    whole = {
        "changeItems": [
            {"orderItemSummaryId": str(ois.pk), "quantity": 2, "reason": "Customer Changed Mind"}
            for ois in large_items[1:]
        ]
    }
    with django_assert_max_num_queries(SUBMIT):
        submit_whole = count(_poster(warm_api, large, "submit-cancel", whole))
    assert submit_small == submit_large == submit_many == submit_whole


@pytest.mark.parametrize(
    ("preview", "submit", "body", "submit_count"),
    [
        ("preview-return", "submit-return", _cancel, SUBMIT),
        ("adjust-item-preview", "adjust-item-submit", _adjust, SUBMIT_WITH_ADJUSTMENT_LINES),
    ],
)
def test_return_and_adjust_cost_the_same_for_2_and_25_items(
    warm_api, django_assert_max_num_queries, preview, submit, body, submit_count
):
    small, large = _fulfilled(ingested(warm_api, 2, "R-SMALL")), _fulfilled(ingested(warm_api, 25, "R-LARGE"))
    small_items, large_items = _products(small), _products(large)

    with django_assert_max_num_queries(PREVIEW):
        preview_small = count(_poster(warm_api, small, preview, body(small_items[:1])))
    with django_assert_max_num_queries(PREVIEW):
        preview_large = count(_poster(warm_api, large, preview, body(large_items)))
    assert preview_small == preview_large

    with django_assert_max_num_queries(submit_count):
        submit_small = count(_poster(warm_api, small, submit, body(small_items[:1])))
    with django_assert_max_num_queries(submit_count):
        submit_large = count(_poster(warm_api, large, submit, body(large_items)))
    assert submit_small == submit_large


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
    # The key, the summary (with the sums of its funds position), one per kind of child (groups, items,
    # exceptions, fulfillment and return orders, payment summaries, authorizations, payments, refunds,
    # gateway calls, invoices, memos, change history), the inventory effects of fulfillment and return
    # orders: 17; and this test's own count of the items.
    assert small_count <= 18


# A cancel that reads fulfillment orders (cancelAllocatedQuantity, or the whole-order cancel): one query
# more on preview (the lines of the open fulfillment orders), two more on submit (the open fulfillment
# orders locked, then their lines). The whole-order cancel's submit goes through the payments service of a
# change and its money (payments.services.agent_changes): its own transaction (a savepoint and its release
# here), the summary locked by it and the funds position read before the change: four; the refund, when
# something was captured, is recorded and queued in that transaction (nothing is captured here).
PREVIEW_WITH_FULFILLMENT = PREVIEW + 1
SUBMIT_WITH_FULFILLMENT = SUBMIT + 2
SUBMIT_CANCEL_ORDER = SUBMIT_WITH_FULFILLMENT + 4


def test_cancel_with_fulfillment_orders_and_the_whole_order_cost_the_same_for_2_and_25_items(
    warm_api, django_assert_max_num_queries
):
    small, large = ingested(warm_api, 2, "W-SMALL"), ingested(warm_api, 25, "W-LARGE")
    small_items, large_items = _products(small), _products(large)

    def flagged(items):
        return {**_cancel(items), "cancelAllocatedQuantity": True}

    with django_assert_max_num_queries(PREVIEW_WITH_FULFILLMENT):
        preview_small = count(_poster(warm_api, small, "preview-cancel", flagged(small_items[:1])))
    with django_assert_max_num_queries(PREVIEW_WITH_FULFILLMENT):
        preview_large = count(_poster(warm_api, large, "preview-cancel", flagged(large_items)))
    assert preview_small == preview_large
    with django_assert_max_num_queries(SUBMIT_WITH_FULFILLMENT):
        submit_small = count(_poster(warm_api, small, "submit-cancel", flagged(small_items[:1])))
    with django_assert_max_num_queries(SUBMIT_WITH_FULFILLMENT):
        submit_large = count(_poster(warm_api, large, "submit-cancel", flagged(large_items)))
    assert submit_small == submit_large

    body = {"reason": "Customer Changed Mind"}
    with django_assert_max_num_queries(PREVIEW_WITH_FULFILLMENT):
        preview_small = count(_poster(warm_api, small, "preview-cancel-order", body))
    with django_assert_max_num_queries(PREVIEW_WITH_FULFILLMENT):
        preview_large = count(_poster(warm_api, large, "preview-cancel-order", body))
    assert preview_small == preview_large
    with django_assert_max_num_queries(SUBMIT_CANCEL_ORDER):
        submit_small = count(_poster(warm_api, small, "submit-cancel-order", body))
    with django_assert_max_num_queries(SUBMIT_CANCEL_ORDER):
        submit_large = count(_poster(warm_api, large, "submit-cancel-order", body))
    assert submit_small == submit_large
