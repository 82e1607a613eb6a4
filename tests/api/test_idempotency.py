"""Idempotency-Key on POST /commerce/orders (API.md, Conventions): replay, reuse, in flight, races."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from orders.api.idempotency import request_fingerprint
from orders.api.parsers import DecimalJSONParser
from orders.models import ApiClient, IdempotencyRecord, Order
from tests.api.helpers import INGEST, body_of, row_counts
from tests.api.schema import assert_response_matches_schema, check_every_response
from tests.builders import ensure_channel, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def fingerprint_of(body) -> str:
    """What the server fingerprints for `body` posted to the ingest path."""
    wsgi_request = APIRequestFactory().post(INGEST, body, format="json")
    return request_fingerprint(Request(wsgi_request, parsers=[DecimalJSONParser()]))


def test_retry_with_the_same_key_and_body_replays_the_first_answer(api):
    ensure_channel()
    body = order_body()
    first = api.post_json(INGEST, body, key="replay-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    counts = row_counts()

    again = api.post_json(INGEST, body, key="replay-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert_response_matches_schema(again, "post", INGEST)
    assert row_counts() == counts
    assert Order.objects.count() == 1


def test_same_key_with_another_body_answers_422_and_writes_nothing(api):
    ensure_channel()
    assert api.post_json(INGEST, order_body(number="K-1"), key="reused").status_code == 201
    counts = row_counts()
    response = api.post_json(INGEST, order_body(number="K-2"), key="reused")
    assert response.status_code == 422
    body = assert_response_matches_schema(response, "post", INGEST)
    assert body["errors"][0]["errorCode"] == "IDEMPOTENCY_KEY_REUSED"
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert row_counts() == counts
    assert not Order.objects.filter(order_number="K-2").exists()


def test_keys_are_scoped_to_the_api_client(make_api):
    ensure_channel()
    one, two = make_api(scopes=["orders:write"]), make_api(scopes=["orders:write"])
    assert one.post_json(INGEST, order_body(number="A-1"), key="shared-key").status_code == 201
    response = two.post_json(INGEST, order_body(number="B-1"), key="shared-key")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert set(Order.objects.values_list("order_number", flat=True)) == {"A-1", "B-1"}
    assert IdempotencyRecord.objects.filter(key="shared-key").count() == 2


def test_a_refused_request_is_not_kept_so_a_corrected_retry_goes_through(api):
    ensure_channel()
    bad = order_body(number="FIX-1", currencyIsoCode="ZZZ")
    assert api.post_json(INGEST, bad, key="fix-me").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    corrected = api.post_json(INGEST, order_body(number="FIX-1"), key="fix-me")
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert IdempotencyRecord.objects.get(key="fix-me").response_status == 201


def test_a_duplicate_order_answer_is_not_kept_either(api):
    ensure_channel()
    assert api.post_json(INGEST, order_body(number="D-1"), key="d-first").status_code == 201
    assert api.post_json(INGEST, order_body(number="D-1"), key="d-second").status_code == 409
    assert not IdempotencyRecord.objects.filter(key="d-second").exists()


def test_retry_while_the_first_request_runs_answers_409_in_use(api):
    ensure_channel()
    body = order_body()
    # The first request claimed the key a moment ago and has not answered yet.
    IdempotencyRecord.objects.create(
        client=api.record, key="busy", method="POST", path=INGEST, request_hash=fingerprint_of(body)
    )
    counts = row_counts()
    response = api.post_json(INGEST, body, key="busy")
    assert response.status_code == 409
    error = assert_response_matches_schema(response, "post", INGEST)
    assert error["errors"][0]["errorCode"] == "IDEMPOTENCY_KEY_IN_USE"
    assert row_counts() == counts


def test_a_claim_abandoned_longer_than_the_timeout_is_taken_over(api, settings):
    ensure_channel()
    body = order_body()
    stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS + 60)
    IdempotencyRecord.objects.create(
        client=api.record,
        key="dead",
        method="POST",
        path=INGEST,
        request_hash=fingerprint_of(body),
        created_at=stale,
    )
    response = api.post_json(INGEST, body, key="dead")
    assert response.status_code == 201
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="dead").response_status == 201


def test_the_answer_is_kept_in_the_orders_own_transaction(api, monkeypatch):
    """Kept inside the order's transaction, after its inserts: committed with the order, never after it."""
    from orders.api import idempotency
    from orders.services import ingest

    ensure_channel()
    seen = {}
    create, record = ingest.create_order, idempotency.record_answer

    def creating(*args, **kwargs):
        seen["order's transaction"] = connection.atomic_blocks[-1]
        return create(*args, **kwargs)

    def recording(*args, **kwargs):
        seen["kept inside it"] = seen["order's transaction"] in connection.atomic_blocks
        return record(*args, **kwargs)

    monkeypatch.setattr(ingest, "create_order", creating)
    monkeypatch.setattr(idempotency, "record_answer", recording)
    response = api.post_json(INGEST, order_body(number="IN-TX"), key="in-tx")
    assert response.status_code == 201
    assert seen["kept inside it"] is True
    record = IdempotencyRecord.objects.get(key="in-tx")
    assert (record.response_status, record.response_body.encode()) == (201, response.content)


def test_if_the_answer_cannot_be_kept_the_order_is_not_written_and_the_key_is_freed(api, monkeypatch):
    from orders.api import idempotency

    ensure_channel()
    counts = row_counts()

    def failing(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(idempotency, "record_answer", failing)
    with pytest.raises(RuntimeError):
        api.post_json(INGEST, order_body(number="LOST-1"), key="lost-1")
    assert row_counts() == counts
    assert not Order.objects.filter(order_number="LOST-1").exists()
    monkeypatch.undo()
    retried = api.post_json(INGEST, order_body(number="LOST-1"), key="lost-1")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers


def test_a_taken_order_number_answers_409_with_the_existing_ids(api):
    """Found by the order's unique index (no question asked before the insert), answered the same."""
    ensure_channel()
    first = body_of(api.post_json(INGEST, order_body(number="TAKEN-1"), key="taken-a"))
    counts = row_counts()
    again = api.post_json(INGEST, order_body(number="TAKEN-1"), key="taken-b")
    assert again.status_code == 409
    error = assert_response_matches_schema(again, "post", INGEST)
    assert error["errors"][0]["errorCode"] == "DUPLICATE_VALUE"
    assert error["output"] == {"orderId": first["orderId"], "orderSummaryId": first["orderSummaryId"]}
    assert row_counts() == counts


# --- Races on PostgreSQL: real concurrent transactions --------------------------------------------

THREADS = 20


def race(raw_key: str, requests: list[tuple[dict, str]]) -> list:
    """Send the requests from as many threads at once; each result is a response or the exception raised."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def send(index, body, key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        try:
            barrier.wait(timeout=30)
            results[index] = client.post(INGEST, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        except Exception as exc:  # a 500 surfaces here through the test client
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, body, key)) for i, (body, key) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def race_client(settings):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    ensure_channel()
    _, raw_key = ApiClient.issue(name="racer", scopes=["orders:write"])
    return raw_key


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_order(race_client):
    body = order_body(number="RACE-KEY")
    results = race(race_client, [(body, "one-key")] * THREADS)

    assert not [r for r in results if isinstance(r, Exception) or r is None], results
    assert all(r.status_code in (201, 409) for r in results), [r.status_code for r in results]
    fresh = [r for r in results if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    replayed = [r for r in results if r.status_code == 201 and r.headers.get("Idempotent-Replayed") == "true"]
    in_use = [r for r in results if r.status_code == 409]
    assert len(fresh) == 1
    assert len(fresh) + len(replayed) + len(in_use) == THREADS
    assert all(r.content == fresh[0].content for r in replayed)
    assert {body_of(r)["errors"][0]["errorCode"] for r in in_use} <= {"IDEMPOTENCY_KEY_IN_USE"}
    assert Order.objects.filter(order_number="RACE-KEY").count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_order_number_and_different_keys_make_one_order(race_client):
    body = order_body(number="RACE-NUMBER")
    results = race(race_client, [(body, f"key-{n}") for n in range(THREADS)])

    assert not [r for r in results if isinstance(r, Exception) or r is None], results
    created = [r for r in results if r.status_code == 201]
    refused = [r for r in results if r.status_code == 409]
    assert len(created) == 1 and len(refused) == THREADS - 1, [r.status_code for r in results]
    order_id = body_of(created[0])["orderId"]
    for response in refused:
        error = body_of(response)
        assert error["errors"][0]["errorCode"] == "DUPLICATE_VALUE"
        assert error["output"]["orderId"] == order_id
    assert Order.objects.filter(order_number="RACE-NUMBER").count() == 1
    # Only the answered request keeps its key.
    assert IdempotencyRecord.objects.count() == 1
