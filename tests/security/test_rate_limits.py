"""Issue 7, case 7: API rate limits per client — the client over its budget gets 429 RATE_LIMITED,
with Retry-After, and nothing it sends is done; other clients are not affected."""

import pytest

from orders.models import Order
from tests.api.schema import assert_response_matches_schema, served_schema
from tests.builders import ensure_channel, order_body
from tests.reliability.helpers import SUMMARIES, body_of

pytestmark = pytest.mark.django_db

INGEST = "/api/v1/commerce/orders"


@pytest.fixture
def three_a_minute(settings):
    settings.OMS_API_RATE_LIMIT = "3/minute"


def test_a_client_over_its_rate_gets_429_rate_limited_with_retry_after(make_api, three_a_minute):
    client = make_api(scopes=["orders:read"])
    assert [client.get(SUMMARIES).status_code for _ in range(3)] == [200, 200, 200]

    refused = client.get(SUMMARIES)

    assert refused.status_code == 429
    body = assert_response_matches_schema(refused, "get", SUMMARIES)
    assert [error["errorCode"] for error in body["errors"]] == ["RATE_LIMITED"]
    # The window is one minute: the oldest of the three requests leaves it in at most 60 seconds.
    assert 0 < int(refused["Retry-After"]) <= 60


def test_the_limit_is_per_client(make_api, three_a_minute):
    busy, other = make_api(scopes=["orders:read"]), make_api(scopes=["orders:read"])
    for _ in range(3):
        busy.get(SUMMARIES)
    assert busy.get(SUMMARIES).status_code == 429
    assert other.get(SUMMARIES).status_code == 200


def test_a_throttled_write_does_nothing(make_api, three_a_minute):
    ensure_channel()
    client = make_api(scopes=["orders:read", "orders:write"])
    for _ in range(3):
        client.get(SUMMARIES)

    refused = client.post_json(INGEST, order_body(number="LIMITED-1"), key="limited-1")

    assert refused.status_code == 429
    assert body_of(refused)["errors"][0]["errorCode"] == "RATE_LIMITED"
    assert not Order.objects.filter(order_number="LIMITED-1").exists()


def test_every_operation_that_needs_a_key_documents_429():
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in served_schema()["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") and "429" not in operation["responses"]
    ]
    assert undocumented == []


def test_no_limit_when_the_rate_is_empty(make_api, settings):
    settings.OMS_API_RATE_LIMIT = ""
    client = make_api(scopes=["orders:read"])
    assert {client.get(SUMMARIES).status_code for _ in range(30)} == {200}
