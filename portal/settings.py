"""Settings for Một Cửa, read from the environment (12-factor).

With no environment at all the portal runs in its *embedded* mode: SQLite under ``var/``,
Celery tasks executed in-process, e-mail printed to the console. Setting ``DATABASE_URL``,
``CELERY_BROKER_URL`` and ``REDIS_URL`` switches to the production shape (PostgreSQL, Redis).
``DJANGO_DEBUG=0`` is production mode: it refuses the development secret key and turns on
every transport-security setting that ``manage.py check --deploy`` asks for.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", True)
TESTING = "pytest" in sys.modules or env_bool("DJANGO_TESTING", False)

if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters "
        "when DJANGO_DEBUG is off (production mode)."
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "portal",
    "procedures",
    "dossiers",
    "postal",
    "signatures",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: refuses oversized uploads with 413 (portal/security.py).
    "portal.security.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Persistent connections matter 3-4x on this platform (shared/docs/benchmarks.md).

CONN_MAX_AGE = env_int("CONN_MAX_AGE", 60)
#: A persistent connection used less than this ago skips the health check (portal/db).
DATABASE_HEALTH_CHECK_IDLE_SECONDS = float(
    os.environ.get("DATABASE_HEALTH_CHECK_IDLE_SECONDS") or 1
)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with the health check skipped for a connection used < 1 s ago (portal/db).
        DATABASES["default"]["ENGINE"] = "portal.db.postgresql"
else:
    # The embedded default: a fresh clone has no var/ yet (it is git-ignored).
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "motcua"),
            "OPTIONS": {
                # A cache outage must degrade to "no cache", not to an error page.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Authentication -------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-axes: lock an IP+username pair out after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# 429 with the Vietnamese reason for pages and the API token endpoint alike (portal/security.py).
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Citizens' papers are private: no MEDIA_URL is served; files go out through permission-checked
# views only. The storage is Django's STORAGES so an S3-compatible backend can plug in.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", MEDIA_ROOT / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DOSSIER_ATTACHMENTS_MAX_BYTES = env_int("DOSSIER_ATTACHMENTS_MAX_BYTES", 50 * 1024 * 1024)

# --- E-mail ---------------------------------------------------------------------------------

EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL.startswith("smtp"):
    from urllib.parse import unquote, urlparse

    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = EMAIL_URL.startswith("smtp+tls")
    EMAIL_USE_SSL = EMAIL_URL.startswith("smtps")
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Một Cửa <no-reply@motcua.local>")

# --- REST API -------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a bad credential a 401, not a 403.
        "portal.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # DRF's defaults with multipart read by the ``multipart`` package (portal/api/parsers.py):
    # the same request.data / request.FILES at a fifth of Django's parsing CPU. Pages keep Django's.
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "portal.api.parsers.MultipartFormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.json_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "track": os.environ.get("THROTTLE_TRACK", "30/min"),
        "token": os.environ.get("THROTTLE_TOKEN", "10/min"),
        "verify": os.environ.get("THROTTLE_VERIFY", "20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24)
# Public tracking (dossiers/tracking.py): the page and the API share the per-address budget
# THROTTLE_TRACK; a dossier's public facts stay cached this long at most (every event forgets
# them at once; the bound covers changes made outside the history, e.g. in the admin).
TRACK_CACHE_SECONDS = env_int("TRACK_CACHE_SECONDS", 300)

SPECTACULAR_SETTINGS = {
    "TITLE": "Một Cửa API",
    "DESCRIPTION": "Public API of the Một Cửa one-stop e-government portal.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery ---------------------------------------------------------------------------------
# Contract (shared/docs/architecture.md rule 5): at-least-once delivery, exactly-once effects.

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Embedded mode: no broker, so tasks run in-process at the moment they are enqueued.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A result backend is not needed: every task's outcome is written to PostgreSQL by the task.
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task ran, so a worker that dies mid-task leaves the message to be
# redelivered; tasks are idempotent, so a redelivery is harmless.
CELERY_TASK_ACKS_LATE = True
# ...and when the worker process is killed (SIGKILL, OOM), reject so the broker requeues.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: long tasks never hold back prefetched short ones, and a
# crash loses (and redelivers) at most one message.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# JSON only: a pickle payload from the broker would be remote code execution.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A stuck outside call must not hold a worker forever: soft limit raises inside the task,
# the hard limit kills the process.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
# Keep a worker's database connection between tasks. Without this Celery's Django fixup closes
# it before and after every task, so each task touching the database opened a new PostgreSQL
# backend — most of a routing delivery's cost. With it the fixup closes it every N tasks, and
# portal/celery.py closes sooner a connection that failed or outlived CONN_MAX_AGE.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# Redis redelivers an unacked message after the visibility timeout; it must exceed any
# countdown/ETA/retry delay, or delayed tasks run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
}
# Filing must not hang when the broker is down: the outbox keeps the work, publish gives up.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
CELERY_TASK_DEFAULT_QUEUE = "default"
# One queue per concern so a province can scale them on separate workers/machines.
CELERY_TASK_ROUTES = {
    "dossiers.tasks.route_*": {"queue": "routing"},
    "dossiers.tasks.deliver_*": {"queue": "routing"},
    "dossiers.tasks.sweep_*": {"queue": "routing"},
    "dossiers.routing_tasks.*": {"queue": "routing"},
    "dossiers.tasks.notify_*": {"queue": "notifications"},
    "dossiers.tasks.send_*": {"queue": "notifications"},
    "dossiers.tasks.render_*": {"queue": "documents"},
    "dossiers.document_tasks.render_*": {"queue": "documents"},
    "postal.tasks.*": {"queue": "postal"},
    "dossiers.payment_tasks.render_*": {"queue": "documents"},
    "dossiers.payment_tasks.*": {"queue": "default"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

# --- Security -------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz and /readyz answer load balancers over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Domain configuration -------------------------------------------------------------------

# Demo seeders of the apps, run by `seed_demo` in order after the portal's own units, agencies
# and accounts; each is called as f(layout=..., stdout=...). Settings name the apps so that the
# portal core never imports them (shared/docs/architecture.md).
DEMO_SEEDERS: list[str] = [
    "procedures.demo.seed_catalog",
    "signatures.demo.seed_pki",
    "postal.demo.seed_postal",
    "dossiers.documents.seed_templates",
    "dossiers.statistics.demo.seed_stats",
]
# Panels other apps add to a dossier's pages, in order (see dossiers/panels.py).
DOSSIER_PANELS: list[str] = [
    "dossiers.documents.documents_panel",
    "dossiers.payments.panel.payment_panel_provider",
    "postal.panels.shipments_panel",
]
# Home page sections contributed by the apps, in order (see portal/home.py).
HOME_SECTIONS: list[str] = [
    "procedures.home.catalog_section",
    "dossiers.statistics.home.headline",
]
# Seconds an anonymous catalog page or API answer stays cached (publishing invalidates at once),
# and how long each process trusts its in-memory copy before re-checking (0 = always re-check).
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 300)
CATALOG_LOCAL_CACHE_SECONDS = env_int("CATALOG_LOCAL_CACHE_SECONDS", 0 if TESTING else 1)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "UnitLevelEnum": "portal.models.UnitLevel",
    }
)
POSTAL_WEBHOOK_SECRET = os.environ.get("POSTAL_WEBHOOK_SECRET", "dev-postal-secret")
# Postal service (docs/postal.md): carrier adapter by name, call timeout, postage per zone when
# the admin tariff table is empty (VND), webhook clock tolerance, reconciliation after N hours
# without a webhook, the URL the sandbox carrier posts its events to, the service account.
POSTAL_CARRIER = os.environ.get("POSTAL_CARRIER", "sandbox")
POSTAL_CARRIERS = {"sandbox": "postal.carriers.sandbox.SandboxCarrier"}
POSTAL_CARRIER_TIMEOUT = env_int("POSTAL_CARRIER_TIMEOUT", 10)
POSTAL_TARIFF = {"local": 20_000, "province": 28_000, "national": 38_000}
POSTAL_COLLECT_FEES_AT_PICKUP = env_bool("POSTAL_COLLECT_FEES_AT_PICKUP", True)
POSTAL_WEBHOOK_TOLERANCE_SECONDS = 300
POSTAL_WEBHOOK_OVERDUE_HOURS = env_int("POSTAL_WEBHOOK_OVERDUE_HOURS", 24)
POSTAL_SANDBOX_WEBHOOK_URL = os.environ.get(
    "POSTAL_SANDBOX_WEBHOOK_URL", "http://127.0.0.1:8000/api/v1/postal/events/"
)
POSTAL_SYSTEM_USERNAME = "system.postal"
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {"ShipmentStatusEnum": "postal.models.ShipmentStatus"}
)
CELERY_BEAT_SCHEDULE["postal-sweep-outbox"] = {
    "task": "postal.tasks.sweep_outbox",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["postal-reconcile-overdue"] = {
    "task": "postal.tasks.reconcile_overdue",
    "schedule": 3600.0,
}

# Digital signatures (docs/signatures.md). TSA empty = PAdES B-B; set = B-T. The PKCS#12
# password protects the local provider's key files; outside DEBUG the development value is refused.
SIGNATURES_TSA_URL = os.environ.get("SIGNATURES_TSA_URL", "")
SIGNATURES_PKCS12_PASSWORD = os.environ.get(
    "SIGNATURES_PKCS12_PASSWORD", "dev-only-pkcs12-password"
)
SIGNATURES_DEFAULT_PROVIDER = os.environ.get("SIGNATURES_DEFAULT_PROVIDER", "local-pkcs12")
SIGNATURES_VERIFY_MAX_BYTES = env_int("SIGNATURES_VERIFY_MAX_BYTES", 20 * 1024 * 1024)
SIGNATURES_VERIFY_TIMEOUT = env_int("SIGNATURES_VERIFY_TIMEOUT", 20)
SITE_NAME = os.environ.get("SITE_NAME", "Cổng Dịch vụ công tỉnh Lâm Đồng")

# Dossiers (dossiers/): code format (str.format with agency, date, seq), intake deadline of
# online dossiers, how close to the appointment an apology (Mẫu 04) may be issued, boundary-free
# intake within the province (Nghị định 118/2025), SMS adapter (console | sandbox | dotted path).
DOSSIER_CODE_FORMAT = os.environ.get("DOSSIER_CODE_FORMAT", "{agency}-{date:%y%m%d}-{seq:04d}")
DOSSIER_INTAKE_WORKING_HOURS = env_int("DOSSIER_INTAKE_WORKING_HOURS", 8)
DOSSIER_APOLOGY_WINDOW_WORKING_HOURS = env_int("DOSSIER_APOLOGY_WINDOW_WORKING_HOURS", 8)
DOSSIER_BOUNDARY_FREE_INTAKE = env_bool("DOSSIER_BOUNDARY_FREE_INTAKE", False)
#: Dossier ids reserved per process and round trip (dossiers/filing.py, `_IdBlock`).
DOSSIER_ID_BLOCK = env_int("DOSSIER_ID_BLOCK", 20)
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "DossierStatusEnum": "dossiers.models.Status",
        "FilingChannelEnum": "dossiers.models.FilingChannel",
        "ResultDeliveryEnum": "dossiers.models.ResultDelivery",
    }
)
CELERY_BEAT_SCHEDULE["dossiers-send-pending-notifications"] = {
    "task": "dossiers.tasks.send_pending_notifications",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["dossiers-purge-orphan-files"] = {
    "task": "dossiers.tasks.purge_orphan_files",
    "schedule": 86400.0,
}

# Official documents (dossiers/documents/): the absolute URL printed in QR codes, retries of a
# failing render, the ledger's limits; the sweeper re-enqueues forms whose PDF is missing.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
DOCUMENTS_MAX_ATTEMPTS = env_int("DOCUMENTS_MAX_ATTEMPTS", 5)
DOCUMENTS_LEDGER_MAX_DAYS = env_int("DOCUMENTS_LEDGER_MAX_DAYS", 366)
DOCUMENTS_LEDGER_PDF_MAX_ROWS = env_int("DOCUMENTS_LEDGER_PDF_MAX_ROWS", 2000)
CELERY_BEAT_SCHEDULE["documents-render-missing"] = {
    "task": "dossiers.document_tasks.render_missing_documents",
    "schedule": 600.0,
}

# Inter-level routing (docs/routing.md): re-send hand-overs still pending after N minutes, give
# up (RoutingAlert) after N re-sends; remind the holding agency N working hours before a step's
# deadline; time budget of the default "return the result" step; one queue per level
# (routing.province, routing.district, routing.commune …) when workers are split by level.
ROUTING_SWEEP_AFTER_MINUTES = env_int("ROUTING_SWEEP_AFTER_MINUTES", 5)
ROUTING_MAX_SENDS = env_int("ROUTING_MAX_SENDS", 5)
ROUTING_STEP_REMINDER_WORKING_HOURS = env_int("ROUTING_STEP_REMINDER_WORKING_HOURS", 4)
ROUTING_APOLOGY_PROMPT_WORKING_HOURS = env_int(
    "ROUTING_APOLOGY_PROMPT_WORKING_HOURS", DOSSIER_APOLOGY_WINDOW_WORKING_HOURS
)
ROUTING_RETURN_STEP_HOURS = env_int("ROUTING_RETURN_STEP_HOURS", 8)
ROUTING_QUEUES_PER_LEVEL = env_bool("ROUTING_QUEUES_PER_LEVEL", False)
# A delivery task also delivers up to N-1 other pending hand-overs of its queue in the same
# transaction (locked with SKIP LOCKED; each still exactly once, with its own history row,
# deadline and signal): under a burst the per-message cost falls to one read. 1 = one by one.
ROUTING_DELIVERY_BATCH = env_int("ROUTING_DELIVERY_BATCH", 50)
CELERY_BEAT_SCHEDULE["routing-sweep-outbox"] = {
    "task": "dossiers.routing_tasks.sweep_outbox",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["routing-sweep-deadlines"] = {
    "task": "dossiers.routing_tasks.sweep_deadlines",
    "schedule": 300.0,
}

# Statistics (dossiers/statistics): seconds an anonymous /stats/ page, export or API answer stays
# cached (rebuilds and stock snapshots refresh at once), days the exactly-once ledger is kept;
# hourly: today's stock (in process, overdue), and once a day a rebuild of yesterday's month.
STATS_CACHE_SECONDS = env_int("STATS_CACHE_SECONDS", 60)
STATS_LEDGER_DAYS = env_int("STATS_LEDGER_DAYS", 7)
CELERY_BEAT_SCHEDULE["dossiers-stats-refresh"] = {
    "task": "dossiers.statistics.tasks.refresh_stock",
    "schedule": 3600.0,
}
# With a worker and Redis, events are counted in batches by a queued task (statistics/fold.py)
# instead of one by one on the path of each transition or hand-over; beat sweeps what waits.
STATS_FOLD_EVENTS = env_bool("STATS_FOLD_EVENTS", True)
CELERY_BEAT_SCHEDULE["dossiers-stats-fold"] = {
    "task": "dossiers.statistics.tasks.fold_events",
    "schedule": 60.0,
}

# Online payment of fees (docs/payments.md): gateway adapter for new payments and the registry
# (the sandbox gateway only while PAYMENTS_SANDBOX_ENABLED), call timeout, the sandbox's HMAC key
# and the webhook URL it posts to (default: PORTAL_BASE_URL + /api/v1/payments/webhook/sandbox/),
# webhook clock tolerance and size; reconcile transactions still "initiated" after N minutes and
# expire them after M; receipt series; the service account; request the fee at intake if unpaid.
# Off in production unless asked for: a sandbox gateway there would accept fake payments.
PAYMENTS_SANDBOX_ENABLED = env_bool("PAYMENTS_SANDBOX_ENABLED", DEBUG)
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "sandbox")
PAYMENT_GATEWAYS = (
    {"sandbox": "dossiers.payments.gateways.sandbox.SandboxGateway"}
    if PAYMENTS_SANDBOX_ENABLED
    else {}
)
PAYMENT_GATEWAY_TIMEOUT = env_int("PAYMENT_GATEWAY_TIMEOUT", 10)
PAYMENTS_SANDBOX_SECRET = os.environ.get("PAYMENTS_SANDBOX_SECRET", "dev-payments-sandbox-secret")
PAYMENTS_SANDBOX_WEBHOOK_URL = os.environ.get("PAYMENTS_SANDBOX_WEBHOOK_URL", "")
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = 300
PAYMENTS_WEBHOOK_MAX_BYTES = 16 * 1024
PAYMENTS_RECONCILE_AFTER_MINUTES = env_int("PAYMENTS_RECONCILE_AFTER_MINUTES", 15)
PAYMENTS_EXPIRE_AFTER_MINUTES = env_int("PAYMENTS_EXPIRE_AFTER_MINUTES", 60)
PAYMENTS_RECEIPT_SERIES = os.environ.get("PAYMENTS_RECEIPT_SERIES", "BLMC")
PAYMENTS_SYSTEM_USERNAME = "system.payments"
PAYMENTS_REQUEST_UNPAID_AT_INTAKE = env_bool("PAYMENTS_REQUEST_UNPAID_AT_INTAKE", True)
CELERY_BEAT_SCHEDULE["payments-reconcile"] = {
    "task": "dossiers.payment_tasks.reconcile_payments",
    "schedule": 300.0,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "portal.logging.MaskPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pyhanko": {"level": "CRITICAL"},
        "pyhanko_certvalidator": {"level": "CRITICAL"},
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        # Refused postal webhooks (bad signature, stale timestamp): one line each, no body.
        "postal.security": {"level": "INFO"},
    },
}

# Security and privacy (docs/security.md). Export-my-data (/accounts/my-data/): each app's part,
# as callables f(user) -> {section: data}, so the portal core never imports the apps.
MY_DATA_EXPORTERS: list[str] = [
    "dossiers.privacy.export_my_data",
]
