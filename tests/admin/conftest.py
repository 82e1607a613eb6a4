import pytest
from django.utils import timezone

from orders.models import ApiClient, IdempotencyRecord
from tests.support.order_records import make_order


@pytest.fixture
def api_client_record(db):
    client, _raw_key = ApiClient.issue(name="storefront-us", scopes=["orders:read", "orders:write"])
    IdempotencyRecord.objects.create(
        client=client,
        key="retry-1",
        method="POST",
        path="/api/v1/commerce/orders",
        request_hash="0" * 64,
        response_status=201,
        response_body='{"orderId": "1"}',
        completed_at=timezone.now(),
    )
    return client


@pytest.fixture
def order_summary(db, api_client_record):
    return make_order("WEB-1001", client=api_client_record)
