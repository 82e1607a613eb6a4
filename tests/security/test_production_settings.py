"""Issue 7, case 7: production settings — `check --deploy` reports nothing, cookies are Secure,
HttpOnly and SameSite, TLS is enforced, and the app refuses to start without its secrets."""

import importlib
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

PRODUCTION = "config.settings_production"


def production_env(**overrides) -> dict:
    import os

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": PRODUCTION,
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "oms.example.com",
    }
    env.pop("DEBUG", None)
    # The browser tests set this for Playwright's event loop in the test process; a deployment never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
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


def test_check_deploy_reports_no_warnings_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=""))
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_refuses_the_development_key_and_missing_hosts(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", django_settings.SECRET_KEY)
    monkeypatch.setenv("ALLOWED_HOSTS", "oms.example.com")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_production()
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(60))
    monkeypatch.setenv("ALLOWED_HOSTS", "")
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load_production()


def load_production():
    """The production settings module read afresh with the current environment (never activated)."""
    sys.modules.pop(PRODUCTION, None)
    return importlib.import_module(PRODUCTION)


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(60))
    monkeypatch.setenv("ALLOWED_HOSTS", "oms.example.com")
    monkeypatch.delenv("SECURE_SSL_REDIRECT", raising=False)
    module = load_production()
    yield module
    sys.modules.pop(PRODUCTION, None)


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(production):
    assert production.DEBUG is False
    assert (
        production.SESSION_COOKIE_SECURE,
        production.SESSION_COOKIE_HTTPONLY,
        production.SESSION_COOKIE_SAMESITE,
    ) == (True, True, "Lax")
    assert (production.CSRF_COOKIE_SECURE, production.CSRF_COOKIE_HTTPONLY, production.CSRF_COOKIE_SAMESITE) == (
        True,
        True,
        "Lax",
    )


def test_tls_is_enforced_and_remembered(production):
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_HSTS_SECONDS >= 365 * 24 * 3600
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS and production.SECURE_HSTS_PRELOAD
    assert production.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production.X_FRAME_OPTIONS == "DENY"
    assert production.CSRF_TRUSTED_ORIGINS == ["https://oms.example.com"]


def test_production_keeps_everything_else_of_the_base_settings(production):
    assert production.INSTALLED_APPS == django_settings.INSTALLED_APPS
    assert production.MIDDLEWARE == django_settings.MIDDLEWARE
    assert production.REST_FRAMEWORK == django_settings.REST_FRAMEWORK
    assert "axes" in production.INSTALLED_APPS


@pytest.mark.django_db
def test_the_production_cookie_flags_reach_the_console_sign_in(client, settings, production):
    for name in (
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
    ):
        setattr(settings, name, getattr(production, name))
    response = client.get("/console/login/", secure=True)
    cookie = response.cookies["csrftoken"]
    assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax")
