"""load_demo_data: channels and one sign-in per role, printed with where to sign in; a changed password is
kept; it refuses to hand out known passwords with DEBUG off unless forced."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError
from django.test import RequestFactory

from orders.models import OrderSummary, SalesChannel
from tests.demo.conftest import load

pytestmark = pytest.mark.django_db


def can_sign_in(username, password):
    # django-axes wants the request that signs in.
    return authenticate(RequestFactory().post("/admin/login/"), username=username, password=password) is not None


def test_creates_the_channels_and_the_three_sign_ins(demo):
    assert sorted(SalesChannel.objects.values_list("name", flat=True)) == [
        "Retail Stores",
        "Web EU",
        "Web JP",
        "Web US",
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


def test_prints_the_sign_ins_and_where_to_use_them(demo):
    lines = demo.splitlines()
    assert (
        "Sign in at http://127.0.0.1:8000/console/ (agent console) or http://127.0.0.1:8000/admin/ "
        "(Django admin):" in lines
    )
    assert "  admin       admin       superuser: Django admin and console" in lines
    assert "  agent       agent       console, group Agent" in lines
    assert "  supervisor  supervisor  console, group Supervisor" in lines
    # The sign-ins close the output, below the summary of the data, so they stay on screen.
    assert lines.index("  supervisor  supervisor  console, group Supervisor") > lines.index("Demo data ready.")


def test_a_changed_password_is_kept_and_not_printed(demo, settings):
    settings.DEBUG = True
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("a-better-secret-42")
    admin.save()

    output = load(base_url="http://localhost:9000/")

    assert can_sign_in("admin", "a-better-secret-42")
    admin_line = next(line for line in output.splitlines() if line.startswith("  admin "))
    assert "existing user, password changed since" in admin_line
    assert "http://localhost:9000/console/" in output


def test_refuses_with_debug_off_unless_forced(demo, settings):
    settings.DEBUG = False
    users, orders = get_user_model().objects.count(), OrderSummary.objects.count()

    get_user_model().objects.filter(username="admin").delete()

    with pytest.raises(CommandError, match="DEBUG=1"):
        load()
    assert get_user_model().objects.count() == users - 1

    load(force=True)
    assert get_user_model().objects.count() == users
    assert can_sign_in("admin", "admin")
    assert OrderSummary.objects.count() == orders
