"""Issue 14, point 7: safe by default in production.

config.settings refuses to start with DEBUG off and the public development key; every page carries a
strict Content-Security-Policy that the console's and the admin's own markup keeps (no inline script,
no handler attribute, no inline style but the admin's one, allowed by its hash); console pages are
never stored; an API error body lists at most 100 errors with their count and cuts what it quotes.
"""

import base64
import hashlib
import json
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.urls import reverse

from orders.api.errors import MAX_ERRORS, MAX_FIELD_LENGTH, MAX_MESSAGE_LENGTH
from tests.builders import ensure_channel, items_by_sku, order_body, worked_example
from tests.fulfillment.helpers import make_location, place, stock

# --- config.settings with DEBUG off ------------------------------------------------------------------


def base_env(**overrides) -> dict:
    import os

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "OMS_ALLOW_DEVELOPMENT_SECRET_KEY",
        "SECURE_COOKIES",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(name, None)
    env.update(overrides)
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SHOW = "from django.conf import settings as s; print('SHOW', s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"


def shown(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith("SHOW ")).split()[1:]


@pytest.mark.parametrize("debug", [{"DEBUG": "0"}, {"DEBUG": "false"}, {}], ids=["DEBUG=0", "DEBUG=false", "unset"])
def test_debug_off_with_the_development_key_refuses_to_start(debug):
    result = manage("check", env=base_env(**debug))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr and "DEBUG=1" in result.stderr


def test_debug_on_a_development_machine_starts_with_the_development_key():
    assert shown(manage("shell", "-c", SHOW, env=base_env(DEBUG="1"))) == ["True", "False", "False"]


def test_debug_off_with_a_real_key_starts_with_secure_cookies():
    deployed = manage("shell", "-c", SHOW, env=base_env(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60)))
    assert shown(deployed) == ["False", "True", "True"]
    plain_http = manage(
        "shell", "-c", SHOW, env=base_env(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), SECURE_COOKIES="0")
    )
    assert shown(plain_http) == ["False", "False", "False"]


def test_the_suite_runs_on_the_test_settings_that_allow_the_development_key():
    import os

    assert django_settings.SECRET_KEY == django_settings.DEVELOPMENT_SECRET_KEY
    # In the environment, so the workers and servers the tests start read the same settings.
    assert os.environ["OMS_ALLOW_DEVELOPMENT_SECRET_KEY"] == "1"
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings_test"


def test_the_readme_names_the_production_settings_and_what_they_switch_on():
    readme = (django_settings.BASE_DIR / "README.md").read_text()
    configuration = readme[readme.index("## Configuration") : readme.index("## Calling the API")]
    for needle in (
        "DJANGO_SETTINGS_MODULE=config.settings_production",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SECURE_SSL_REDIRECT",
        "HSTS",
        "Secure",
        "Content-Security-Policy",
        "no-store",
    ):
        assert needle in configuration, needle


# --- Content-Security-Policy -------------------------------------------------------------------------


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.I | re.S)


def csp_problems(response) -> list[str]:
    """What in the page the strict policy would block: the page must not rely on any of it."""
    html = response.content.decode()
    problems = []
    if INLINE_SCRIPT.search(html):
        problems.append(f"inline script: {INLINE_SCRIPT.search(html).group(0)}")
    if HANDLER.search(html):
        problems.append(f"handler attribute: {HANDLER.search(html).group(0)[:120]}")
    if STYLE_ATTRIBUTE.search(html):
        problems.append(f"style attribute: {STYLE_ATTRIBUTE.search(html).group(0)[:120]}")
    if "javascript:" in html:
        problems.append("javascript: URL")
    allowed = policy_of(response)["style-src"]
    for block in STYLE_BLOCK.findall(html):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        if f"'sha256-{digest}'" not in allowed:
            problems.append(f"inline style not in the policy: {block.strip()[:80]}")
    return problems


def assert_strict(response):
    policy = policy_of(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]


@pytest.fixture
def agent_client(client, db):
    from django.contrib.auth.models import Group

    user = User.objects.create_user("csp-agent", password="x" * 20)
    user.groups.add(Group.objects.get(name="Supervisor"))
    client.force_login(user)
    return client


@pytest.fixture
def order(db, settings):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    warehouse = make_location("WH-1")
    stock("WH-1", A=5, B=3)
    summary = worked_example()
    place(summary, (warehouse, [(items_by_sku(summary)["A"], 1)]))
    return summary


@pytest.mark.django_db
def test_every_console_page_carries_the_strict_policy_and_needs_nothing_it_forbids(agent_client, order):
    pages = [
        "/console/",
        f"/console/?q={order.order_number}",
        f"/console/orders/{order.pk}/",
        f"/console/orders/{order.pk}/cancel/",
        f"/console/orders/{order.pk}/return/",
        f"/console/orders/{order.pk}/adjust/",
        "/console/exceptions/",
        "/console/orders/999999/",
    ]
    problems = {}
    for path in pages:
        response = agent_client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_strict(response)
        if csp_problems(response):
            problems[path] = csp_problems(response)
    assert problems == {}
    anonymous = agent_client.__class__().get("/console/login/")
    assert_strict(anonymous)
    assert csp_problems(anonymous) == []


@pytest.mark.django_db
def test_every_admin_page_carries_the_strict_policy_and_needs_nothing_it_forbids(admin_client, order):
    from django.apps import apps

    ensure_channel()
    pages = [
        reverse("admin:index"),
        reverse("admin:orders_apiclient_add"),
        reverse("admin:orders_inventorylevel_upload"),
        reverse("admin:orders_ordersummary_change", args=[order.pk]),
    ]
    for model, model_admin in __import__("django.contrib.admin").contrib.admin.site._registry.items():
        if model._meta.app_label in {"orders", "payments", "console", "auth"}:
            pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    problems = {}
    for path in pages:
        response = admin_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_strict(response)
        if csp_problems(response):
            problems[path] = csp_problems(response)
    assert problems == {}
    assert apps.is_installed("django.contrib.admin")
    issued = admin_client.post(reverse("admin:orders_apiclient_add"), {"name": "csp", "scopes": ["orders:read"]})
    assert "data-select-on-focus" in issued.content.decode()
    assert csp_problems(issued) == []
    login = admin_client.__class__().get(reverse("admin:login"))
    assert_strict(login)
    assert csp_problems(login) == []


def test_the_policy_allows_django_admins_one_inline_style_by_its_hash():
    """A change list without actions renders an inline <style>; the policy names its hash, taken here from
    the template of the installed Django so an upgrade that changes it fails this test."""
    from pathlib import Path

    import django.contrib.admin

    template = Path(django.contrib.admin.__file__).parent / "templates/admin/change_list.html"
    (block,) = STYLE_BLOCK.findall(template.read_text())
    digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in django_settings.CONTENT_SECURITY_POLICY["style-src"]


@pytest.mark.django_db
def test_the_api_answers_and_its_docs_carry_a_policy(api):
    answer = api.get("/api/v1/commerce/locations")
    assert_strict(answer)
    docs = api.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert not INLINE_SCRIPT.search(html), "the docs' start-up script is served from a URL"
    assert policy_of(docs)["script-src"] == ["'self'"]
    assert policy_of(docs)["style-src"] == ["'self'", "'unsafe-inline'"]  # Swagger UI's own styles
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    assert api.get(script)["Content-Type"].startswith("application/javascript")


# --- Cache-Control -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_console_pages_are_never_stored(agent_client, order):
    for path in [
        "/console/",
        f"/console/orders/{order.pk}/",
        "/console/exceptions/",
        f"/console/orders/{order.pk}/operations/",
    ]:
        response = agent_client.get(path)
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], path
    partial = agent_client.get("/console/", {"q": "x"}, HTTP_HX_REQUEST="true")
    assert "no-store" in partial["Cache-Control"]
    assert "no-store" in agent_client.__class__().get("/console/login/")["Cache-Control"]
    assert "no-store" not in agent_client.get("/static/console/console.css").get("Cache-Control", "")


# --- Error bodies ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_error_body_lists_the_first_100_errors_and_their_count(api):
    ensure_channel()
    body = order_body()
    body["deliveryGroups"][0]["items"] = [{"quantity": "x"} for _ in range(300)]
    raw = json.dumps(body, default=str)
    response = api.post("/api/v1/commerce/orders", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="cap-1")
    assert response.status_code == 400
    answer = response.json()
    assert len(answer["errors"]) == MAX_ERRORS
    assert answer["errorCount"] > MAX_ERRORS
    assert f"{answer['errorCount']} errors; the first 100 are listed" in answer["message"]
    assert len(response.content) < 40_000


@pytest.mark.django_db
def test_a_long_value_is_never_quoted_back_whole(api):
    huge = "Z" * 100_000
    response = api.post_json(
        "/api/v1/commerce/locations", {"name": "L", "externalReference": "L", "locationType": huge, huge: 1}
    )
    assert response.status_code == 400
    answer = response.json()
    assert all(len(e["message"]) <= MAX_MESSAGE_LENGTH for e in answer["errors"])
    assert all(len(e["field"] or "") <= MAX_FIELD_LENGTH for e in answer["errors"])
    assert len(answer["message"]) <= MAX_MESSAGE_LENGTH
    assert len(response.content) < 3_000  # the request was 200 kB


@pytest.mark.django_db
def test_a_batch_lists_20_errors_per_order_and_their_count(api):
    ensure_channel()
    broken = order_body()
    broken["deliveryGroups"][0]["items"] = [{"quantity": "x"} for _ in range(40)]
    response = api.post(
        "/api/v1/commerce/orders/batch",
        json.dumps({"orders": [{**broken, "idempotencyKey": "b-1"}]}, default=str),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:300]
    (result,) = response.json()["results"]
    assert len(result["errors"]) == 20 and result["errorCount"] >= 40
