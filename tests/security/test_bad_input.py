"""Issue 7, case 9: bad input everywhere — malformed JSON, wrong types, huge numbers, negative and
too-fine quantities, null and surrogate characters, a 10 MB body, unknown currencies — answers 400
(413 for the body) naming the field, with the API's error body, and writes nothing; never a 500.

Every write operation's valid request (tests/security/world.py) is broken one leaf at a time.
Quantities with two decimals are valid (DOMAIN.md: some goods sell in fractions), so the fractional
case is a third decimal.
"""

import json
import uuid
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import transaction

from orders.models import Order
from tests.builders import ensure_channel, order_body
from tests.security.test_forbidden_fields import documented_fields
from tests.security.world import REQUESTS, build_world, row_counts

pytestmark = pytest.mark.django_db

WRITES = sorted(op for op in REQUESTS if op[0] in ("POST", "PATCH"))
DATES = ("orderedDate", "expectedArrivalDate", "expiresAt", "desiredDeliveryDate")


def leaves(node, path=""):
    """(path, value) of every value in a JSON body, named as the API names fields: a.b[0].c."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else key
            yield child, value
            yield from leaves(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield f"{path}[{index}]", value
            yield from leaves(value, f"{path}[{index}]")


def replaced(body, path, value):
    """A deep copy of body with the value at path replaced."""
    copy = json.loads(json.dumps(body, default=str))
    node, parts = copy, path.replace("[", ".[").split(".")
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return copy


def mutations(body):
    """(what, path, broken body) for every leaf of the body."""
    for path, value in leaves(body):
        if isinstance(value, bool):
            yield "wrong type", path, replaced(body, path, "maybe")
        elif isinstance(value, int | float | D):
            yield "wrong type", path, replaced(body, path, "twelve")
            yield "huge number", path, replaced(body, path, 10**30)
            if "quantity" in path.rsplit(".", 1)[-1].lower():
                yield "negative quantity", path, replaced(body, path, -1)
                yield "too fine a quantity", path, replaced(body, path, 0.001)
        elif isinstance(value, str):
            yield "wrong type", path, replaced(body, path, {"nested": ["object"]})
            if not path.endswith(DATES):
                # Python's ISO date parser reads "2026-11-20T10:00:00Z\x00" as the date: the NUL is
                # dropped, nothing of it is stored.
                yield "null character", path, replaced(body, path, value + "\x00")
            yield "lone surrogate", path, replaced(body, path, "\ud800")
        elif isinstance(value, list | dict):
            yield "wrong type", path, replaced(body, path, "text")


# Operations over several records answer 200 with an entry per record; a broken entry fails alone,
# and the answer (all entries refused) is kept for its Idempotency-Key like any 2xx.
ENTRIES = ("results", "fulfillmentOrders", "invoices")
STORED_ANSWERS = ("orders.IdempotencyRecord",)


def answer_problem(response, path) -> str | None:
    """What is wrong with the answer to a broken request, if anything."""
    try:
        answer = json.loads(response.content)
    except ValueError:
        return f"{response.status_code}, not JSON: {response.content[:100]}"
    entries = next((answer[key] for key in ENTRIES if isinstance(answer, dict) and key in answer), None)
    if response.status_code in (200, 201) and entries is not None:
        if any(entry["success"] for entry in entries):
            return f"the broken record was accepted: {response.content[:200]}"
        errors = [error for entry in entries for error in entry["errors"]]
    else:
        if response.status_code != 400:
            return f"{response.status_code}: {response.content[:200]}"
        if set(answer) != {"message", "errors", "output"}:
            return f"not the API's error body: {answer}"
        errors = answer["errors"]
    fields = [e.get("field") or "" for e in errors]
    if {e.get("errorCode") for e in errors} != {"INVALID_API_INPUT"}:
        return f"codes {[e.get('errorCode') for e in errors]}"
    if path and not any(
        field == path or field.startswith((f"{path}.", f"{path}[")) or path.startswith(field + ".")
        for field in fields
        if field
    ):
        return f"names {fields}, not {path}"
    return None


def send(client, method, path, raw: bytes | str, key=None):
    return client.generic(
        method, path, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex
    )


def test_every_leaf_of_every_write_broken_answers_400_naming_it_and_writes_nothing(api):
    world = build_world("Web US", "US")
    problems, tried = {}, 0
    for operation in WRITES:
        path, body = REQUESTS[operation](world)
        for what, leaf, broken in mutations(body):
            tried += 1
            before = row_counts(ignore=STORED_ANSWERS)
            with transaction.atomic():
                try:
                    response = send(api, operation[0], path, json.dumps(broken))
                except Exception as crash:  # the test client raises what would have been a 500
                    problems[f"{operation[0]} {path} {leaf}: {what}"] = f"500: {crash!r}"[:300]
                    transaction.set_rollback(True)
                    continue
                written = row_counts(ignore=STORED_ANSWERS) != before
                transaction.set_rollback(True)
            problem = answer_problem(response, leaf)
            if problem or written:
                problems[f"{operation[0]} {path} {leaf}: {what}"] = problem or "wrote something"
    assert problems == {}
    assert tried > 400


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"changeItems": [}', b"\xff\xfe", b"null", b"[1, 2]", b'"text"', b"1e999"],
    ids=["cut short", "broken array", "not UTF-8", "null", "a list", "a string", "a number"],
)
def test_a_body_that_is_not_a_json_object_answers_400_everywhere(api, raw):
    world = build_world("Web US", "US")
    before = row_counts()
    answers = {}
    for operation in WRITES:
        if documented_fields(*operation) is None:
            continue  # an action that takes no body (create-invoice, retry) does not read it
        path, _ = REQUESTS[operation](world)
        response = send(api, operation[0], path, raw)
        problem = answer_problem(response, "")
        if problem:
            answers[f"{operation[0]} {path}"] = problem
    assert answers == {}
    assert row_counts() == before


def test_a_10_mb_body_answers_413_everywhere_before_it_is_read(api):
    world = build_world("Web US", "US")
    before = row_counts()
    ten_mb = json.dumps({"padding": "x" * (10 * 1024 * 1024)})
    answers = {}
    for operation in WRITES:
        path, _ = REQUESTS[operation](world)
        response = send(api, operation[0], path, ten_mb)
        answer = json.loads(response.content)
        answers[f"{operation[0]} {path}"] = (response.status_code, answer["errors"][0]["errorCode"])
    assert set(answers.values()) == {(413, "INVALID_API_INPUT")}, answers
    assert row_counts() == before
    assert len(ten_mb) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.parametrize("key", ["nul\x00key", "tab\tkey", "bell\x07", "x" * 256])
def test_an_idempotency_key_that_cannot_be_stored_answers_400_naming_it(api, key):
    world = build_world("Web US", "US")
    before = row_counts()
    answers = {}
    for operation in WRITES:
        if operation[0] != "POST":
            continue
        path, body = REQUESTS[operation](world)
        response = send(api, "POST", path, json.dumps(body, default=str), key=key)
        answers[path] = answer_problem(response, "Idempotency-Key")
    assert set(answers.values()) == {None}, answers
    assert row_counts() == before


@pytest.mark.parametrize("currency", ["XXX", "ABC", "usd", "US", "EURO", "", "€"])
def test_an_unknown_currency_answers_400_naming_it(api, currency):
    ensure_channel()
    before = row_counts()
    response = api.post_json("/api/v1/commerce/orders", order_body(currency=currency), key=f"cur-{currency}")
    assert response.status_code == 400, response.content
    assert "currencyIsoCode" in [e["field"] for e in json.loads(response.content)["errors"]]
    assert row_counts() == before


@pytest.mark.parametrize("name", ["Zoë Ångström", "東京 太郎", "Ada 🚀 Park", "\u202eevil", "O'Brien; DROP TABLE"])
def test_unicode_names_are_kept_exactly(api, name):
    ensure_channel()
    body = order_body(number="UNI-1")
    body["billTo"]["name"] = name
    body["deliveryGroups"][0]["items"][0]["name"] = name
    response = api.post_json("/api/v1/commerce/orders", body, key="uni-1")
    assert response.status_code == 201, response.content
    order = Order.objects.get(order_number="UNI-1")
    assert order.bill_to_name == name
    assert order.items.get().name == name
    summary_id = json.loads(response.content)["orderSummaryId"]
    detail = api.get(f"/api/v1/commerce/order-management/order-summaries/{summary_id}")
    assert name in detail.content.decode()
