"""Sign-in, sign-out, roles from the migration, lockout after repeated failures, CSRF."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.console.conftest import HTMX

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_the_migration_creates_agent_and_supervisor_groups_with_their_permissions():
    agent = set(Group.objects.get(name="Agent").permissions.values_list("codename", flat=True))
    supervisor = set(Group.objects.get(name="Supervisor").permissions.values_list("codename", flat=True))
    assert agent == {"use_console", "change_orders"}
    assert supervisor == {
        "use_console",
        "change_orders",
        "approve_refunds",
        "work_exception_queue",
        "manage_fulfillment",
        "work_location_queue",
    }
    # Issue 16: store associates and warehouse staff work their locations' queues, nothing else.
    fulfillment = set(Group.objects.get(name="Fulfillment").permissions.values_list("codename", flat=True))
    assert fulfillment == {"work_location_queue"}


def test_anonymous_user_is_sent_to_the_sign_in_page_with_next():
    response = Client().get("/console/?q=T-1")
    assert response.status_code == 302
    assert response["Location"] == "/console/login/?next=/console/%3Fq%3DT-1"


def test_anonymous_htmx_request_is_told_to_load_the_sign_in_page_whole():
    response = Client().get("/console/exceptions/", **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/console/login/?next=/console/"


def test_sign_in_page_renders_a_form_with_csrf_token():
    response = Client().get("/console/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'autocomplete="current-password"' in body


def test_agent_signs_in_and_lands_on_the_order_search(agent):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/console/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/console/login/",
        {
            "username": "agent",
            "password": PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_sign_in_without_csrf_token_is_refused(agent):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/console/login/", {"username": "agent", "password": PASSWORD})
    assert response.status_code == 403


def test_wrong_password_shows_the_error_next_to_the_form(agent):
    response = Client().post("/console/login/", {"username": "agent", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_five_failures_lock_the_username_out_even_with_the_right_password(agent):
    client = Client()
    for _ in range(5):
        client.post("/console/login/", {"username": "agent", "password": "wrong"})
    response = client.post("/console/login/", {"username": "agent", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_user_without_a_console_role_gets_403_not_a_crash():
    user = User.objects.create_user(username="nobody", password=PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get("/console/")
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_agent_on_the_supervisor_exception_queue_gets_the_403_page(agent_client):
    response = agent_client.get("/console/exceptions/")
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_agent_navigation_hides_the_exception_queue(agent_client):
    body = agent_client.get("/console/").content.decode()
    assert ">Exceptions<" not in body
    assert "Agent" in body


def test_supervisor_navigation_shows_the_exception_queue(supervisor_client):
    body = supervisor_client.get("/console/").content.decode()
    assert ">Exceptions<" in body
    assert "Supervisor" in body


def test_every_htmx_request_carries_the_csrf_token_header(agent_client):
    body = agent_client.get("/console/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_sign_out_is_a_post_and_ends_the_session(agent_client):
    assert agent_client.get("/console/logout/").status_code == 405
    response = agent_client.post("/console/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/console/login/"
    assert agent_client.get("/console/").status_code == 302


def test_unknown_console_page_renders_the_404_page(agent_client, settings):
    settings.DEBUG = False
    response = agent_client.get("/console/orders/999999/")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    body = render_to_string("500.html")
    assert "Something went wrong on our side" in body


def _console_urls():
    from django.urls import URLPattern

    from console import urls

    dummy = {"pk": 1, "group_pk": 1, "kind": "cancel", "location_pk": 1}
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in ("login", "logout"):
            continue
        route = str(pattern.pattern)
        for key, value in dummy.items():
            route = route.replace(f"<int:{key}>", str(value)).replace(f"<slug:{key}>", str(value))
        yield pattern.name, f"/console/{route}"


@pytest.mark.parametrize(("name", "path"), list(_console_urls()))
def test_every_console_url_sends_anonymous_users_to_sign_in(name, path):
    client = Client()
    for method in (client.get, client.post):
        response = method(path)
        # POST-only views answer GET with 405 before anything else; every other answer is the sign-in page.
        assert response.status_code in (302, 405), (name, method.__name__, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/console/login/?next="), name


@pytest.mark.parametrize(("name", "path"), list(_console_urls()))
def test_every_console_url_refuses_a_user_without_the_console_permission(name, path):
    client = Client()
    client.force_login(User.objects.create_user(username="outsider", password=PASSWORD))
    for method in (client.get, client.post):
        assert method(path).status_code in (403, 405), name


def test_a_post_without_a_valid_csrf_token_gets_the_designed_page(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post("/console/logout/")
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


@pytest.mark.parametrize("role", ["Agent", "Supervisor", None])
def test_permissions_read_in_one_query_are_the_ones_django_reads(role):
    """console.access.read_permissions_once: the union of direct and group permissions, as ModelBackend has it."""
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from console.access import read_permissions_once

    user = User.objects.create_user(username="mixed", password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get(name=role))
    # One permission held directly, one both directly and through the group.
    user.user_permissions.add(
        Permission.objects.get(codename="view_order"), Permission.objects.get(codename="use_console")
    )
    expected = User.objects.get(pk=user.pk).get_all_permissions()  # Django's own two queries
    fresh = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        read_permissions_once(fresh)
        assert fresh.get_all_permissions() == expected
        assert fresh.has_perm("console.use_console")
        assert fresh.has_perm("orders.view_order")
        assert fresh.has_perm("console.approve_refunds") == (role == "Supervisor")
    assert len(queries) == 1
    assert "orders.view_order" in expected and "console.use_console" in expected


def test_inactive_and_superusers_are_left_to_django():
    from console.access import read_permissions_once

    inactive = User.objects.create_user(username="gone", password=PASSWORD, is_active=False)
    inactive.groups.add(Group.objects.get(name="Supervisor"))
    read_permissions_once(inactive)
    assert not hasattr(inactive, "_perm_cache")
    assert not inactive.has_perm("console.use_console")
    root = User.objects.create_superuser(username="root", password=PASSWORD)
    read_permissions_once(root)
    assert not hasattr(root, "_perm_cache")
    assert root.has_perm("console.approve_refunds")
