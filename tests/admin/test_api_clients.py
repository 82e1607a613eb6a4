"""API clients in the admin: a new key is shown once and only its hash is kept; keys are revoked in bulk."""

import hashlib
import re

import pytest
from django.urls import reverse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from orders.api.auth import ApiKeyAuthentication
from orders.models import ApiClient
from tests.factories import SalesChannelFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:orders_apiclient_add")
CHANGELIST_URL = reverse("admin:orders_apiclient_changelist")


def authenticate(raw_key):
    request = APIRequestFactory().get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return ApiKeyAuthentication().authenticate(request)


def issued_key(response) -> str:
    match = re.search(r'id="issued-api-key"[^>]*value="([^"]+)"', response.content.decode())
    assert match, "the page after creating a client shows its key"
    return match.group(1)


def test_creating_a_client_shows_the_key_once_and_stores_only_its_hash(admin_client):
    channel = SalesChannelFactory(name="Web EU")
    response = admin_client.post(
        ADD_URL, {"name": "storefront-eu", "scopes": ["orders:read", "orders:write"], "sales_channel": channel.pk}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw_key = issued_key(response)
    client = ApiClient.objects.get(name="storefront-eu")
    assert client.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert client.scopes == ["orders:read", "orders:write"]
    assert client.sales_channel == channel
    assert raw_key.startswith(client.key_prefix)
    stored = [str(value) for value in ApiClient.objects.filter(pk=client.pk).values().get().values()]
    assert raw_key not in stored
    # The key works against the API.
    assert authenticate(raw_key)[0] == client

    later = admin_client.get(reverse("admin:orders_apiclient_change", args=[client.pk])).content.decode()
    assert raw_key not in later
    assert client.key_hash not in later
    assert client.key_hash not in admin_client.get(CHANGELIST_URL).content.decode()


def test_the_add_form_does_not_ask_for_key_fields(admin_client):
    page = admin_client.get(ADD_URL).content.decode()
    assert 'name="name"' in page
    assert 'name="scopes"' in page
    assert "key_hash" not in page
    assert 'name="key_prefix"' not in page


def test_a_client_needs_at_least_one_known_scope(admin_client):
    response = admin_client.post(ADD_URL, {"name": "nothing", "scopes": []})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scopes"]
    response = admin_client.post(ADD_URL, {"name": "bogus", "scopes": ["orders:delete"]})
    assert response.context["adminform"].form.errors["scopes"]
    assert not ApiClient.objects.exists()


def test_revoke_action_revokes_only_the_selected_active_keys(admin_client):
    first, first_key = ApiClient.issue(name="first", scopes=["all"])
    second, _ = ApiClient.issue(name="second", scopes=["orders:read"])
    kept, kept_key = ApiClient.issue(name="kept", scopes=["orders:read"])
    second.revoke()
    second_revoked_at = ApiClient.objects.get(pk=second.pk).revoked_at

    response = admin_client.post(
        CHANGELIST_URL, {"action": "revoke_keys", "_selected_action": [first.pk, second.pk]}, follow=True
    )

    assert response.status_code == 200
    # Only `first` was active among the selected: one key revoked.
    assert "Revoked 1 API key(s)." in [str(message) for message in response.context["messages"]]
    first.refresh_from_db()
    assert not first.is_active
    assert first.revoked_at is not None
    assert ApiClient.objects.get(pk=second.pk).revoked_at == second_revoked_at
    assert ApiClient.objects.get(pk=kept.pk).is_active
    with pytest.raises(AuthenticationFailed):
        authenticate(first_key)
    assert authenticate(kept_key)[0] == kept


def test_api_clients_are_revoked_not_deleted(admin_client):
    client, _ = ApiClient.issue(name="old", scopes=["all"])
    assert admin_client.get(reverse("admin:orders_apiclient_delete", args=[client.pk])).status_code == 403
    assert ApiClient.objects.filter(pk=client.pk).exists()


def test_api_client_list_search_and_filter(admin_client):
    ApiClient.issue(name="storefront-us", scopes=["orders:read"])
    revoked, _ = ApiClient.issue(name="warehouse", scopes=["fulfillment:write"])
    revoked.revoke()
    by_name = admin_client.get(CHANGELIST_URL, {"q": "storefront"})
    assert [c.name for c in by_name.context["cl"].result_list] == ["storefront-us"]
    inactive = admin_client.get(CHANGELIST_URL, {"is_active__exact": "0"})
    assert [c.name for c in inactive.context["cl"].result_list] == ["warehouse"]
