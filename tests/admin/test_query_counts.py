"""Admin list pages cost the same number of queries for 2 orders as for 8: nothing is fetched per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import (
    ApiClient,
    IdempotencyRecord,
    Order,
    OrderDeliveryGroup,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderItemTaxLine,
    OrderSummary,
    ProcessException,
)
from payments.models import OrderPaymentSummary, Payment, PaymentAuthorization
from tests.support.order_records import make_order

pytestmark = pytest.mark.django_db

LISTED_MODELS = [
    Order,
    OrderDeliveryGroup,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemTaxLine,
    OrderSummary,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderItemSummaryChange,
    ProcessException,
    ApiClient,
    IdempotencyRecord,
    OrderPaymentSummary,
    PaymentAuthorization,
    Payment,
]
# Session, user, counts, the rows, and one query per filter with choices from the data: a page
# should stay well below this whatever it lists.
PAGE_BUDGET = 15


def add_orders(first: int, count: int):
    """Each order with its own API client, which made its change and left an idempotency record."""
    channels = ["Web US", "Web EU", "Web JP", "Retail Stores"]
    for n in range(first, first + count):
        client, _ = ApiClient.issue(name=f"shop-{n}", scopes=["all"], sales_channel=None)
        make_order(f"Q-{n}", channel_name=channels[n % 4], client=client)
        IdempotencyRecord.objects.create(client=client, key=f"k-{n}", method="POST", path="/x", request_hash="0")


@pytest.mark.parametrize("model", LISTED_MODELS, ids=lambda m: m._meta.label)
def test_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    add_orders(0, 2)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200
    assert len(small) <= PAGE_BUDGET

    add_orders(2, 6)
    with django_assert_max_num_queries(len(small)):
        response = admin_client.get(url)
    assert response.status_code == 200
    # At least one row per order: 8 orders.
    assert len(response.context["cl"].result_list) >= 8
