"""Every refused ingest answers 400 (413 for an oversized body) naming the field, and writes nothing."""

import itertools
from decimal import Decimal

import pytest
from django.conf import settings

from tests.api.helpers import INGEST, row_counts
from tests.api.schema import assert_response_matches_schema, check_every_response
from tests.builders import ensure_channel, item, order_body, tax

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


_keys = itertools.count(1)
ITEM = "deliveryGroups[0].items[0]"


def first_item(body):
    return body["deliveryGroups"][0]["items"][0]


def set_item(**changes):
    def change(body):
        first_item(body).update(changes)

    return change


def set_top(**changes):
    def change(body):
        body.update(changes)

    return change


def drop_email(body):
    del body["billTo"]["email"]


def tax_that_does_not_add_up(body):
    # 8 % of 10.00 is 0.80, not 5.00.
    first_item(body)["taxes"] = [tax(8, "5.00")]


def discount_larger_than_the_line(body):
    first_item(body)["adjustments"] = [{"name": "TOO-MUCH", "amount": Decimal("-20.00")}]


def positive_discount(body):
    first_item(body)["adjustments"] = [{"name": "UPCHARGE", "amount": Decimal("5.00")}]


def payments_short(body):
    body["payments"][0]["amount"] = Decimal("5.00")  # the grand total is 10.80


def card_number_as_token(body):
    body["payments"][0]["gatewayToken"] = "4242 4242 4242 4242"


def bad_country(body):
    body["billTo"]["country"] = "USA"


def empty_items(body):
    body["deliveryGroups"][0]["items"] = []


def too_many_items(body):
    body["deliveryGroups"][0]["items"] = [item(f"SKU-{n}", 1, "1.00") for n in range(settings.OMS_MAX_ORDER_ITEMS + 1)]


def unknown_channel(body):
    body["salesChannel"] = "Nowhere"


# (case, change to a valid body, the field the answer must name)
CASES = [
    ("negative quantity", set_item(quantity=Decimal("-1")), f"{ITEM}.quantity"),
    ("zero quantity", set_item(quantity=Decimal("0")), f"{ITEM}.quantity"),
    ("string for a number", set_item(quantity="two"), f"{ITEM}.quantity"),
    ("NaN as a string", set_item(unitPrice="NaN"), f"{ITEM}.unitPrice"),
    ("too many decimals for USD", set_item(unitPrice=Decimal("10.005")), f"{ITEM}.unitPrice"),
    ("tax that does not add up", tax_that_does_not_add_up, f"{ITEM}.taxes[0].amount"),
    ("discount larger than the line", discount_larger_than_the_line, f"{ITEM}.adjustments"),
    ("positive discount", positive_discount, f"{ITEM}.adjustments[0].amount"),
    ("unknown currency", set_top(currencyIsoCode="ZZZ"), "currencyIsoCode"),
    ("missing billTo.email", drop_email, "billTo.email"),
    ("client grand total mismatch", set_top(grandTotalAmount=Decimal("99.00")), "grandTotalAmount"),
    ("payments not covering the total", payments_short, "payments"),
    ("card number as gateway token", card_number_as_token, "payments[0].gatewayToken"),
    ("unknown field status", set_top(status="Activated"), "status"),
    ("bad country", bad_country, "billTo.country"),
    ("invalid date", set_top(orderedDate="2026-13-45T10:00:00Z"), "orderedDate"),
    ("empty items", empty_items, "deliveryGroups[0].items"),
    ("too many items", too_many_items, "deliveryGroups[0].items"),
    ("order number with spaces", set_top(orderNumber="WEB 1"), "orderNumber"),
    ("unknown sales channel", unknown_channel, "salesChannel"),
    ("bad life cycle type", set_top(orderLifeCycleType="SOMETIMES"), "orderLifeCycleType"),
]


def assert_refused(response, field, *, status=400):
    assert response.status_code == status, response.content
    body = assert_response_matches_schema(response, "post", INGEST)
    assert body["output"] is None
    assert body["errors"], body
    assert {error["errorCode"] for error in body["errors"]} == {"INVALID_API_INPUT"}
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


@pytest.mark.parametrize(("case", "change", "field"), CASES, ids=[case for case, _, _ in CASES])
def test_bad_input_answers_400_naming_the_field_and_writes_nothing(api, case, change, field):
    ensure_channel()
    body = order_body()
    change(body)
    before = row_counts()
    response = api.post_json(INGEST, body, key=f"bad-{next(_keys)}")
    assert_refused(response, field)
    assert row_counts() == before


def test_missing_idempotency_key_is_refused(api):
    ensure_channel()
    before = row_counts()
    response = api.post_json(INGEST, order_body())
    assert_refused(response, "Idempotency-Key")
    assert row_counts() == before


def test_idempotency_key_longer_than_255_is_refused(api):
    ensure_channel()
    before = row_counts()
    assert_refused(api.post_json(INGEST, order_body(), key="k" * 256), "Idempotency-Key")
    assert row_counts() == before


def test_storefront_key_naming_another_channel_is_refused(make_api):
    ensure_channel("Web US")
    storefront = make_api(scopes=["orders:write"], channel=ensure_channel("Web EU"))
    before = row_counts()
    response = storefront.post_json(INGEST, order_body(channel="Web US"), key="other-channel")
    assert_refused(response, "salesChannel")
    assert row_counts() == before


RAW_BODIES = [
    ("malformed JSON", b'{"orderNumber": "WEB-1", '),
    ("NaN literal", b'{"orderNumber": "WEB-1", "grandTotalAmount": NaN}'),
    ("Infinity literal", b'{"orderNumber": "WEB-1", "grandTotalAmount": Infinity}'),
    ("a list instead of an object", b"[]"),
]


@pytest.mark.parametrize(("case", "raw"), RAW_BODIES, ids=[case for case, _ in RAW_BODIES])
def test_unparseable_body_answers_400_and_writes_nothing(api, case, raw):
    ensure_channel()
    before = row_counts()
    response = api.post(INGEST, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"raw-{next(_keys)}")
    assert_refused(response, None)
    assert row_counts() == before


def test_body_above_the_limit_answers_413_before_it_is_parsed(api):
    ensure_channel()
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # Not even JSON: a parser would answer 400 "malformed", so a 413 shows nothing read it.
    oversized = b"{" + b" " * limit
    before = row_counts()
    response = api.post(INGEST, oversized, content_type="application/json", HTTP_IDEMPOTENCY_KEY="huge")
    body = assert_refused(response, None, status=413)
    assert str(limit) in body["message"]
    assert row_counts() == before


def test_body_just_under_the_limit_is_parsed(api, settings):
    ensure_channel()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = order_body(externalReference="x" * 200)
    response = api.post_json(INGEST, body, key="small-enough")
    assert response.status_code == 201, response.content
