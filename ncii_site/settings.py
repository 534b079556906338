"""Settings, all from the environment (12-factor). Defaults give the embedded mode:
SQLite, Celery tasks run in-process, debug off unless DJANGO_DEBUG is set."""

import json
import os
import re
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_json(name: str, default: Any) -> Any:
    raw = os.environ.get(name, "").strip()
    return json.loads(raw) if raw else default


def env_rates(name: str) -> dict[str, float]:
    """ "code=0.2,other=1" as {code: rate}; a rate outside 0..1 is refused at start-up."""
    pairs = (item.partition("=") for item in os.environ.get(name, "").split(",") if item.strip())
    rates = {key.strip(): float(value) for key, _, value in pairs}
    if any(not 0 <= rate <= 1 for rate in rates.values()):
        raise ValueError(f"{name}: every rate must be between 0 and 1")
    return rates


# === The deployment: debug, secret key, hosts ====================================================
DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("NCII_REQUIRE_SECRET_KEY"):
        raise RuntimeError("DJANGO_SECRET_KEY must be set")
    SECRET_KEY = "insecure-dev-only-key-set-DJANGO_SECRET_KEY-in-production"  # noqa: S105
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]


# === Apps, middleware, URLs and templates ========================================================
INSTALLED_APPS = [
    "accounts.apps.HubAdminConfig",  # django.contrib.admin on a site that needs the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_otp",
    "accounts.apps.AuthenticatorAppsConfig",  # django_otp.plugins.otp_totp, named for the admin
    "accounts.apps.RecoveryCodesConfig",  # django_otp.plugins.otp_static
    "accounts.apps.SignInLockoutConfig",  # axes
    "ncii_site",
    "accounts",
    "audit",
    "partners",
    "matching",
    "cases",
    "moderation",
    "hub",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # early: its header reaches the other middleware's answers
    "ncii_site.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ncii_site.i18n.LocaleMiddleware",  # the URL's language prefix; reads only, never sets a cookie
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ncii_site.middleware.DomainErrorMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",  # after htmx: it answers htmx requests too
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "ncii_site.wsgi.application"

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
                "ncii_site.context_processors.public_help",
                "ncii_site.context_processors.csp_nonce",
                "ncii_site.i18n.language_context",
            ],
        },
    },
]


# === Database ====================================================================================
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so concurrent decisions serialise
    # instead of failing with "database is locked" half-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # A file, not memory, for the test database: the live server's threads then use their
    # own connections, as they do in production.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

# The database's owner, for `manage.py migrate` only: the app runs as DATABASE_URL's role, which
# may not alter the schema or change the audit table (see ncii_site/db_roles.py).
NCII_DATABASE_MIGRATE_URL = os.environ.get("DATABASE_MIGRATE_URL", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# === Language and time ===========================================================================
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The public pages, the hasher's messages and the case API's answers in these languages. The
# language is the URL's prefix (/es/cases/new/; English has none); "/" offers the language the
# browser asks for. No language cookie is ever set (a trace on a shared device): nothing calls
# set_language, and LocaleMiddleware only reads. The translations are machine-assisted and
# await review by native speakers (see each locale/*/LC_MESSAGES/*.po header).
LANGUAGES = [
    ("en-gb", "English"),
    ("ar", "العربية"),
    ("ur", "اردو"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
    ("pt-br", "Português (Brasil)"),
    ("pl", "Polski"),
    ("tr", "Türkçe"),
    ("hi", "हिन्दी"),
]
LANGUAGES_BIDI = ["ar", "ur", "he", "fa"]
LOCALE_PATHS = [BASE_DIR / "locale"]


# === Static files ================================================================================
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production runs collectstatic and sets DJANGO_STATIC_MANIFEST=1 for hashed names.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DJANGO_STATIC_MANIFEST")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
if WHITENOISE_USE_FINDERS and not env_bool("DJANGO_STATIC_MANIFEST") and not STATIC_ROOT.is_dir():
    # Served from the finders: STATIC_ROOT is only collectstatic's output, not made in the
    # embedded mode, so WhiteNoise's "No directory at" warning there says nothing wrong.
    warnings.filterwarnings("ignore", message=rf"No directory at: {re.escape(str(STATIC_ROOT))}/?$")


# === Staff sign-in: passwords, two-factor, lockout, sessions =====================================
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Staff two-factor (accounts): every page under these prefixes needs a session verified with
# a TOTP code or a recovery code. Public pages and the partner APIs are not staff pages.
NCII_2FA_PATH_PREFIXES = ["/dashboard/", "/admin/"]
OTP_TOTP_ISSUER = os.environ.get("NCII_HUB_NAME", "NCII Hub")

# Sign-in lockout (django-axes). Failures count per username *and* client address together, so
# an attacker guessing from one address locks only that pair: the victim still signs in from
# anywhere else. LIMIT failures lock the pair for COOLOFF minutes; a success resets the count.
# The address is the one the API throttles use (REMOTE_ADDR, or behind NCII_NUM_PROXIES proxies
# the address the nearest proxy saw), so a forged X-Forwarded-For does not make a new client.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out pairs; authenticate() needs the request
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("NCII_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NCII_LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "ncii_site.http.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.sign_in_locked_out"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("NCII_SESSION_AGE", 8 * 3600)
# Signed-in sessions end after this long without a request, and this long after they began
# (accounts.middleware.SessionTimeoutMiddleware), whatever the cookie's age.
NCII_SESSION_IDLE_SECONDS = env_int("NCII_SESSION_IDLE_SECONDS", 30 * 60)
NCII_SESSION_MAX_SECONDS = env_int("NCII_SESSION_MAX_SECONDS", 12 * 3600)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG and bool(os.environ.get("DJANGO_SECRET_KEY")))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The CSRF cookie lasts as long as the browser session, not a year: on a shared device it would
# be a trace of the visit. It is the only cookie the public pages set.
CSRF_COOKIE_AGE = None


# === HTTPS and the content security policy =======================================================
# HTTPS. HSTS is sent only on HTTPS responses, so these defaults do nothing on a plain-HTTP
# development server; production sets DJANGO_SECURE_SSL_REDIRECT=1 and, behind a TLS-ending
# proxy, DJANGO_SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto (a header the proxy always sets).
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT")
_PROXY_SSL_HEADER = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content security policy (django-csp), enforced on every page, the Django admin's included:
# scripts only from here and with the page's nonce (the admin's come from its static files),
# styles only from our stylesheets (no inline style, so htmx is told not to inject its indicator
# style), images from here or data: URIs (the enrolment QR code), media from blob: URLs (a chosen video,
# played on the device to hash its frames) and workers from here. NCII_CSP_REPORT_URI, if set,
# is where browsers report violations.
CSP_DIRECTIVES: dict[str, list[object]] = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "media-src": [SELF, "blob:"],  # the hasher plays a chosen video from a blob: URL to read its frames
    "worker-src": [SELF],  # the hasher's vPDQ worker (static/js/vpdq-worker.js)
    "frame-ancestors": [NONE],
    "form-action": [SELF],
    "base-uri": [NONE],
    "object-src": [NONE],
}
if os.environ.get("NCII_CSP_REPORT_URI"):
    CSP_DIRECTIVES["report-uri"] = [os.environ["NCII_CSP_REPORT_URI"]]
CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}


# === Request bodies ==============================================================================
# Request bodies. Every endpoint takes at most NCII_MAX_BODY_BYTES, except match reports,
# which may carry a review image (base64 in JSON, or a multipart file): see BodyLimitMiddleware.
NCII_MAX_BODY_BYTES = env_int("NCII_MAX_BODY_BYTES", 1_000_000)
NCII_REVIEW_IMAGE_MAX_BYTES = env_int("NCII_REVIEW_IMAGE_MAX_BYTES", 10_000_000)
NCII_REVIEW_IMAGE_MAX_PIXELS = env_int("NCII_REVIEW_IMAGE_MAX_PIXELS", 89_478_485)  # Pillow's MAX_IMAGE_PIXELS
NCII_MATCH_MAX_BODY_BYTES = NCII_REVIEW_IMAGE_MAX_BYTES * 4 // 3 + 100_000  # base64 overhead + fields
DATA_UPLOAD_MAX_MEMORY_SIZE = NCII_MATCH_MAX_BODY_BYTES
# JSON bodies nested deeper than this are refused (400 malformed_json); the deepest the API takes is 4.
NCII_JSON_MAX_DEPTH = env_int("NCII_JSON_MAX_DEPTH", 16)
# Uploads stay in memory and are never written to a temporary file.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = NCII_MATCH_MAX_BODY_BYTES


# === Cache (throttles, the PIN guard's counters) =================================================
# Cache: throttles and the lookup index watermark. Redis when configured, else per process.
# Short socket timeouts: with Redis down or unreachable, throttles fall back to per-process
# counts and the PIN guard refuses with 503 (ncii_site.cache_fallback), instead of hanging.
if os.environ.get("CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# After a failed call to the shared cache, throttles use per-process counts this long before
# trying it again (ncii_site.cache_fallback).
NCII_CACHE_RETRY_SECONDS = env_int("NCII_CACHE_RETRY_SECONDS", 5)


# === Celery: the broker, retries, the sweeper and beat ===========================================
# No broker configured: tasks run in-process when their transaction commits.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "ncii")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Publishing with the broker down fails fast: the report is already committed and the
# sweeper re-enqueues it, so the partner's request need not wait on Redis.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
NCII_TASK_MAX_RETRIES = env_int("NCII_TASK_MAX_RETRIES", 5)
NCII_TASK_RETRY_MAX_SECONDS = env_int("NCII_TASK_RETRY_MAX_SECONDS", 300)
NCII_SWEEP_AFTER_SECONDS = env_int("NCII_SWEEP_AFTER_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-reports": {"task": "matching.reports_sweep", "schedule": env_int("NCII_SWEEP_EVERY_SECONDS", 30)},
    "expire-claims": {"task": "moderation.claims_expire", "schedule": 60.0},
    "purge-review-images": {"task": "matching.review_images_purge", "schedule": 300.0},
    # A new UTC day is rolled up within the hour; the other runs find it done and return.
    "metrics-rollup": {"task": "hub.metrics_rollup", "schedule": 3600.0},
    "audit-checkpoint": {"task": "audit.checkpoint", "schedule": env_int("NCII_AUDIT_CHECKPOINT_SECONDS", 300)},
    # The PDQ index snapshot (matching.index_builder), when PDQ hashes changed since the last one.
    "build-index-snapshot": {
        "task": "matching.index_build",
        "schedule": env_int("NCII_INDEX_BUILD_EVERY_SECONDS", 300),
        "kwargs": {"if_changed": True},
    },
    # Webhook deliveries due (first tries missed, retries with backoff, drops after a day).
    # The on-call digest of items near or past their decision deadline (moderation.deadlines).
    "deadline-alerts": {
        "task": "moderation.deadline_alerts",
        "schedule": float(env_int("NCII_DEADLINE_CHECK_SECONDS", 300)),
    },
    "send-due-webhooks": {
        "task": "partners.webhooks_sweep",
        "schedule": float(env_int("NCII_WEBHOOK_SWEEP_SECONDS", 5)),
    },
    # Retention (hub.retention): erase what passed its period, a bounded number of batches a run.
    "retention-purge": {
        "task": "hub.retention_purge",
        "schedule": float(env_int("NCII_RETENTION_EVERY_SECONDS", 3600)),
    },
}


# === The audit trail: keys and checkpoints =======================================================
def env_secret(name: str, dev_default: str) -> str:
    """A key from the environment; its dev default only in DEBUG or while the hub runs on the
    dev SECRET_KEY (development and tests). A production hub without it does not start."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if not (DEBUG or not os.environ.get("DJANGO_SECRET_KEY")):
        raise RuntimeError(f"{name} must be set (manage.py audit_keygen prints new keys)")
    return dev_default


# The audit trail's HMAC key (each event's digest) and the Ed25519 key (base64 of its 32-byte seed)
# that signs checkpoints of the chain's head. Neither is stored in the database.
NCII_AUDIT_KEY = env_secret("NCII_AUDIT_KEY", "insecure-dev-only-audit-key-set-NCII_AUDIT_KEY")
NCII_AUDIT_SIGNING_KEY = env_secret("NCII_AUDIT_SIGNING_KEY", "ZGV2LW9ubHktYXVkaXQtc2lnbmluZy1rZXktMzJieXQ=")
# Checkpoints of the audit chain's head (audit.anchoring): a signed line in the log and appended
# to this file, which belongs outside the database's reach (another disk or host, append-only).
# Empty: the log line only. The public key verifies them (default: the signing key's).
NCII_AUDIT_CHECKPOINT_PATH = os.environ.get("NCII_AUDIT_CHECKPOINT_PATH", str(BASE_DIR / "var/audit-checkpoints.jsonl"))
NCII_AUDIT_CHECKPOINT_PUBLIC_KEY = os.environ.get("NCII_AUDIT_CHECKPOINT_PUBLIC_KEY", "")


# === Partner and public APIs (DRF, OpenAPI, throttles) ===========================================
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ncii_site.json_parser.StrictJSONParser"],  # 400 malformed_json, never a 500
    "EXCEPTION_HANDLER": "ncii_site.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "ncii_site.openapi.HubAutoSchema",  # documents the error responses
    "UNAUTHENTICATED_USER": None,
    # Reverse proxies in front of the app. With DRF's default (None) the throttles key on the
    # whole client-supplied X-Forwarded-For, so a fresh header per request escapes them (PIN
    # guessing). 0 trusts only REMOTE_ADDR; behind one proxy set NCII_NUM_PROXIES=1.
    "NUM_PROXIES": env_int("NCII_NUM_PROXIES", 0),
    "DEFAULT_THROTTLE_RATES": {
        "case_create": os.environ.get("NCII_THROTTLE_CASE_CREATE", "20/hour"),
        "case_pin": os.environ.get("NCII_THROTTLE_CASE_PIN", "30/hour"),
        "partner": os.environ.get("NCII_THROTTLE_PARTNER", "6000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NCII Hub API",
    "DESCRIPTION": "Hash exchange, match reports and case API of the NCII Hub.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files: no CDN request, and the CSP allows it.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}


# === The bank: matching, the index, the exchange =================================================
NCII_HUB_NAME = os.environ.get("NCII_HUB_NAME", "NCII Hub")
NCII_PDQ_MATCH_DISTANCE = 31  # the PDQ match threshold of the contract
NCII_MIN_PDQ_QUALITY = env_int("NCII_MIN_PDQ_QUALITY", 50)
# Degenerate PDQ hashes are refused for the bank (matching.degenerate): a real picture's hash
# has 128 of 256 bits set (160 of 160 photos and variants measured), so more than this far off
# is refused; and so is any hash within the match distance of the deny-list of trivial pictures.
NCII_PDQ_BIT_COUNT_TOLERANCE = env_int("NCII_PDQ_BIT_COUNT_TOLERANCE", 8)
NCII_PDQ_DENYLIST_PATH = os.environ.get(
    "NCII_PDQ_DENYLIST_PATH", str(BASE_DIR / "matching" / "data" / "pdq_denylist.txt")
)
# How stale a process's in-memory PDQ index may get before a lookup refreshes it.
NCII_INDEX_REFRESH_SECONDS = float(os.environ.get("NCII_INDEX_REFRESH_SECONDS", "1.0"))
# The host's PDQ index snapshots (written by `manage.py index_build`, mapped by every process).
NCII_INDEX_DIR = os.environ.get("NCII_INDEX_DIR", str(BASE_DIR / "var" / "index"))
# Changes since its snapshot a process keeps in memory; past this, lookups take the exact
# database path until the next snapshot.
NCII_INDEX_DELTA_MAX = env_int("NCII_INDEX_DELTA_MAX", 50_000)
# A newer snapshot is mapped and verified by a background thread, never in a request.
NCII_INDEX_LOAD_IN_BACKGROUND = env_bool("NCII_INDEX_LOAD_IN_BACKGROUND", True)
# /readyz runs its checks at most this often per process, however often it is probed.
NCII_READYZ_CACHE_SECONDS = float(os.environ.get("NCII_READYZ_CACHE_SECONDS", "1.0"))
NCII_LOOKUP_MAX_HASHES = 1000
NCII_EXCHANGE_MAX_PAGE_SIZE = env_int("NCII_EXCHANGE_MAX_PAGE_SIZE", 5000)
NCII_EXCHANGE_TOKEN_MAX_AGE = env_int("NCII_EXCHANGE_TOKEN_MAX_AGE", 24 * 3600)  # seconds a page token lives
# Videos (vPDQ, matching.vpdq): frames sampled once a second, as python-threatexchange hashes
# them. Defaults are the reference's: quality 50, query 80 %, target 0 %. 3600 frames (an
# hour) of about 80 bytes each stay well inside NCII_MAX_BODY_BYTES.
NCII_VPDQ_MAX_FRAMES = env_int("NCII_VPDQ_MAX_FRAMES", 3600)
NCII_VPDQ_QUALITY_MIN = env_int("NCII_VPDQ_QUALITY_MIN", 50)
NCII_VPDQ_QUERY_MATCH_PCT = float(os.environ.get("NCII_VPDQ_QUERY_MATCH_PCT", "80.0"))
NCII_VPDQ_TARGET_MATCH_PCT = float(os.environ.get("NCII_VPDQ_TARGET_MATCH_PCT", "0.0"))
# Changes younger than this are held back from FetchHashes so that a transaction that
# commits a moment late is never skipped by a partner's checkpoint.
NCII_EXCHANGE_SETTLE_SECONDS = env_int("NCII_EXCHANGE_SETTLE_SECONDS", 2)


# === Review images ===============================================================================
NCII_IMAGE_KEYS = os.environ.get("NCII_IMAGE_KEYS", "")
NCII_IDEMPOTENCY_STALE_SECONDS = env_int("NCII_IDEMPOTENCY_STALE_SECONDS", 120)
NCII_DEDUP_PDQ_DISTANCE = env_int("NCII_DEDUP_PDQ_DISTANCE", 10)  # same content: recomputed PDQs this close
NCII_BANK_CLUSTER_DISTANCE = env_int("NCII_BANK_CLUSTER_DISTANCE", 10)  # near-duplicate case hashes
NCII_REVIEW_IMAGE_GRACE_SECONDS = env_int("NCII_REVIEW_IMAGE_GRACE_SECONDS", 24 * 3600)
# A VideoPDQ report's review images (its keyframes, `image` counting as the first): each gets the
# same checks as one image, and together they share NCII_MATCH_MAX_BODY_BYTES.
NCII_REVIEW_KEYFRAMES_MAX = env_int("NCII_REVIEW_KEYFRAMES_MAX", 6)
# Review images are decoded by workers, never in a request.
# A request checks only an upload's size, format and declared dimensions, against a pixel cap per
# format: formats decoded in full (PNG, GIF, WebP) far lower than JPEG, which decodes in draft
# mode (JSON {format: pixels} overrides some). Over a cap: 413 at once. Workers decode in a
# subprocess limited to DECODE_MEMORY_BYTES of address space and DECODE_CPU_SECONDS of CPU (and
# DECODE_WALL_SECONDS of wall time); past a limit the report records the image as refused.
# Uploads no worker decoded are purged by the sweeper after UPLOAD_MAX_AGE_SECONDS (audited).
NCII_REVIEW_IMAGE_PIXEL_CAPS: dict[str, int] = {
    "JPEG": 40_000_000,
    "PNG": 16_000_000,
    "GIF": 16_000_000,
    "WEBP": 16_000_000,
} | env_json("NCII_REVIEW_IMAGE_PIXEL_CAPS", {})
NCII_DECODE_MEMORY_BYTES = env_int("NCII_DECODE_MEMORY_BYTES", 1024 * 1024 * 1024)
NCII_DECODE_CPU_SECONDS = env_int("NCII_DECODE_CPU_SECONDS", 20)
NCII_DECODE_WALL_SECONDS = env_int("NCII_DECODE_WALL_SECONDS", 120)
NCII_UPLOAD_MAX_AGE_SECONDS = env_int("NCII_UPLOAD_MAX_AGE_SECONDS", 24 * 3600)


# === Review: claims, queues, decisions, moderators' wellbeing ====================================
NCII_CLAIM_SECONDS = env_int("NCII_CLAIM_SECONDS", 15 * 60)
NCII_QUEUE_PAGE_SIZE = env_int("NCII_QUEUE_PAGE_SIZE", 25)
# Review images a role may reveal a day, e.g. '{"moderator": 60, "senior_moderator": null}'
# (null: no cap). A user with several roles gets the most generous; roles not named: no cap.
NCII_DAILY_REVEAL_CAP: dict[str, int | None] = env_json("NCII_DAILY_REVEAL_CAP", {})
# What moderators may choose for themselves (their settings page), as [lowest, default,
# highest]; admins narrow or widen these. JSON to override some, e.g. '{"reblur_seconds": [2, 4, 8]}'.
# Turning the blur off altogether is never a choice unless an admin allows it for that user
# (manage.py moderator_blur_off).
NCII_WELLBEING_LIMITS: dict[str, tuple[int, int, int]] = {
    name: (int(low), int(default), int(high))
    for name, (low, default, high) in (
        {
            "blur_radius": (8, 14, 30),  # blur of previews, in pixels of the 512-px derivative
            "reblur_seconds": (2, 5, 20),  # a revealed image blurs again after this
            "break_after_reveals": (5, 25, 100),  # a break is suggested after this many reveals
            "break_after_minutes": (15, 60, 120),  # or this long into the session
        }
        | env_json("NCII_WELLBEING_LIMITS", {})
    ).items()
}
NCII_BULK_MAX = env_int("NCII_BULK_MAX", 50)  # items one bulk decision may cover
NCII_SLA_TARGET_SECONDS = env_int("NCII_SLA_TARGET_SECONDS", 24 * 3600)  # an item waiting longer breaches it
# Every decision names one of these reasons (code, label), plus an optional note; "other"
# needs the note. Keys 1-9 pick the first nine on the item page. JSON list of pairs to override.
NCII_REASON_CODES: list[tuple[str, str]] = [
    (str(code), str(label))
    for code, label in env_json(
        "NCII_REASON_CODES",
        [
            ("matches_bank", "Same image as the banked hash"),
            ("different_image", "A different image"),
            ("not_intimate", "Not intimate imagery"),
            ("too_poor", "Too poor to judge"),
            ("needs_senior", "Needs a senior moderator"),
            ("new_information", "New information or a partner's appeal"),
            ("other", "Other (explain in the note)"),
        ],
    )
]
NCII_REPORT_TASK = "moderation.report_process"
# Blind second review (moderation.qa_services): this share of confirm/dismiss decisions goes
# to a QA queue, chosen by a keyed hash of the item and its version (deterministic, no
# random()); per reason code as "code=rate,code=rate" overrides the overall rate.
NCII_QA_SAMPLE_RATE = float(os.environ.get("NCII_QA_SAMPLE_RATE", "0.05"))
NCII_QA_SAMPLE_RATE_BY_REASON = env_rates("NCII_QA_SAMPLE_RATE_BY_REASON")
# Every item should be decided within this long of its first report (queue and item pages);
# the on-call list gets a digest of items within WARN of it or past it, at most once per EVERY.
NCII_DECISION_DEADLINE_SECONDS = env_int("NCII_DECISION_DEADLINE_SECONDS", 48 * 3600)
NCII_DEADLINE_WARN_SECONDS = env_int("NCII_DEADLINE_WARN_SECONDS", 12 * 3600)
NCII_ALERT_EVERY_SECONDS = env_int("NCII_ALERT_EVERY_SECONDS", 3600)
NCII_ONCALL_EMAILS = [a.strip() for a in os.environ.get("NCII_ONCALL_EMAILS", "").split(",") if a.strip()]
# The digest goes through Django's email backend (the console's unless configured).
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "ncii-hub@localhost")
NCII_SITE_URL = os.environ.get("NCII_SITE_URL", "http://127.0.0.1:8000").rstrip("/")  # item links in emails
# Decision exports stream rows in chunks of this many items.
NCII_EXPORT_CHUNK = env_int("NCII_EXPORT_CHUNK", 2000)


# === Cases and the public pages ==================================================================
NCII_MAX_HASHES_PER_CASE = env_int("NCII_MAX_HASHES_PER_CASE", 100)
# PIN guessing (cases.pin_guard): per case number and per client, this many wrong PINs are
# free; each further one locks that number or client for BASE seconds, doubling, up to MAX.
# A quiet WINDOW after the last wrong PIN forgets the count. The counts live in the cache:
# with more than one web process, set CACHE_URL so they share them.
NCII_PIN_FREE_FAILURES = env_int("NCII_PIN_FREE_FAILURES", 5)
NCII_PIN_LOCK_BASE_SECONDS = env_int("NCII_PIN_LOCK_BASE_SECONDS", 30)
NCII_PIN_LOCK_MAX_SECONDS = env_int("NCII_PIN_LOCK_MAX_SECONDS", 3600)
NCII_PIN_FAILURE_WINDOW_SECONDS = env_int("NCII_PIN_FAILURE_WINDOW_SECONDS", 24 * 3600)
# With the shared cache unreachable the PIN guard refuses (503) and asks to retry after this.
NCII_PIN_GUARD_RETRY_AFTER_SECONDS = env_int("NCII_PIN_GUARD_RETRY_AFTER_SECONDS", 30)
# Caseworkers' "disputed hashes": at least this many partners say NotBlocked and none Blocked.
NCII_DISPUTED_MIN_NOT_BLOCKED = env_int("NCII_DISPUTED_MIN_NOT_BLOCKED", 2)
NCII_CASEWORK_PAGE_SIZE = env_int("NCII_CASEWORK_PAGE_SIZE", 25)


def env_links(name: str, default: str) -> list[dict[str, str]]:
    """``Name|https://…; Other|tel:…`` as [{"name", "url"}]; only http(s), tel and mailto links."""
    links = []
    for entry in os.environ.get(name, default).split(";"):
        label, _, url = (part.strip() for part in entry.partition("|"))
        if label and url.startswith(("https://", "http://", "tel:", "mailto:")):
            links.append({"name": label, "url": url})
    return links


# Public pages: where to get help, and where to send people under 18 (no case is created).
NCII_HELP_TEXT = os.environ.get(
    "NCII_HELP_TEXT",
    "If you are in danger, call your local emergency number. These services give free, confidential support:",
)
NCII_HELPLINES = env_links(
    "NCII_HELPLINES",
    "Revenge Porn Helpline (UK)|https://revengepornhelpline.org.uk;"
    "Cyber Civil Rights Initiative crisis helpline (US)|https://cybercivilrights.org/ccri-crisis-helpline/",
)
NCII_MINORS_SERVICE_NAME = os.environ.get("NCII_MINORS_SERVICE_NAME", "Take It Down (NCMEC)")
NCII_MINORS_SERVICE_URL = os.environ.get("NCII_MINORS_SERVICE_URL", "https://takeitdown.ncmec.org/")
if not NCII_MINORS_SERVICE_URL.startswith(("https://", "http://")):
    raise RuntimeError("NCII_MINORS_SERVICE_URL must be an http(s) address")
# Quick exit: the public pages' "Exit this page" button (and Shift pressed three times) replaces
# the page with this neutral site.
NCII_QUICK_EXIT_URL = os.environ.get("NCII_QUICK_EXIT_URL", "https://www.bbc.co.uk/weather")
if not NCII_QUICK_EXIT_URL.startswith(("https://", "http://")):
    raise RuntimeError("NCII_QUICK_EXIT_URL must be an http(s) address")
# Where the child-safety team refers content that may show a person under 18 (the item page
# of a possible minor states it), e.g. NCMEC's CyberTipline in the US or the IWF in the UK.
NCII_MINORS_SERVICE_REFERRAL_NAME = os.environ.get("NCII_MINORS_SERVICE_REFERRAL_NAME", "NCMEC CyberTipline")
NCII_MINORS_SERVICE_REFERRAL_URL = os.environ.get("NCII_MINORS_SERVICE_REFERRAL_URL", "https://report.cybertip.org/")
if not NCII_MINORS_SERVICE_REFERRAL_URL.startswith(("https://", "http://")):
    raise RuntimeError("NCII_MINORS_SERVICE_REFERRAL_URL must be an http(s) address")
NCII_MINOR_REASON_MAX_CHARS = env_int("NCII_MINOR_REASON_MAX_CHARS", 2000)


# === Partners ====================================================================================
# Rotating a partner key: the old key keeps working this long beside the new one (0 = stops now).
NCII_KEY_ROTATION_OVERLAP_SECONDS = env_int("NCII_KEY_ROTATION_OVERLAP_SECONDS", 24 * 3600)
# Partners' trust in the bank: flood quarantine, the negative bank, signed webhooks.
# A bank hash drawing more than NCII_FLOOD_REPORTS reports from at least NCII_FLOOD_PARTNERS
# partners within the window is quarantined (a blank frame, a meme) until a senior decides.
NCII_FLOOD_REPORTS = env_int("NCII_FLOOD_REPORTS", 20)
NCII_FLOOD_PARTNERS = env_int("NCII_FLOOD_PARTNERS", 3)
NCII_FLOOD_WINDOW_SECONDS = env_int("NCII_FLOOD_WINDOW_SECONDS", 3600)
NCII_FLOOD_PRIORITY = 1_000_000  # added to a flood item's priority: it heads the senior queue
# Negative bank: a PDQ hash within this distance of a known-benign hash is covered by it.
NCII_NEGATIVE_PDQ_DISTANCE = env_int("NCII_NEGATIVE_PDQ_DISTANCE", 31)
NCII_NEGATIVE_BANK_MAX = env_int("NCII_NEGATIVE_BANK_MAX", 100_000)  # entries (each check scans them)
NCII_NEGATIVE_COVERED_LIST_MAX = 500  # covered active hashes listed on the negative bank page
# Webhooks: secrets are Fernet-encrypted with these keys (comma-separated, newest first;
# unset: derived from the secret key). Outbound requests go only to public addresses, or to
# private ones listed here (CIDRs, comma-separated); http:// only to loopback, and only when
# NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK is on (debug and tests).
NCII_WEBHOOK_KEYS = os.environ.get("NCII_WEBHOOK_KEYS", "")
NCII_WEBHOOK_ALLOWED_NETWORKS = [
    n.strip() for n in os.environ.get("NCII_WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()
]
NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK = env_bool("NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK", DEBUG)
NCII_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("NCII_WEBHOOK_TIMEOUT_SECONDS", "5"))
NCII_WEBHOOK_MAX_RESPONSE_BYTES = env_int("NCII_WEBHOOK_MAX_RESPONSE_BYTES", 64 * 1024)
NCII_WEBHOOK_RETRY_SECONDS = env_int("NCII_WEBHOOK_RETRY_SECONDS", 24 * 3600)  # then dropped
NCII_WEBHOOK_BACKOFF_SECONDS = (10, 3600)  # first retry after 10 s, doubling, at most an hour apart
NCII_WEBHOOK_REPLAY_WINDOW_SECONDS = 300  # receivers refuse a signature timestamp older than this
NCII_WEBHOOK_MAX_ENDPOINTS = env_int("NCII_WEBHOOK_MAX_ENDPOINTS", 5)  # per partner
NCII_WEBHOOK_LIST_LIMIT = 50  # recent deliveries on a partner's webhooks page


# === Metrics =====================================================================================
# The metrics page's figures are computed at most this often per process (0 = every request).
NCII_METRICS_CACHE_SECONDS = env_int("NCII_METRICS_CACHE_SECONDS", 60)
# The public transparency page (/transparency/): counts under this are shown as "fewer than N"
# (and shares or medians over them withheld); its figures are cached this long.
NCII_TRANSPARENCY_MIN_COUNT = env_int("NCII_TRANSPARENCY_MIN_COUNT", 10)
NCII_TRANSPARENCY_CACHE_SECONDS = env_int("NCII_TRANSPARENCY_CACHE_SECONDS", 3600)


# === Retention and erasure =======================================================================
# How long each kind of data outlives its purpose (README: "What the hub holds"); beat's
# hub.retention_purge erases what passed, at most NCII_RETENTION_BATCHES_PER_RUN batches of
# NCII_RETENTION_BATCH_SIZE rows per kind and run, each batch an audit event with its ids and counts.
_DAY = 86400
NCII_RETENTION_WITHDRAWN_CASE_SECONDS = env_int("NCII_RETENTION_WITHDRAWN_CASE_SECONDS", 30 * _DAY)
NCII_RETENTION_REPORT_CONTEXT_SECONDS = env_int("NCII_RETENTION_REPORT_CONTEXT_SECONDS", 90 * _DAY)
NCII_RETENTION_REVIEW_NOTE_SECONDS = env_int("NCII_RETENTION_REVIEW_NOTE_SECONDS", 365 * _DAY)
NCII_RETENTION_PARTNER_USAGE_SECONDS = env_int("NCII_RETENTION_PARTNER_USAGE_SECONDS", 730 * _DAY)
NCII_RETENTION_IDEMPOTENCY_SECONDS = env_int("NCII_RETENTION_IDEMPOTENCY_SECONDS", 7 * _DAY)
# Sandbox reports are decided at once and serve only a partner's integration test (polling
# GET /api/v1/matches/{id}): a week covers a test cycle; after it that report id answers 404.
NCII_RETENTION_SANDBOX_REPORT_SECONDS = env_int("NCII_RETENTION_SANDBOX_REPORT_SECONDS", 7 * _DAY)
# Webhook deliveries are notifications (the feed is the record) whose payload may copy a
# report's contentId and shared decision note. A delivered one is kept 30 days after delivery,
# for a partner's "did you send it?" and a replay; a dropped one 90 days after it was made (or
# last replayed): a broken endpoint can go unnoticed for weeks, and the partner page must still
# show what was missed so an admin can replay it once it is fixed. Pending ones are never purged.
NCII_RETENTION_WEBHOOK_DELIVERED_SECONDS = env_int("NCII_RETENTION_WEBHOOK_DELIVERED_SECONDS", 30 * _DAY)
NCII_RETENTION_WEBHOOK_DROPPED_SECONDS = env_int("NCII_RETENTION_WEBHOOK_DROPPED_SECONDS", 90 * _DAY)
NCII_RETENTION_BATCH_SIZE = env_int("NCII_RETENTION_BATCH_SIZE", 500)
NCII_RETENTION_BATCHES_PER_RUN = env_int("NCII_RETENTION_BATCHES_PER_RUN", 10)


# === Logging =====================================================================================
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusal_one_line": {"()": "ncii_site.log_filters.RefusalWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"filters": ["refusal_one_line"]}},  # a 403 is one line, no traceback
    # request bodies and headers (keys, PINs) are never logged; Django's request logger only
    # logs paths and statuses.
}
