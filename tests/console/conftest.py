import pytest
from django.contrib.auth.models import Group, User
from django.test import Client


def _user(username: str, group: str | None) -> User:
    user = User.objects.create_user(username=username, password="correct horse battery staple")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def agent(db):
    return _user("agent", "Agent")


@pytest.fixture
def supervisor(db):
    return _user("supervisor", "Supervisor")


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def supervisor_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/console/"}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
