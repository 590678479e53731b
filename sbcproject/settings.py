"""Every setting of the gateway, read once from the environment with django-environ.

A bad value stops start-up with a message naming the variable. Every variable is listed in
`.env.example` with a one-line comment.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# What the product calls itself on every page: the portal, the admin and the API schema.
PRODUCT_NAME = "Simple Bedrock Connector"

env = environ.Env()
if os.environ.get("SBC_READ_DOT_ENV", "1") == "1" and (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.str(name, default=default).strip().lower()
    if value not in allowed:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


INT32_MAX = 2_147_483_647


def _positive_int(name: str, default: int, maximum: int | None = None) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number: {exc}") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def _positive_float(name: str, default: float) -> float:
    try:
        value = env.float(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number: {exc}") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be greater than zero, got {value}")
    return value


def _networks(name: str, default: list[str]) -> list[str]:
    values = [v.strip() for v in env.list(name, default=default) if v.strip()]
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} must list addresses or networks (CIDR): {exc}") from None
    return values


# --- Django core -------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
RUNNING_ON_LAMBDA = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
# Every signature Django makes (sessions, CSRF, password-reset links, signed cookies) is an HMAC under these keys:
# a blank key, or a blank fallback, would let anyone sign.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY.strip():
    if DEBUG or env.bool("SBC_ALLOW_INSECURE_KEY", default=False):
        SECRET_KEY = "insecure-local-development-key-change-me-0123456789abcdef"
    else:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (or DJANGO_DEBUG=true for local use)")
SECRET_KEY_FALLBACKS = [key for key in env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[]) if key.strip()]
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Addresses (CIDR) of the reverse proxies whose X-Forwarded-* headers are believed; from any other peer they are
# dropped. The default covers a load balancer inside a VPC and a local proxy; empty believes nobody.
TRUSTED_PROXIES = _networks(
    "TRUSTED_PROXIES", ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Behind CloudFront and its WAF, a request must carry this header with this secret value (CloudFront adds it), so
# the public function URL is no way around them (sbcproject/origin_verify.py). Empty: no check.
ORIGIN_VERIFY_HEADER = env.str("ORIGIN_VERIFY_HEADER", default="X-Origin-Verify")
ORIGIN_VERIFY_HEADER_VALUE = env.str("ORIGIN_VERIFY_HEADER_VALUE", default="")

INSTALLED_APPS = [
    "sbcproject.apps.AdminConfig",  # Django's admin; its admin.py modules load with its routes, not at start-up
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",  # the sign-in lock-out (see AXES_* below)
    "sbcproject.lockout",  # its admin pages, with bounded search
    "rest_framework",
    "drf_spectacular",
    "audit",
    "gateway",
    "tokens",
    "usage",
]

MIDDLEWARE = [
    "sbcproject.health.health_check_middleware",  # first: load balancers probe by IP over http
    "sbcproject.origin_verify.OriginVerifyMiddleware",  # only via CloudFront, when ORIGIN_VERIFY_HEADER_VALUE is set
    "gateway.http.UntrustedForwardingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gateway.http.ChunkedBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.audit_actor_middleware",  # who acts, for the audit trail (admin:NAME, portal:NAME)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into its 429 page
]
# The /v1 API's own handler (sbcproject.wsgi): security headers and the chunked-body limit, nothing it never uses.
API_MIDDLEWARE = [
    "sbcproject.origin_verify.OriginVerifyMiddleware",
    "gateway.http.UntrustedForwardingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gateway.http.AllowedHostMiddleware",
    "gateway.http.ChunkedBodyMiddleware",
]

ROOT_URLCONF = "sbcproject.urls"
WSGI_APPLICATION = "sbcproject.wsgi.application"
APPEND_SLASH = False

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
                "portal.context_processors.product",
            ],
        },
    },
]

# --- Database: SQLite locally, PostgreSQL or Aurora DSQL in production (DATABASE_URL) ---------------
# dsql://<user>@<cluster endpoint>/postgres selects AWS's Aurora DSQL adapter, which signs in with an IAM token.
environ.Env.DB_SCHEMES["dsql"] = "aurora_dsql_django"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "aurora_dsql_django":
    # No password: the connector makes an IAM token for each new connection (AWS_REGION when the endpoint does not
    # name its region). Integer ids (identity columns) as on the other databases; a connection lives across
    # requests (Lambda reuses its container; DSQL closes a connection after an hour), checked before reuse.
    _aws_region = env.str("AWS_REGION", default=env.str("AWS_DEFAULT_REGION", default="us-east-1"))
    _dsql_region = re.search(r"\.dsql\.([a-z0-9-]+)\.on\.aws$", DATABASES["default"]["HOST"] or "")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"sslmode": "verify-full", "region": _dsql_region.group(1) if _dsql_region else _aws_region}
    )
    DATABASES["default"].update(
        NAME=DATABASES["default"]["NAME"] or "postgres",
        USE_SEQUENCE_AUTOFIELDS=True,
        SEQUENCE_CACHE_SIZE=65536,
        CONN_MAX_AGE=env.int("DATABASE_CONN_MAX_AGE", default=300),
        CONN_HEALTH_CHECKS=True,
    )
    # django.contrib.auth and django-axes change column types, which DSQL refuses: their tables are created at
    # their final shape instead, as the adapter documents (core.dsql_migrations).
    MIGRATION_MODULES = {"auth": "core.dsql_migrations.auth", "axes": "core.dsql_migrations.axes"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that the live servers the end-to-end tests start can share it.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("TEST_SQLITE_PATH", default=str(BASE_DIR / ".run" / "test.sqlite3"))
    }
    # WAL and a busy timeout let several gunicorn threads write usage records without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Opening a SQLite file and running the PRAGMAs cost about 1 ms: keep each thread's connection.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=600))
else:
    # On Lambda every container holds its own connection and may be frozen at any time: open one per
    # request and let RDS Proxy do the pooling.
    DATABASES["default"].setdefault(
        "CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0 if RUNNING_ON_LAMBDA else 60)
    )
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and shared counters ------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth, i18n, static files -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = env.str("STATIC_URL", default="/static/")
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Django REST framework: the /v1 API --------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_PARSER_CLASSES": ["gateway.http.JSONBodyParser"],
    "DEFAULT_RENDERER_CLASSES": ["gateway.http.FastJSONRenderer"],
    "EXCEPTION_HANDLER": "gateway.http.openai_exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "gateway.http.FirstRendererNegotiation",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": PRODUCT_NAME,
    "DESCRIPTION": "OpenAI-compatible API for AWS Bedrock models.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Bedrock -------------------------------------------------------------------------------------
AWS_REGION = env.str("AWS_REGION", default=env.str("AWS_DEFAULT_REGION", default="us-east-1"))
BEDROCK_REGIONS = env.list("BEDROCK_REGIONS", default=[AWS_REGION])
if not BEDROCK_REGIONS or any(not r.strip() for r in BEDROCK_REGIONS):
    raise ImproperlyConfigured("BEDROCK_REGIONS must list at least one region, e.g. us-east-1,us-west-2")
BEDROCK_CONNECT_TIMEOUT = _positive_float("BEDROCK_CONNECT_TIMEOUT", 3.0)
BEDROCK_READ_TIMEOUT = _positive_float("BEDROCK_READ_TIMEOUT", 120.0)
BEDROCK_MAX_POOL_CONNECTIONS = _positive_int("BEDROCK_MAX_POOL_CONNECTIONS", 256)
BEDROCK_MAX_ATTEMPTS = max(1, _positive_int("BEDROCK_MAX_ATTEMPTS", max(2, len(BEDROCK_REGIONS))))
BEDROCK_FAILOVER_DEADLINE = _positive_float("BEDROCK_FAILOVER_DEADLINE", 30.0)
BEDROCK_BACKOFF_BASE = _positive_float("BEDROCK_BACKOFF_BASE", 0.1)
BEDROCK_BACKOFF_CAP = _positive_float("BEDROCK_BACKOFF_CAP", 2.0)
BEDROCK_REGION_FAILURES = max(1, _positive_int("BEDROCK_REGION_FAILURES", 3))
BEDROCK_REGION_COOLDOWN = _positive_float("BEDROCK_REGION_COOLDOWN", 30.0)
BEDROCK_INFERENCE_GEOGRAPHY = env.str("BEDROCK_INFERENCE_GEOGRAPHY", default="")
# "direct": Converse and InvokeModel calls through the gateway's lean client (gateway.bedrock.http); "sdk": all
# through boto3. An HTTP(S)_PROXY that applies to the endpoint always means the SDK, which honours it.
BEDROCK_TRANSPORT = env.str("BEDROCK_TRANSPORT", default="direct").strip().lower()
if BEDROCK_TRANSPORT not in ("direct", "sdk"):
    raise ImproperlyConfigured(f"BEDROCK_TRANSPORT must be direct or sdk, got {BEDROCK_TRANSPORT!r}")
# The AWS accounts whose Bedrock ARNs (provisioned models, custom models, application inference profiles) a
# request may name without an alias; empty: none, an admin adds each as a model alias. Foundation-model ids,
# inference-profile ids and foundation-model ARNs of BEDROCK_REGIONS need no entry.
BEDROCK_ACCOUNT_IDS = [a.strip() for a in env.list("BEDROCK_ACCOUNT_IDS", default=[]) if a.strip()]
if any(not (len(a) == 12 and a.isdigit()) for a in BEDROCK_ACCOUNT_IDS):
    raise ImproperlyConfigured(f"BEDROCK_ACCOUNT_IDS must list 12-digit AWS account ids, got {BEDROCK_ACCOUNT_IDS!r}")
DEFAULT_MODEL = env.str("DEFAULT_MODEL", default="claude-4-sonnet")
MODEL_CACHE_SECONDS = _positive_int("MODEL_CACHE_SECONDS", 30)

# --- Request limits ------------------------------------------------------------------------------
MAX_REQUEST_BYTES = _positive_int("MAX_REQUEST_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
# Bodies of requests to every other path (admin, portal, sign-in): refused with 413 above this, before they are
# read, under the uvicorn workers (sbcproject.bodies). Their forms are a few kB.
SITE_MAX_REQUEST_BYTES = _positive_int("SITE_MAX_REQUEST_BYTES", 1024 * 1024)
MAX_MESSAGES = _positive_int("MAX_MESSAGES", 5000)
MAX_OUTPUT_TOKENS = _positive_int("MAX_OUTPUT_TOKENS", 200_000)
# Days a Responses API response (and its conversation) is kept for `previous_response_id`, `item_reference`
# and `GET /v1/responses/{id}`; 0 stores nothing and every response says `"store": false`.
RESPONSES_RETENTION_DAYS = _positive_int("RESPONSES_RETENTION_DAYS", 30, 3650)

# --- Tokens and the Secrets Manager mirror -------------------------------------------------------
TOKEN_MAX_TTL = env.str("TOKEN_MAX_TTL", default="365d")
TOKEN_DEFAULT_TTL = env.str("TOKEN_DEFAULT_TTL", default="30d")
TOKEN_CACHE_SECONDS = _positive_int("TOKEN_CACHE_SECONDS", 5)
# Failed token look-ups one client address may make per window before it gets 429 (0 = no limit).
AUTH_FAILURE_LIMIT = _positive_int("AUTH_FAILURE_LIMIT", 60)
AUTH_FAILURE_WINDOW_SECONDS = _positive_int("AUTH_FAILURE_WINDOW_SECONDS", 60)
if AUTH_FAILURE_WINDOW_SECONDS < 1:
    raise ImproperlyConfigured("AUTH_FAILURE_WINDOW_SECONDS must be at least 1")
SECRETS_MIRROR = _choice("SECRETS_MIRROR", "off", ("on", "off"))
# Which deployment (stage) this is: tagged on every secret it creates, so that `sync_secrets` reconciles only its own
# and two deployments sharing an account never delete or revoke each other's. Unset, it is derived from the database
# (two deployments never share one; every process and job of one deployment does).
DEPLOYMENT_ID = env.str("DEPLOYMENT_ID", default="").strip()
if not DEPLOYMENT_ID:
    _db = DATABASES["default"]
    _where = "|".join(str(_db.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME"))
    DEPLOYMENT_ID = "db-" + hashlib.sha256(_where.encode()).hexdigest()[:10]
if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", DEPLOYMENT_ID):
    raise ImproperlyConfigured(
        f"DEPLOYMENT_ID={DEPLOYMENT_ID!r} must be 1-64 letters, digits, '.', '_' or '-' (e.g. prod or dev)"
    )
SECRET_PREFIX = env.str("SECRET_PREFIX", default="").strip() or f"sbc/{DEPLOYMENT_ID}/tokens/"
# on: a live token whose secret was deleted in Secrets Manager is revoked by `sync_secrets`; off: its secret is
# pushed again (a deleted secret is then never mistaken for a revocation).
SECRETS_SYNC_REVOKE_MISSING = env.bool("SECRETS_SYNC_REVOKE_MISSING", default=False)

# --- Usage logging -------------------------------------------------------------------------------
CLOUDWATCH_LOG_GROUP = env.str("CLOUDWATCH_LOG_GROUP", default="")
CLOUDWATCH_LOG_STREAM = env.str("CLOUDWATCH_LOG_STREAM", default="{machine_name}-{logger_name}")
LOG_PROMPTS = env.bool("LOG_PROMPTS", default=False)
LOG_LEVEL = _choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
CLOUDWATCH_SEND_INTERVAL = _positive_float("CLOUDWATCH_SEND_INTERVAL", 10.0)

# --- Quotas, rate limits and prices (0 or empty = unlimited) ----------------------------------------
QUOTA_DEFAULT_TOKENS_PER_DAY = _positive_int("QUOTA_DEFAULT_TOKENS_PER_DAY", 0)
QUOTA_DEFAULT_TOKENS_PER_MONTH = _positive_int("QUOTA_DEFAULT_TOKENS_PER_MONTH", 0)
QUOTA_DEFAULT_USD_PER_MONTH = env.str("QUOTA_DEFAULT_USD_PER_MONTH", default="").strip()
QUOTA_DEFAULT_REQUESTS_PER_MINUTE = _positive_int("QUOTA_DEFAULT_REQUESTS_PER_MINUTE", 0, INT32_MAX)
QUOTA_DEFAULT_TOKENS_PER_MINUTE = _positive_int("QUOTA_DEFAULT_TOKENS_PER_MINUTE", 0, INT32_MAX)
QUOTA_DEFAULT_CONCURRENT_STREAMS = _positive_int("QUOTA_DEFAULT_CONCURRENT_STREAMS", 0, INT32_MAX)
QUOTA_DEFAULT_ALLOWED_MODELS = env.list("QUOTA_DEFAULT_ALLOWED_MODELS", default=[])
QUOTA_DEFAULT_ALERT_PERCENT = _positive_int("QUOTA_DEFAULT_ALERT_PERCENT", 80, 100)
try:
    if QUOTA_DEFAULT_USD_PER_MONTH and float(QUOTA_DEFAULT_USD_PER_MONTH) < 0:
        raise ValueError("negative")
except ValueError:
    raise ImproperlyConfigured(
        f"QUOTA_DEFAULT_USD_PER_MONTH must be a dollar amount, got {QUOTA_DEFAULT_USD_PER_MONTH!r}"
    )
QUOTA_CACHE_SECONDS = _positive_int("QUOTA_CACHE_SECONDS", 5)

# --- Budget alerts: where a crossed alert share or a refusing quota is told (the log event always) --------
ALERT_EMAIL_TO = env.list("ALERT_EMAIL_TO", default=[])
ALERT_EMAIL_OWNER = env.bool("ALERT_EMAIL_OWNER", default=False)  # also the identity's user, if it has an address
ALERT_WEBHOOK_URL = env.str("ALERT_WEBHOOK_URL", default="")  # a Slack-style incoming webhook: POST {"text": ...}
if ALERT_WEBHOOK_URL and not ALERT_WEBHOOK_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("ALERT_WEBHOOK_URL must be an http(s) URL")
ALERT_SNS_TOPIC_ARN = env.str("ALERT_SNS_TOPIC_ARN", default="")
ALERT_TIMEOUT_SECONDS = _positive_float("ALERT_TIMEOUT_SECONDS", 5.0)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="sbc@localhost")
QUOTA_RESERVE_OUTPUT_TOKENS = _positive_int("QUOTA_RESERVE_OUTPUT_TOKENS", 4096)
# A concurrency lease or pending reservation lives this long past its last heartbeat (every third of it): a stream
# keeps its slot however long it runs, and a crashed worker's slots free within this.
QUOTA_LEASE_SECONDS = _positive_int("QUOTA_LEASE_SECONDS", 30)
# Settlements the database could not take are kept here (one file per process) until replayed: the checkout's .run/
# locally, /tmp where the code's directory is read-only (Lambda, the container image).
SPOOL_DIR = env.str(
    "SPOOL_DIR",
    default=str(BASE_DIR / ".run" / "spool")
    if not RUNNING_ON_LAMBDA and os.access(BASE_DIR, os.W_OK)
    else "/tmp/sbc-spool",  # noqa: S108 - one directory per instance; its files are created 0600
)
PRICE_CACHE_SECONDS = _positive_int("PRICE_CACHE_SECONDS", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "plain"},
        # The per-request usage events: written by a background thread, not the request's (core.logwriter); on
        # Lambda at once, since a frozen function would hold queued lines.
        "events": {"class": "logging.StreamHandler", "formatter": "plain"}
        if RUNNING_ON_LAMBDA
        else {
            "class": "core.logwriter.BackgroundStreamHandler",
            "formatter": "plain",
            "queue_size": max(1, _positive_int("EVENTS_QUEUE_SIZE", 10000)),
        },
    },
    "loggers": {
        "sbc.events": {"handlers": ["events"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["stdout"], "level": "ERROR", "propagate": False},
        "sbc": {"handlers": ["stdout"], "level": LOG_LEVEL.upper(), "propagate": False},
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
}

# --- Production hardening (off under DEBUG) -----------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Load balancer and container health checks speak plain http to the task itself.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Sign-in and the self-service portal ---------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/keys/"
LOGOUT_REDIRECT_URL = "login"
# Lifetimes a developer may pick for a key; any above TOKEN_MAX_TTL are not offered.
PORTAL_TTL_CHOICES = env.list("PORTAL_TTL_CHOICES", default=["1d", "7d", "30d", "90d"])
if not PORTAL_TTL_CHOICES or any(
    not (t.strip()[:-1].isdigit() and t.strip()[-1:] in ("m", "h", "d", "w")) for t in PORTAL_TTL_CHOICES
):
    raise ImproperlyConfigured(f"PORTAL_TTL_CHOICES must list lifetimes such as 1d,7d,30d, got {PORTAL_TTL_CHOICES!r}")
PORTAL_MAX_ACTIVE_KEYS = _positive_int("PORTAL_MAX_ACTIVE_KEYS", 20)
# Sign-in lock-out (django-axes) on /accounts/login/ and /admin/login/: after AXES_FAILURE_LIMIT failed sign-ins
# (by default for one username from one client address: core.headers.client_ip, X-Forwarded-For only through
# TRUSTED_PROXIES) they get a 429 page for AXES_COOLOFF_MINUTES (0: until an admin lifts it, in the admin's
# "Access attempts" or with `manage.py axes_reset`). A successful sign-in clears the count.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = max(1, _positive_int("AXES_FAILURE_LIMIT", 5))
_axes_cooloff_minutes = _positive_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=_axes_cooloff_minutes) if _axes_cooloff_minutes else None
AXES_LOCKOUT_PARAMETERS = {
    "username_and_ip": [["username", "ip_address"]],
    "username_or_ip": ["username", "ip_address"],
    "username": ["username"],
    "ip": ["ip_address"],
}[_choice("AXES_LOCKOUT_BY", "username_and_ip", ("username_and_ip", "username_or_ip", "username", "ip"))]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.headers.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ADMIN = False  # sbcproject.lockout registers its pages, with bounded search boxes
# The lock-out's backend comes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# OpenID Connect single sign-on (mozilla-django-oidc): on when OIDC_RP_CLIENT_ID is set.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = _choice("OIDC_RP_SIGN_ALGO", "RS256", ("rs256", "es256", "hs256")).upper()
OIDC_RP_SCOPES = "openid email profile"
# Single sign-on matches accounts by e-mail; it never signs in as a staff or superuser account unless this is on.
OIDC_ALLOW_STAFF_LOGIN = env.bool("OIDC_ALLOW_STAFF_LOGIN", default=False)
SSO_ENABLED = bool(OIDC_RP_CLIENT_ID)
if SSO_ENABLED:
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
        )
        if not globals()[name]
    ]
    if OIDC_RP_SIGN_ALGO != "HS256" and not OIDC_OP_JWKS_ENDPOINT:
        _missing.append("OIDC_OP_JWKS_ENDPOINT")
    if _missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set, so single sign-on also needs {', '.join(_missing)}")
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
        "portal.sso.GatewayOIDCBackend",
    ]
