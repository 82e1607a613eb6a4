"""Issue 7, case 3: retried storefront and back-office calls (API.md, Conventions, Idempotency).

Every POST operation the API serves: a retry with the same key and body replays the first answer
byte for byte and writes nothing; the same key with another body answers 422. Keys belong to one
API client; a refused request keeps no key; twenty copies of one request at once do the work once.
"""

import json
from decimal import Decimal as D

import pytest
from django.db import transaction

from orders.models import ApiClient, IdempotencyRecord, Order, OrderKind
from tests.builders import address, ensure_channel, ingest, item, items_by_sku, order_body
from tests.reliability.helpers import action, body_of, error_codes, post, run_together, statuses
from tests.security.world import REQUESTS, build_world, row_counts

pytestmark = pytest.mark.django_db

POSTS = sorted(operation for operation in REQUESTS if operation[0] == "POST")
REPLAYED = "Idempotent-Replayed"


def send(client, path, body, key):
    return client.post(path, json.dumps(body, default=str), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_every_post_replays_a_retry_and_refuses_the_key_with_another_body(api):
    world = build_world("Web US", "US")
    problems = {}
    for operation in POSTS:
        path, body = REQUESTS[operation](world)
        key = f"retry-{operation[1]}"
        with transaction.atomic():
            first = send(api, path, body, key)
            written = row_counts()
            again = send(api, path, body, key)
            after_replay = row_counts()
            reused = send(api, path, {**body, "changed": True}, key)
            after_reuse = row_counts()
            transaction.set_rollback(True)  # the next operation starts from the same records
        found = []
        if not 200 <= first.status_code < 300:
            found.append(f"the first request answered {first.status_code}: {first.content[:200]}")
        if (again.status_code, again.content) != (first.status_code, first.content) or again.get(REPLAYED) != "true":
            found.append(f"the retry was not a replay: {again.status_code} {again.content[:200]}")
        if after_replay != written:
            found.append("the retry wrote something")
        if reused.status_code != 422 or error_codes(reused) != {"IDEMPOTENCY_KEY_REUSED"}:
            found.append(f"another body with the key answered {reused.status_code}: {reused.content[:200]}")
        if after_reuse != written:
            found.append("the reused key wrote something")
        if found:
            problems[f"POST {path}"] = found
    assert problems == {}
    assert len(POSTS) >= 25


@pytest.fixture
def five_units():
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("FIVE", 5, "10.00")],
                }
            ]
        )
    )


def cancel_one(ois):
    return {"changeItems": [{"orderItemSummaryId": str(ois.pk), "quantity": 1, "reason": "Unknown"}]}


def test_keys_are_scoped_to_the_api_client(make_api, five_units):
    five = items_by_sku(five_units)["FIVE"]
    one, two = make_api(scopes=["orders:write"]), make_api(scopes=["orders:write"])
    path = action(five_units.pk, "submit-cancel")
    first = one.post_json(path, cancel_one(five), key="shared")
    second = two.post_json(path, cancel_one(five), key="shared")
    assert (first.status_code, second.status_code) == (201, 201)
    assert REPLAYED not in second.headers
    # Two clients, two cancels: 2 of the 5 units.
    five.refresh_from_db()
    assert five.quantity_canceled == 2
    assert IdempotencyRecord.objects.filter(key="shared").count() == 2


def test_a_refused_request_keeps_no_key_so_the_corrected_retry_is_done(make_api, five_units):
    five = items_by_sku(five_units)["FIVE"]
    client = make_api(scopes=["orders:write"])
    path = action(five_units.pk, "submit-cancel")
    too_many = {"changeItems": [{"orderItemSummaryId": str(five.pk), "quantity": 6, "reason": "Unknown"}]}
    counts = row_counts()

    refused = client.post_json(path, too_many, key="fix-me")
    malformed = client.post_json(path, {"changeItems": "all of them"}, key="fix-me")

    assert (refused.status_code, malformed.status_code) == (409, 400)
    assert row_counts() == counts  # no idempotency record either
    corrected = client.post_json(path, cancel_one(five), key="fix-me")
    assert corrected.status_code == 201 and REPLAYED not in corrected.headers
    replayed = client.post_json(path, cancel_one(five), key="fix-me")
    assert (replayed.status_code, replayed.content, replayed[REPLAYED]) == (201, corrected.content, "true")
    five.refresh_from_db()
    assert five.quantity_canceled == 1


# --- Twenty copies of one request at once (PostgreSQL) ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("resource", ["ingest", "submit-cancel"])
def test_twenty_concurrent_requests_with_one_key_do_the_work_once(resource, settings):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    ensure_channel()
    raw_key = ApiClient.issue(name="retrier", scopes=["orders:write"])[1]
    if resource == "ingest":
        path, body = "/api/v1/commerce/orders", order_body(number="ONCE-1")
    else:
        summary = ingest(
            order_body(
                groups=[
                    {
                        "referenceId": "g",
                        "deliverTo": address(),
                        "deliveryMethod": "Ground",
                        "items": [item("FIVE", 5, "10.00")],
                    }
                ]
            )
        )
        path, body = action(summary.pk, "submit-cancel"), cancel_one(items_by_sku(summary)["FIVE"])

    outcomes = run_together(lambda _: post(raw_key, path, body, idempotency_key="one-key"), 20)

    codes = statuses(outcomes)
    assert set(codes) <= {201, 409}, codes
    fresh = [o for o in outcomes if o.status_code == 201 and REPLAYED not in o.headers]
    replays = [o for o in outcomes if o.status_code == 201 and o.get(REPLAYED) == "true"]
    busy = [o for o in outcomes if o.status_code == 409]
    assert len(fresh) == 1, codes
    assert all(r.content == fresh[0].content for r in replays)
    assert all(error_codes(b) == {"IDEMPOTENCY_KEY_IN_USE"} for b in busy), [b.content for b in busy]
    if resource == "ingest":
        assert Order.objects.filter(order_number="ONCE-1").count() == 1
        assert body_of(fresh[0])["orderId"] == str(Order.objects.get(order_number="ONCE-1").pk)
    else:
        # One cancel of one unit, though five units could have been canceled by five copies.
        assert Order.objects.filter(kind=OrderKind.CHANGE).count() == 1
        assert items_by_sku(summary)["FIVE"].quantity_canceled == D("1")
    assert IdempotencyRecord.objects.count() == 1
