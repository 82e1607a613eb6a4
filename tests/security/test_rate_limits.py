"""Issue 7, case 7: API rate limits per client — the client over its budget gets 429 RATE_LIMITED,
with Retry-After, and nothing it sends is done; other clients are not affected."""

import os
import threading
import uuid
from types import SimpleNamespace

import pytest

from orders.api.throttling import ApiClientRateThrottle
from orders.models import ApiClient, Order
from tests.api.schema import assert_response_matches_schema, served_schema
from tests.builders import ensure_channel, order_body
from tests.reliability.helpers import SUMMARIES, body_of

pytestmark = pytest.mark.django_db

INGEST = "/api/v1/commerce/orders"
REDIS_URL = os.environ.get("CELERY_BROKER_URL", "")


@pytest.fixture(autouse=True, params=["locmem", "redis"])
def counted_in(request, settings):
    """Every test here runs with the counts in process memory (DRF's sliding log in the cache) and in
    Redis (the sorted-set log of orders/api/throttling.py), each test under its own key prefix."""
    if request.param == "redis":
        if not REDIS_URL.startswith("redis"):
            if os.environ.get("OMS_REQUIRE_SERVICES"):
                pytest.fail("OMS_REQUIRE_SERVICES is set but CELERY_BROKER_URL is not Redis")
            pytest.skip("needs Redis (set CELERY_BROKER_URL=redis://…)")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"test-{uuid.uuid4().hex}",
            }
        }
    return request.param


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


def throttle_for(client: ApiClient) -> tuple[ApiClientRateThrottle, object]:
    return ApiClientRateThrottle(), SimpleNamespace(auth=client)


def test_concurrent_requests_of_one_client_are_counted_exactly(settings, counted_in):
    if counted_in != "redis":
        pytest.skip("DRF's version reads and writes the whole log: concurrent requests can both pass")
    settings.OMS_API_RATE_LIMIT = "5/minute"
    client = ApiClient.issue(name="busy", scopes=["orders:read"])[0]
    barrier, accepted = threading.Barrier(20), []

    def one():
        throttle, request = throttle_for(client)
        barrier.wait(timeout=30)
        accepted.append(throttle.allow_request(request, None))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(accepted) == [False] * 15 + [True] * 5


def test_the_window_slides_and_retry_after_names_when_the_oldest_request_leaves_it(settings):
    settings.OMS_API_RATE_LIMIT = "2/minute"
    client = ApiClient.issue(name="sliding", scopes=["orders:read"])[0]
    moments = iter([1000.0, 1010.0, 1020.0, 1061.0, 1062.0])

    def at_next_moment():
        throttle, request = throttle_for(client)
        throttle.timer = lambda moment=next(moments): moment
        return throttle, throttle.allow_request(request, None)

    assert at_next_moment()[1] and at_next_moment()[1]  # 1000 and 1010
    refused, allowed = at_next_moment()  # 1020: two in the last minute
    assert not allowed and refused.wait() == pytest.approx(40.0)  # 1000 leaves the window at 1060
    assert at_next_moment()[1]  # 1061: 1000 has left; 1010 and 1061 in
    refused, allowed = at_next_moment()  # 1062: the refused 1020 was not counted
    assert not allowed and refused.wait() == pytest.approx(8.0)
