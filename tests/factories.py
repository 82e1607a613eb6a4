"""Factories and helpers shared by the test suite."""

import factory
from rest_framework.test import APIClient

from orders.models import ApiClient, SalesChannel


class SalesChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesChannel
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Channel {n}")


class ApiKeyClient(APIClient):
    """A DRF test client authenticated with a real API key (hashed in the database like any other)."""

    @classmethod
    def create(cls, *, name: str, scopes: list[str], channel: SalesChannel | None = None) -> "ApiKeyClient":
        record, raw_key = ApiClient.issue(name=name, scopes=scopes, sales_channel=channel)
        client = cls()
        client.record = record
        client.raw_key = raw_key
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        return client

    def post_json(self, path, body, *, key=None, **extra):
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        return self.post(path, body, format="json", **extra)
