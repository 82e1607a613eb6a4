"""Issue 7, case 7: secrets — a revoked key opens nothing, keys are stored as digests only and never
logged, and no card number is stored anywhere (only the gateway's tokens)."""

import hashlib
import io
import json
import logging
import re
import uuid

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import ApiClient
from tests.builders import ensure_channel, order_body
from tests.factories import ApiKeyClient
from tests.security.world import REQUESTS, api_operations, build_world, row_counts

pytestmark = pytest.mark.django_db

INGEST = "/api/v1/commerce/orders"
# 13 to 19 digits, spaces or dashes between them, that pass the Luhn check: what a card number is.
DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def luhn(digits: str) -> bool:
    numbers = [int(d) for d in digits][::-1]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(numbers)) % 10 == 0


def card_numbers_in(text: str) -> list[str]:
    return [run for run in DIGIT_RUN.findall(text) if luhn(re.sub(r"\D", "", run))]


def database_dump() -> str:
    """Every column of every row of every table the project writes, as text."""
    return "\n".join(
        repr(row)
        for app in ("orders", "payments", "console", "auth", "sessions", "axes", "admin")
        for model in apps.get_app_config(app).get_models()
        if model._meta.managed and not model._meta.proxy
        for row in model.objects.values_list()
    )


def send(client, method, path, body):
    extra = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex} if method == "POST" else {}
    if body is None:
        return client.generic(method, path, **extra)
    return client.generic(method, path, json.dumps(body, default=str), content_type="application/json", **extra)


def test_a_revoked_key_gets_401_from_every_operation_and_changes_nothing(make_api):
    world = build_world("Web US", "US")
    client = make_api(scopes=["all"])
    client.record.revoke()
    before = row_counts()
    answers = {}
    for method, route in api_operations():
        path, body = REQUESTS[(method, route)](world)
        response = send(client, method, path, body)
        error = json.loads(response.content)["errors"][0]["errorCode"] if response.content else None
        answers[f"{method} {path}"] = (response.status_code, error, response.get("WWW-Authenticate"))
    assert set(answers.values()) == {(401, "UNAUTHENTICATED", 'Bearer realm="api"')}, answers
    assert row_counts() == before


def test_keys_are_stored_as_digests_only(make_api):
    client = make_api(scopes=["all"])
    record = ApiClient.objects.get(pk=client.record.pk)
    assert record.key_hash == hashlib.sha256(client.raw_key.encode()).hexdigest()
    # The prefix names the key in the admin; the rest of it is nowhere.
    assert client.raw_key.startswith(record.key_prefix) and len(record.key_prefix) <= 12
    assert client.raw_key not in database_dump()
    assert client.raw_key[12:] not in database_dump()


def test_the_key_command_prints_the_key_once_and_stores_its_digest():
    ensure_channel()
    out = io.StringIO()
    call_command("create_api_client", "storefront-x", "--scopes", "orders:read", stdout=out)
    raw_key = out.getvalue().strip().splitlines()[-1]
    assert ApiClient.objects.get(name="storefront-x").key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in database_dump()


@pytest.fixture
def every_log_record():
    """Every log record of every logger, DEBUG and up, whatever the handlers say."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loggers = [
        logging.getLogger(name)
        for name in ("django", "django.request", "django.db.backends", "orders", "payments", "axes")
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(level)
    for logger, previous in zip(loggers, levels, strict=True):
        logger.setLevel(previous)


def test_keys_never_reach_a_log_or_a_query(make_api, every_log_record):
    ensure_channel()
    good = make_api(scopes=["all"])
    revoked = make_api(scopes=["all"])
    revoked.record.revoke()
    unknown = ApiKeyClient()
    unknown_key = "oms_" + uuid.uuid4().hex * 2
    unknown.credentials(HTTP_AUTHORIZATION=f"Bearer {unknown_key}")
    summaries = "/api/v1/commerce/order-management/order-summaries"

    with CaptureQueriesContext(connection) as queries:
        answers = [
            good.post_json(INGEST, order_body(number="LOG-1"), key="log-1").status_code,  # 201
            good.get(f"{summaries}/999999").status_code,  # 404
            good.post_json(INGEST, {"orderNumber": "x"}, key="log-2").status_code,  # 400
            revoked.get(summaries).status_code,  # 401
            unknown.get(summaries).status_code,  # 401
        ]

    assert answers == [201, 404, 400, 401, 401]
    assert len(every_log_record) > 0 and len(queries) > 0
    logged = "\n".join(f"{record.getMessage()} {record.args!r} {record.__dict__!r}" for record in every_log_record)
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    for raw_key in (good.raw_key, revoked.raw_key, unknown_key):
        assert raw_key not in logged
        assert raw_key not in sql


@pytest.mark.parametrize("field", ["gatewayToken", "method", "type"])
@pytest.mark.parametrize(
    "card",
    ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "tok_4111111111111111", "Visa 5555555555554444"],
)
def test_a_card_number_in_a_payment_field_is_refused_and_nothing_stored(api, field, card):
    ensure_channel()
    body = order_body(number="CARD-1")
    body["payments"][0][field] = card
    before = row_counts()
    response = api.post_json(INGEST, body, key=f"card-{field}-{card}")
    assert response.status_code == 400, response.content
    assert f"payments[0].{field}" in [error["field"] for error in json.loads(response.content)["errors"]]
    assert row_counts() == before
    assert re.sub(r"\D", "", card)[-16:] not in database_dump()


def test_no_card_number_and_no_secret_anywhere_in_the_database(api):
    """A whole order life (tests/security/world.py), refused attempts to send card numbers on the way:
    every column of every row holds gateway tokens and references, never a card number or a secret."""
    build_world("Web US", "US")
    ensure_channel()
    for number, token in (("PAN-1", "4242424242424242"), ("PAN-2", "tok_4000 0566 5566 5556")):
        body = order_body(number=number)
        body["payments"][0]["gatewayToken"] = token
        assert api.post_json(INGEST, body, key=number).status_code == 400
    dump = database_dump()
    assert card_numbers_in(dump) == []
    assert settings.SECRET_KEY not in dump
    assert api.raw_key not in dump
    assert "tok_visa" in dump  # what is kept instead: the gateway's token
