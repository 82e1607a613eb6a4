"""Fixtures of the query-count pins."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.builders import ensure_channel
from tests.perf.query_counting import ingested


@pytest.fixture
def warm_api(api):
    """The API client after its first request (which also writes the key's last-used time)."""
    ensure_channel()
    ingested(api, 1, "WARM-1")
    return api


@pytest.fixture
def agent_client(db):
    user = User.objects.create_user(username="perf-agent")
    user.groups.add(Group.objects.get(name="Agent"))
    client = Client()
    client.force_login(user)
    return client
