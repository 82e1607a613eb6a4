"""load_demo_data: channels and one sign-in per role, idempotent, printing the logins it made."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from orders.models import SalesChannel

pytestmark = pytest.mark.django_db


def load(**options) -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out, **options)
    return out.getvalue()


def can_sign_in(username, password):
    # django-axes wants the request that signs in.
    return authenticate(RequestFactory().post("/admin/login/"), username=username, password=password) is not None


def test_creates_the_channels_and_the_three_sign_ins(settings):
    settings.DEBUG = True
    output = load()

    assert sorted(SalesChannel.objects.values_list("name", flat=True)) == [
        "Retail Stores", "Web EU", "Web JP", "Web US"
    ]
    users = {user.username: user for user in get_user_model().objects.prefetch_related("groups")}
    assert set(users) == {"admin", "agent", "supervisor"}
    assert (users["admin"].is_staff, users["admin"].is_superuser) == (True, True)
    assert (users["agent"].is_staff, users["agent"].is_superuser) == (False, False)
    assert (users["supervisor"].is_staff, users["supervisor"].is_superuser) == (False, False)
    assert [group.name for group in users["agent"].groups.all()] == ["Agent"]
    assert [group.name for group in users["supervisor"].groups.all()] == ["Supervisor"]
    assert users["supervisor"].has_perm("console.approve_refunds")
    assert not users["agent"].has_perm("console.approve_refunds")
    for username in ("admin", "agent", "supervisor"):
        assert can_sign_in(username, username)
        assert f"  {username}" in output
    assert "http://127.0.0.1:8000/admin/" in output
    assert "Demo orders created: 0" in output


def test_running_twice_creates_nothing_more(settings):
    settings.DEBUG = True
    load()
    load()
    assert SalesChannel.objects.count() == 4
    assert get_user_model().objects.count() == 3


def test_a_changed_password_is_kept_and_not_printed(settings):
    settings.DEBUG = True
    load()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("a-better-secret-42")
    admin.save()

    output = load(base_url="http://localhost:9000/")

    assert can_sign_in("admin", "a-better-secret-42")
    admin_line = next(line for line in output.splitlines() if line.startswith("  admin "))
    assert "existing user, password changed since" in admin_line
    assert "http://localhost:9000/console/" in output


def test_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        load()
    assert not get_user_model().objects.exists()
    load(force=True)
    assert get_user_model().objects.count() == 3
