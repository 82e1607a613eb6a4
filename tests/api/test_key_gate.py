"""The API key's cached record and the rate count in one Redis round trip (orders/api/key_gate.py): what
the cache serves is what the database says, a change to a key or its channel takes effect at the next
request, an unknown key is never cached, and a refused request is not counted."""

import os
import uuid

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.api import key_gate
from orders.models import ApiClient, SalesChannel
from orders.models.api_clients import hash_key
from tests.api.helpers import INGEST, SUMMARIES, body_of
from tests.builders import ensure_channel, order_body

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("CELERY_BROKER_URL", "")


@pytest.fixture(autouse=True)
def redis_cache(settings):
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
    return redis.Redis.from_url(REDIS_URL)


def key_queries(client) -> int:
    """How many queries one read of the summaries asks about API clients."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(SUMMARIES).status_code == 200
    return sum('FROM "orders_apiclient"' in query["sql"] for query in queries)


def test_a_known_key_is_read_from_the_database_once_then_from_the_cache(make_api):
    client = make_api(scopes=["orders:read"])
    # The first use stamps last_used_at (at most every 5 minutes), which forgets the record read before it.
    assert key_queries(client) == 1
    assert key_queries(client) == 1
    assert key_queries(client) == 0
    assert key_queries(client) == 0


def test_the_cached_record_is_the_row_with_its_channel():
    channel = SalesChannel.objects.create(name="Cached Web", description="the storefront")
    issued, raw_key = ApiClient.issue(name="cached", scopes=["orders:read", "orders:write"], sales_channel=channel)
    key_gate.pass_key(hash_key(raw_key), rate=None)  # a miss: read and cached

    cached, count = key_gate.pass_key(hash_key(raw_key), rate=None)

    fresh = ApiClient.objects.select_related("sales_channel").get(pk=issued.pk)
    assert count is None
    assert cached is not None and cached.pk == fresh.pk and not cached._state.adding
    for field in ApiClient._meta.concrete_fields:
        assert getattr(cached, field.attname) == getattr(fresh, field.attname), field.name
    assert cached.sales_channel is not None
    for field in SalesChannel._meta.concrete_fields:
        assert getattr(cached.sales_channel, field.attname) == getattr(fresh.sales_channel, field.attname)


def test_an_unknown_key_is_never_cached(redis_cache):
    raw_key = "oms_never-issued"
    assert key_gate.pass_key(hash_key(raw_key), rate=None) == (None, None)
    assert not redis_cache.exists(key_gate.record_key(hash_key(raw_key)))


def test_revoking_a_cached_key_takes_effect_at_the_next_request(make_api, redis_cache):
    client = make_api(scopes=["orders:read"])
    client.get(SUMMARIES)  # stamps last_used_at, which forgets the record
    client.get(SUMMARIES)
    assert redis_cache.exists(key_gate.record_key(hash_key(client.raw_key)))

    client.record.revoke()

    assert client.get(SUMMARIES).status_code == 401
    assert not redis_cache.exists(key_gate.record_key(hash_key(client.raw_key)))  # a revoked key is not cached


def test_a_request_that_read_the_key_just_before_its_revocation_cannot_cache_it(monkeypatch, redis_cache):
    # The race: a miss reads the row (still active), the revocation commits and forgets the key, and only then
    # does the first request write what it read. That write must not land: the next request reads the row.
    issued, raw_key = ApiClient.issue(name="racing", scopes=["orders:read"])
    read_row = key_gate._client_from_database

    def read_then_revoked_meanwhile(key_hash):
        client = read_row(key_hash)
        ApiClient.objects.get(pk=issued.pk).revoke()  # its forgetting runs now (and again at commit)
        return client

    monkeypatch.setattr(key_gate, "_client_from_database", read_then_revoked_meanwhile)
    racing, _ = key_gate.pass_key(hash_key(raw_key), rate=None)
    assert racing is not None and racing.pk == issued.pk  # that request was let in: it came before the revoke
    monkeypatch.setattr(key_gate, "_client_from_database", read_row)

    assert not redis_cache.exists(key_gate.record_key(hash_key(raw_key)))
    assert key_gate.pass_key(hash_key(raw_key), rate=None) == (None, None)


def test_deleting_a_cached_key_takes_effect_at_the_next_request(make_api):
    client = make_api(scopes=["orders:read"])
    assert client.get(SUMMARIES).status_code == 200
    ApiClient.objects.filter(pk=client.record.pk).delete()
    assert client.get(SUMMARIES).status_code == 401


def test_a_scope_taken_away_takes_effect_at_the_next_request(make_api):
    client = make_api(scopes=["orders:read"])
    assert client.get(SUMMARIES).status_code == 200
    record = ApiClient.objects.get(pk=client.record.pk)
    record.scopes = ["orders:write"]
    record.save()
    assert client.get(SUMMARIES).status_code == 403


def test_a_new_digest_on_the_same_row_shuts_the_old_key_out(make_api):
    client = make_api(scopes=["orders:read"])
    assert client.get(SUMMARIES).status_code == 200
    record = ApiClient.objects.get(pk=client.record.pk)
    record.key_hash = hash_key("oms_the-new-key")
    record.save()
    assert client.get(SUMMARIES).status_code == 401


def test_a_channel_bound_later_and_renamed_takes_effect_at_the_next_request(make_api):
    ensure_channel("Web")
    other = SalesChannel.objects.create(name="Outlet")
    client = make_api(scopes=["orders:read", "orders:write"])
    assert client.post_json(INGEST, order_body(number="GATE-1", channel="Web"), key="gate-1").status_code == 201

    record = ApiClient.objects.get(pk=client.record.pk)
    record.sales_channel = other
    record.save()
    refused = client.post_json(INGEST, order_body(number="GATE-2", channel="Web"), key="gate-2")
    assert refused.status_code == 400, refused.content
    assert body_of(refused)["errors"][0]["field"] == "salesChannel"

    other.name = "Outlet Store"
    other.save()
    answered = client.post_json(INGEST, order_body(number="GATE-3", channel="Outlet Store"), key="gate-3")
    assert answered.status_code == 201, answered.content


def test_a_cached_key_is_counted_in_the_same_round_trip(make_api, settings):
    settings.OMS_API_RATE_LIMIT = "3/minute"
    client = make_api(scopes=["orders:read"])
    assert [client.get(SUMMARIES).status_code for _ in range(2)] == [200, 200]  # counted by the throttle
    with CaptureQueriesContext(connection) as queries:
        assert [client.get(SUMMARIES).status_code for _ in range(2)] == [200, 429]  # counted with the lookup
    assert not [query for query in queries if 'FROM "orders_apiclient"' in query["sql"]]


def test_requests_refused_by_scope_are_not_counted(make_api, settings):
    settings.OMS_API_RATE_LIMIT = "3/minute"
    ensure_channel()
    client = make_api(scopes=["orders:read"])
    client.get(SUMMARIES)  # stamps last_used_at
    client.get(SUMMARIES)  # cached from now on: counted at authentication
    refused = [client.post_json(INGEST, order_body(number=f"NC-{n}"), key=f"nc-{n}") for n in range(3)]
    assert [response.status_code for response in refused] == [403, 403, 403]
    assert [client.get(SUMMARIES).status_code for _ in range(2)] == [200, 429]
    assert body_of(client.get(SUMMARIES))["errors"][0]["errorCode"] == "RATE_LIMITED"


def test_without_redis_the_key_is_read_from_the_database_and_nothing_is_counted(make_api, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    client = make_api(scopes=["orders:read"])
    found, count = key_gate.pass_key(hash_key(client.raw_key), rate=(1000.0, 60, 5))
    assert found is not None and found.pk == client.record.pk and count is None
    assert key_queries(client) == 1
    assert key_queries(client) == 1
