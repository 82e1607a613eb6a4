"""API keys: bearer authentication, scopes per method, revocation, and the command that issues them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from orders.models import ApiClient
from orders.models.api_clients import hash_key
from tests.api.helpers import INGEST, SUMMARIES, SUMMARY_TEMPLATE, body_of, row_counts, summary_path
from tests.api.schema import assert_response_matches_schema, check_every_response
from tests.builders import ensure_channel, ingest, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def assert_error(response, status, code, method, path_template):
    assert response.status_code == status, response.content
    body = assert_response_matches_schema(response, method, path_template)
    assert body["errors"][0]["errorCode"] == code
    return body


def test_no_authorization_header_answers_401():
    response = APIClient().get(SUMMARIES)
    assert_error(response, 401, "UNAUTHENTICATED", "get", SUMMARIES)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer oms_not-a-key", "Token abc", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_wrong_or_unknown_key_answers_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get(SUMMARIES), 401, "UNAUTHENTICATED", "get", SUMMARIES)


def test_a_revoked_key_answers_401(make_api):
    client = make_api(scopes=["all"])
    assert client.get(SUMMARIES).status_code == 200
    client.record.revoke()
    assert_error(client.get(SUMMARIES), 401, "UNAUTHENTICATED", "get", SUMMARIES)
    assert_error(client.post_json(INGEST, order_body(), key="r-1"), 401, "UNAUTHENTICATED", "post", INGEST)


def test_a_key_without_the_scope_answers_403_and_writes_nothing(make_api):
    ensure_channel()
    reader = make_api(scopes=["orders:read"])
    before = row_counts()
    body = assert_error(reader.post_json(INGEST, order_body(), key="s-1"), 403, "PERMISSION_DENIED", "post", INGEST)
    assert "orders:write" in body["message"]
    assert row_counts() == before


def test_write_scope_alone_does_not_read(make_api):
    summary = ingest()
    writer = make_api(scopes=["orders:write"])
    assert_error(writer.get(SUMMARIES), 403, "PERMISSION_DENIED", "get", SUMMARIES)
    assert_error(writer.get(summary_path(summary.pk)), 403, "PERMISSION_DENIED", "get", SUMMARY_TEMPLATE)


def test_fulfillment_scopes_do_not_open_order_resources(make_api):
    client = make_api(scopes=["fulfillment:read", "fulfillment:write", "payments:read"])
    assert_error(client.get(SUMMARIES), 403, "PERMISSION_DENIED", "get", SUMMARIES)


def test_all_scope_opens_every_order_resource(make_api):
    ensure_channel()
    client = make_api(scopes=["all"])
    created = body_of(client.post_json(INGEST, order_body(), key="all-1"))
    assert client.get(summary_path(created["orderSummaryId"])).status_code == 200


# --- python manage.py create_api_client ------------------------------------------------------------


def run_command(*args) -> list[str]:
    out = StringIO()
    call_command("create_api_client", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def test_command_creates_a_client_and_prints_its_key_alone_on_the_last_line():
    ensure_channel("Web US")
    lines = run_command("web-storefront", "--scopes", "orders:read,orders:write", "--channel", "Web US")
    key = lines[-1]
    assert key.startswith("oms_") and " " not in key
    client = ApiClient.objects.get(name="web-storefront")
    # Only the digest is stored; the printed key is the one that authenticates.
    assert client.key_hash == hash_key(key)
    assert client.scopes == ["orders:read", "orders:write"]
    assert client.sales_channel.name == "Web US"

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(SUMMARIES).status_code == 200


def test_command_without_channel_makes_a_back_office_client():
    key = run_command("ops", "--scopes", "all")[-1]
    client = ApiClient.objects.get(key_hash=hash_key(key))
    assert client.sales_channel is None and client.scopes == ["all"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--scopes", "orders:read,orders:delete"], "orders:delete"),
        (["x", "--scopes", " , "], "at least one scope"),
        (["x", "--scopes", "all", "--channel", "Nowhere"], "Nowhere"),
    ],
)
def test_command_refuses_bad_scopes_and_unknown_channels(args, message):
    with pytest.raises(CommandError, match=message):
        run_command(*args)
    assert not ApiClient.objects.exists()


def test_command_refuses_a_name_in_use():
    run_command("twice", "--scopes", "all")
    with pytest.raises(CommandError, match="exists already"):
        run_command("twice", "--scopes", "orders:read")
    assert ApiClient.objects.filter(name="twice").count() == 1
