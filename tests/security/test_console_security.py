"""Issue 7, case 7: the agent console — CSRF on every form, a new session at sign-in, lockout after
repeated failed sign-ins (django-axes), and a permission check on every view and action, found by
walking the console's URLconf."""

from decimal import Decimal as D

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import URLPattern, get_resolver

from payments.models import AgentRefund
from tests.security.world import build_world, row_counts

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
CONSOLE_PERMISSIONS = (
    "use_console",
    "change_orders",
    "approve_refunds",
    "work_exception_queue",
    "manage_fulfillment",
    "work_location_queue",
)
# Issue 16: the Fulfillment role's work queue pages ask for their own permission, not the console's.
LOCATION_QUEUE_VIEWS = {"locations", "location_queue", "queue_move", "queue_reject", "queue_ship"}
PUBLIC = {"login", "logout"}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def user(username, *codenames) -> User:
    person = User.objects.create_user(username=username, password=PASSWORD)
    person.user_permissions.set(Permission.objects.filter(content_type__app_label="console", codename__in=codenames))
    return person


def signed_in(person, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(person)
    return client


def console_views():
    """(name, pattern) of every console URL."""
    resolver = get_resolver()
    console = next(p for p in resolver.url_patterns if str(p.pattern) == "console/")
    return [(p.name, p) for p in console.url_patterns if isinstance(p, URLPattern)]


@pytest.fixture
def records():
    world = build_world("Web US", "US")
    requester = User.objects.create_user("requester")
    approval = AgentRefund.objects.create(
        order_summary_id=world.summary,
        kind="return",
        change_order_ids=[world.change_order],
        amount=D("500.00"),
        credit_amount=D("500.00"),
        excess_amount=D("0"),
        currency="USD",
        requested_by=requester,
    )
    return world, approval


def url_of(name, world, approval) -> list[str]:
    """The console URLs of a view, for the records of the world (a wizard has three)."""
    base = "/console/"
    paths = {
        "search": [base],
        "order": [f"{base}orders/{world.summary}/"],
        "order_operations": [f"{base}orders/{world.summary}/operations/"],
        "fulfillment_create": [f"{base}orders/{world.summary}/groups/{world.group}/fulfillment-orders/new/"],
        "wizard": [f"{base}orders/{world.summary}/{kind}/" for kind in ("cancel", "return", "adjust")],
        "exchange": [f"{base}orders/{world.summary}/exchange/"],
        "reship": [f"{base}orders/{world.summary}/reship/"],
        "return_order_new": [f"{base}orders/{world.summary}/return-orders/new/"],
        "return_order_receive": [f"{base}return-orders/{world.return_order}/receive/"],
        "fulfillment_move": [f"{base}fulfillment-orders/{world.live_fo}/status/"],
        "fulfillment_cancel_lines": [f"{base}fulfillment-orders/{world.live_fo}/cancel-lines/"],
        "refund_decision": [f"{base}refund-approvals/{approval.pk}/"],
        "refund_decline": [f"{base}refund-approvals/{approval.pk}/decline/"],
        "refund_remaining": [f"{base}orders/{world.summary}/refund-remaining/"],
        "approvals": [f"{base}approvals/"],
        "exceptions": [f"{base}exceptions/"],
        "order_hold": [f"{base}orders/{world.summary}/hold/"],
        "order_release_hold": [f"{base}orders/{world.summary}/release-hold/"],
        "order_route": [f"{base}orders/{world.summary}/route/"],
        "holds": [f"{base}holds/"],
        "locations": [f"{base}locations/"],
        "location_queue": [f"{base}locations/{world.location}/queue/"],
        "queue_move": [f"{base}locations/{world.location}/fulfillment-orders/{world.live_fo}/move/"],
        "queue_reject": [f"{base}locations/{world.location}/fulfillment-orders/{world.live_fo}/reject/"],
        "queue_ship": [f"{base}locations/{world.location}/fulfillment-orders/{world.live_fo}/ship/"],
        "exception_status": [f"{base}exceptions/{world.exception}/status/"],
        "exception_retry": [f"{base}exceptions/{world.exception}/retry/"],
        "login": [f"{base}login/"],
        "logout": [f"{base}logout/"],
    }
    assert name in paths, f"a console view was added: give {name} a URL in this test"
    return paths[name]


# --- every view checks who asks ------------------------------------------------------------------


def test_every_console_view_but_sign_in_and_out_declares_its_permissions():
    undeclared = [
        name
        for name, pattern in console_views()
        if name not in PUBLIC and not hasattr(pattern.callback, "required_permissions")
    ]
    assert undeclared == []
    for name, pattern in console_views():
        if name in LOCATION_QUEUE_VIEWS:
            assert pattern.callback.required_permissions == ("console.work_location_queue",), name
        elif name not in PUBLIC:
            assert "console.use_console" in pattern.callback.required_permissions, name


def test_anonymous_visitors_are_sent_to_sign_in_from_every_view(client, records):
    before = row_counts()
    for name, _ in console_views():
        if name in PUBLIC:
            continue
        for path in url_of(name, *records):
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                assert response.status_code in (302, 405), (method, path, response.status_code)
                if response.status_code == 302:
                    assert response["Location"].startswith(settings.LOGIN_URL), (method, path)
    assert row_counts() == before


def test_every_view_refuses_a_user_lacking_any_one_of_its_permissions(records):
    before = row_counts()
    refused, allowed = {}, {}
    for name, pattern in console_views():
        if name in PUBLIC:
            continue
        required = [p.split(".", 1)[1] for p in pattern.callback.required_permissions]
        for missing in required:
            person = user(f"{name}-{missing}", *(p for p in CONSOLE_PERMISSIONS if p != missing))
            client = signed_in(person)
            for path in url_of(name, *records):
                for method in ("get", "post"):
                    response = getattr(client, method)(path)
                    status = response.status_code
                    # Issue 16: the home page sends a Fulfillment user to their work queue instead.
                    sent_away = status == 302 and response["Location"] == "/console/locations/"
                    refused_here = status in (403, 405) or sent_away
                    (refused if refused_here else allowed)[f"{method} {path} without {missing}"] = status
    assert allowed == {}
    assert refused
    assert row_counts() == before


def test_a_user_with_the_permissions_gets_every_page(records):
    client = signed_in(user("all", *CONSOLE_PERMISSIONS))
    pages = {}
    for name, pattern in console_views():
        if name in PUBLIC:
            continue
        for path in url_of(name, *records):
            response = client.get(path)
            # A fragment asked for as a whole page sends the browser to its page; never to sign in.
            pages[path] = response.status_code if response.status_code != 302 else response["Location"]
    assert all(
        page in (200, 405) or (isinstance(page, str) and not page.startswith(settings.LOGIN_URL))
        for page in pages.values()
    ), pages
    assert 200 in pages.values()


# --- CSRF ----------------------------------------------------------------------------------------


def test_every_console_form_refuses_a_post_without_the_csrf_token(records):
    client = signed_in(user("all", *CONSOLE_PERMISSIONS), enforce_csrf_checks=True)
    before = row_counts()
    answers = {}
    for name, _ in console_views():
        if name == "login":
            continue
        for path in url_of(name, *records):
            response = client.post(path, {"status": "Ignored", "decision": "approve"})
            answers[path] = (response.status_code, b"CSRF" in response.content)
    assert set(answers.values()) == {(403, True)}, answers
    assert row_counts() == before


def test_sign_in_without_the_csrf_token_is_refused():
    user("agent", "use_console")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/console/login/", {"username": "agent", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# --- the session -----------------------------------------------------------------------------------


def test_signing_in_starts_a_new_session():
    user("agent", "use_console")
    client = Client()
    # A visitor's session from before signing in (e.g. set by an attacker who planted the cookie).
    before = SessionStore()
    before["planted"] = True
    before.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = before.session_key

    response = client.post("/console/login/", {"username": "agent", "password": PASSWORD})

    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before.session_key
    assert not SessionStore().exists(before.session_key)
    assert SessionStore(session_key=after).get("_auth_user_id") == str(User.objects.get(username="agent").pk)


def test_signing_out_ends_the_session():
    client = signed_in(user("agent", "use_console"))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/console/logout/").status_code == 302
    assert not SessionStore().exists(key)
    assert client.get("/console/").status_code == 302


# --- lockout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["/console/login/", "/admin/login/"])
def test_repeated_failed_sign_ins_lock_the_account_out_even_with_the_right_password(login):
    person = user("agent", "use_console")
    person.is_staff = True
    person.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "agent", "password": "wrong"})
        assert "_auth_user_id" not in client.session

    locked = client.post(login, {"username": "agent", "password": PASSWORD})

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert settings.AXES_FAILURE_LIMIT <= 10


def test_the_lockout_is_per_account_not_for_everyone():
    user("agent", "use_console")
    user("other", "use_console")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/console/login/", {"username": "agent", "password": "wrong"})
    assert client.post("/console/login/", {"username": "other", "password": PASSWORD}).status_code == 302
