"""One settings module; everything that differs between machines comes from the environment."""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Django's generic classes take their model at run time as the type checker reads them (ModelAdmin[Invoice]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key is public (it is in this file): it only ever serves local development (DEBUG=1) and the
# test suite (config.settings_test). Anything else without a SECRET_KEY refuses to start; production
# settings (config.settings_production) refuse it in any case.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
USES_DEVELOPMENT_KEY = SECRET_KEY == DEVELOPMENT_SECRET_KEY
if USES_DEVELOPMENT_KEY and not DEBUG and not env_bool("OMS_ALLOW_DEVELOPMENT_SECRET_KEY", False):
    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is not set, so the public development key would sign sessions and CSRF "
        "tokens. Set SECRET_KEY to at least 50 random characters (and use DJANGO_SETTINGS_MODULE="
        "config.settings_production on a server), or set DEBUG=1 on a development machine."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "orders",
    "payments",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy everywhere, no-store on console pages: outermost, so every answer gets them.
    "config.security_headers.SecurityHeadersMiddleware",
    # A database or broker that cannot be reached: 503 with Retry-After, never a 500 (config/unavailable.py).
    "config.unavailable.ServiceUnavailableMiddleware",
    "orders.api.limits.ApiBodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# CONN_HEALTH_CHECKS: with the pool below, Django hands psycopg's pool `ConnectionPool.check_connection`,
# so a pooled connection is checked (an empty query) before it is lent: one the server dropped (a
# restart, a failover, pg_terminate_backend) is replaced instead of failing a request.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django 5.2's psycopg pool: a new connection per request costs several times the throughput.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX", "10")),
        # A database that cannot be reached fails a request within this time (a 503) instead of 30 s.
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
    # Server-side parameters let psycopg prepare a statement after its 5th run on a connection: PostgreSQL
    # then skips parsing and planning it (~30 % of its CPU per ingested order). Set DB_PREPARED_STATEMENTS=0
    # behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
    if os.environ.get("DB_PREPARED_STATEMENTS", "1") != "0":
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
else:
    # SQLite: wait for the writer instead of failing at once when the worker and the app both write.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from the apps' static folders when collectstatic has not run (development, tests).
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/console/login/"
LOGIN_REDIRECT_URL = "/console/"
LOGOUT_REDIRECT_URL = "/console/login/"
# django-axes counts failed sign-ins (console and admin) and locks the username from that address out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# With DEBUG off and a real key this is a deployment: cookies travel over HTTPS only (SECURE_COOKIES=0 for a
# deployment that is reached over plain HTTP on purpose, e.g. behind a VPN).
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG and not USES_DEVELOPMENT_KEY)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES

# Content-Security-Policy of every HTML page (config/security_headers.py): scripts, styles, images and fonts
# from this site only, nothing inline, no framing. The admin's one inline <style> (a change list without
# actions) is allowed by its hash; the Swagger UI page of the API docs may use inline styles.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'sha256-blvLUW3UscWqsXGByNOqdBboM+ShWAuugp2mC/wbafU='"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
}
CONTENT_SECURITY_POLICY_API_DOCS = {**CONTENT_SECURITY_POLICY, "style-src": ["'self'", "'unsafe-inline'"]}

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["orders.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["orders.api.auth.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["orders.api.renderers.DecimalJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["orders.api.parsers.DecimalJSONParser"],
    "EXCEPTION_HANDLER": "orders.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["orders.api.throttling.ApiClientRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Open OMS API",
    "DESCRIPTION": "Order management REST API mirroring Salesforce Order Management resources.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the event types, which endpoints subscribe to and events carry (drf-spectacular W001).
    "ENUM_NAME_OVERRIDES": {"EventTypeEnum": "orders.models.EventType"},
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI served from our own static files: the docs work offline and without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orders.api.schema_answers.document_common_answers",
    ],
}
# Requests per API client (orders/api/throttling.py); empty turns the limit off.
OMS_API_RATE_LIMIT = os.environ.get("OMS_API_RATE_LIMIT", "1200/minute")
# The rate limit counts in this cache; several app processes need a shared one (CACHE_URL=redis://…).
CACHE_URL = os.environ.get("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Bodies above this answer 413 before any parsing (an ingest body is far smaller).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2 * 1024 * 1024)))
IDEMPOTENCY_KEY_TTL_HOURS = 24
# A request holding its key longer than this is taken as dead and its key freed.
IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS = 120

# --- Celery -------------------------------------------------------------------------------------
CELERY_DATA_DIR = Path(os.environ.get("CELERY_DATA_DIR", BASE_DIR / ".celery"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        # The embedded broker: messages are files, so `make run` needs no server.
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        # Exchange bindings; kombu's default is a `control` folder in whatever directory the process runs in.
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # Redis: a message taken by a worker that died is delivered again after this many seconds.
        # Minutes, not an hour: delayed tasks wait in the outbox, not in the broker, so no message
        # waits for its time past this (and the outbox's lease usually brings a lost one back first).
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
        # A broker that does not answer fails a publish (or a web request's) within seconds.
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
        "socket_keepalive": True,
        "health_check_interval": 10,
    }
)
# Workers that survive a broker outage (issue 14): retry the connection for ever, at start too;
# tasks in hand when the connection drops are cancelled, and (acks_late) delivered again, instead of
# finishing into a connection that can no longer acknowledge them.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A publish from a task (a retry) waits a little for a broker blip; the outbox covers longer ones.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu does not create these folders, and every process that sends or consumes a task needs them.
    for _folder in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "purge-expired-idempotency-records": {
        "task": "orders.tasks.purge_expired_idempotency_records",
        "schedule": 3600.0,
    },
    # Captures and refunds whose gateway answer was lost are asked about again, under their own keys.
    # In Store Pickups nobody collected within OMS_PICKUP_UNCLAIMED_DAYS go back to stock (issue 16).
    "cancel-unclaimed-pickups": {
        "task": "orders.tasks.cancel_unclaimed_pickups",
        "schedule": 3600.0,
    },
    "reconcile-pending-payment-movements": {
        "task": "payments.tasks.reconcile_pending_movements",
        "schedule": 300.0,
    },
    # The transactional outbox (orders/outbox.py): pending follow-ups handed to the broker again.
    "relay-outbox": {
        "task": "orders.tasks.relay_outbox",
        "schedule": float(os.environ.get("OMS_OUTBOX_RELAY_SECONDS", "5")),
        # A relay nobody ran in time is replaced by the next one, not queued behind it.
        "options": {"expires": float(os.environ.get("OMS_OUTBOX_RELAY_SECONDS", "5"))},
    },
    # Follow-ups promised before the outbox, or whose task gave up: done again, or a process exception.
    "sweep-unrouted-summaries": {"task": "orders.tasks.sweep_unrouted_summaries", "schedule": 300.0},
    "sweep-stuck-payment-work": {"task": "payments.tasks.sweep_stuck_payment_work", "schedule": 300.0},
    # Events (the change feed and the webhooks' history) past OMS_EVENT_RETENTION_DAYS are dropped.
    "purge-old-events": {"task": "orders.webhook_tasks.purge_old_events", "schedule": 3600.0},
}
# The sweepers look at records older than this (their follow-up had time to run) and younger than the lookback.
OMS_SWEEP_AFTER_SECONDS = int(os.environ.get("OMS_SWEEP_AFTER_SECONDS", "600"))
OMS_SWEEP_LOOKBACK_DAYS = int(os.environ.get("OMS_SWEEP_LOOKBACK_DAYS", "7"))
# A published outbox message not acknowledged within this many seconds (doubled per publish) is
# published again: the broker lost it, or the worker running it died.
OMS_OUTBOX_LEASE_SECONDS = int(os.environ.get("OMS_OUTBOX_LEASE_SECONDS", "60"))
OMS_OUTBOX_RELAY_BATCH = int(os.environ.get("OMS_OUTBOX_RELAY_BATCH", "500"))
OMS_OUTBOX_MAX_PUBLISHES = int(os.environ.get("OMS_OUTBOX_MAX_PUBLISHES", "20"))
# Acknowledged messages are kept this long (admin: Outbox messages), then purged hourly.
OMS_OUTBOX_KEEP_DAYS = int(os.environ.get("OMS_OUTBOX_KEEP_DAYS", "7"))
# /health/worker/: unhealthy when no worker ran the relay for this long, or a follow-up is overdue this long.
OMS_WORKER_HEARTBEAT_MAX_AGE_SECONDS = int(os.environ.get("OMS_WORKER_HEARTBEAT_MAX_AGE_SECONDS", "60"))
OMS_OUTBOX_OVERDUE_SECONDS = int(os.environ.get("OMS_OUTBOX_OVERDUE_SECONDS", "300"))
# Events and webhooks (issue 17, docs/integrations.md).
OMS_EVENT_RETENTION_DAYS = int(os.environ.get("OMS_EVENT_RETENTION_DAYS", "30"))
# The change feed leaves out events younger than this: a transaction that took its event id earlier may
# still commit, and a reader that had moved past that id would never see it.
OMS_EVENT_FEED_SETTLE_SECONDS = float(os.environ.get("OMS_EVENT_FEED_SETTLE_SECONDS", "5"))
OMS_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("OMS_WEBHOOK_TIMEOUT_SECONDS", "10"))
# A delivery not answered 2xx is tried again after 30 s, 60 s, 120 s ... (at most an hour apart) until
# OMS_WEBHOOK_RETRY_HOURS have passed, then it is Failed.
OMS_WEBHOOK_RETRY_BASE_SECONDS = int(os.environ.get("OMS_WEBHOOK_RETRY_BASE_SECONDS", "30"))
OMS_WEBHOOK_RETRY_MAX_SECONDS = int(os.environ.get("OMS_WEBHOOK_RETRY_MAX_SECONDS", "3600"))
OMS_WEBHOOK_RETRY_HOURS = int(os.environ.get("OMS_WEBHOOK_RETRY_HOURS", "24"))
# An endpoint whose deliveries have failed for this long, with no success between, is disabled.
OMS_WEBHOOK_DISABLE_AFTER_HOURS = int(os.environ.get("OMS_WEBHOOK_DISABLE_AFTER_HOURS", "24"))
# Private, loopback and link-local receivers are refused (server-side request forgery) unless this is on:
# local development and tests only.
OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False)

# --- Domain settings ---------------------------------------------------------------------------
# PostgreSQL: an ingested order's rows written by one statement of data-modifying CTEs instead of one insert per
# table (orders/services/ingest_statement.py, issue 19); off, one insert per table, as on SQLite.
OMS_INGEST_ONE_STATEMENT = env_bool("OMS_INGEST_ONE_STATEMENT", True)
OMS_AUTO_ROUTE_ORDERS = env_bool("OMS_AUTO_ROUTE_ORDERS", True)
# Hold rules (admin) put new orders on hold at ingest; off, no rule is read (issue 16).
OMS_HOLD_RULES_ENABLED = env_bool("OMS_HOLD_RULES_ENABLED", True)
# An In Store Pickup left Ready for Pickup this many days is canceled back to stock (0: never).
OMS_PICKUP_UNCLAIMED_DAYS = int(os.environ.get("OMS_PICKUP_UNCLAIMED_DAYS", "7"))
OMS_AUTO_INVOICE_AND_CAPTURE = env_bool("OMS_AUTO_INVOICE_AND_CAPTURE", True)
# When a fulfillment order ships, the payments app bills it and captures (payments/automation.py, reached from
# orders through the payments link registered in PaymentsConfig.ready()).
OMS_AUTO_CREDIT_AND_REFUND = env_bool("OMS_AUTO_CREDIT_AND_REFUND", True)
# When a change is submitted the payments app settles what follows once it commits, whatever this flag says: a
# fully canceled summary's authorizations released, leftover excess funds refunded or reported.
OMS_MAX_ORDER_ITEMS = 500
OMS_MAX_CHANGE_ITEMS = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# The payment gateway adapter (DOMAIN.md §3.9); the deterministic sandbox unless a provider is plugged in.
OMS_PAYMENT_GATEWAY = os.environ.get("OMS_PAYMENT_GATEWAY", "payments.gateway.sandbox.SandboxGateway")
# A gateway call that timed out is asked about again after this many seconds, under the same key.
OMS_GATEWAY_RECONCILE_DELAY_SECONDS = int(os.environ.get("OMS_GATEWAY_RECONCILE_DELAY_SECONDS", "60"))
