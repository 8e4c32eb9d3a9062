"""Fieldops settings: everything comes from the environment, with embedded defaults.

Embedded default (no variables set): SQLite under var/, in-memory channel layer, console
SMS/chat/e-mail, tasks run in-process. Production: set DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS, FIELDOPS_PUBLIC_URL and DEBUG=0.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FIELDOPS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


TESTING = "pytest" in sys.modules
DEBUG = env_bool("DEBUG", False)

DEV_SECRET_KEY = "dev-insecure-fieldops-secret-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and not TESTING and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DEBUG is off and SECRET_KEY is the development key. Set SECRET_KEY (or DEBUG=1 for local use)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
FIELDOPS_PUBLIC_URL = os.environ.get("FIELDOPS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [FIELDOPS_PUBLIC_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "strawberry_django",
    "channels",
    "core.accounts",
    "core.company",
    "core.crm",
    "core.catalog",
    "core.workforce",
    "core.bookings",
    "core.sms",
    "core.chat",
    "core.outreach",
    "core.jobdata",
    "core.files",
    "core.sales",
    "core.complaints",
    "core.payroll",
    "core.reviews",
    "core.integrations",
    "realtime",
    "graphql_api",
    "web",
    "conversations.sms",
    "conversations.telegram",
    "config.apps.FieldopsConfig",  # holds manage.py run_schedules
]

MIDDLEWARE = [
    # first, so every response (redirects and refusals of the others included) carries X-Request-ID
    # and is measured; config/observability.py
    "config.observability.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fieldops.sqlite3'}"
# Persistent connections, one per long-lived thread: config.http serves sync views on a fixed pool
# of FIELDOPS_HTTP_THREADS threads instead of Django's thread per request, so connections stay
# bounded (decisions 0009, 0010). Tests close them after each use: pytest-django must be able to
# drop its database while other threads of the test process are idle.
CONN_MAX_AGE = int(os.environ.get("CONN_MAX_AGE", "0" if TESTING else "300"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE,
                                              conn_health_checks=CONN_MAX_AGE > 0)}
IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if IS_SQLITE:
    # WAL + immediate transactions: writers take the lock at BEGIN, so check-then-write
    # (conflict checks, counters) is serialised instead of failing with "database is locked".
    # One writer at a time per process, queued in Python (config/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA synchronous=NORMAL;",  # WAL: once per process, config.apps
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite runs inside the server process: a view never waits on a database server, and writers
# queue for one lock, so more than one view thread only adds GIL and lock hand-offs (measured in
# bench/sms_webhook.py; docs/decisions/0013). A database server's round trips are worth overlapping.
FIELDOPS_HTTP_THREADS = int(os.environ.get("FIELDOPS_HTTP_THREADS", "1" if IS_SQLITE else "8"))
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES:
    DATABASES["default"]["ENGINE"] = "config.postgresql"  # psycopg's C datetime loader (decision 0011)

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
# Uploaded files (core/files): private. The default storage makes no URL; files are served only through
# short-lived signed links checked per viewer (/files/<token>/, decision 0922). FIELDOPS_STORAGE=s3 keeps
# them in an S3-compatible bucket through django-storages (the optional "s3" extra, decision 0923).
MEDIA_ROOT = VAR_DIR / "media"
FIELDOPS_STORAGE = os.environ.get("FIELDOPS_STORAGE", "filesystem")
if FIELDOPS_STORAGE == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("FIELDOPS_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("FIELDOPS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("FIELDOPS_S3_REGION") or None,
            "access_key": os.environ.get("FIELDOPS_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("FIELDOPS_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif FIELDOPS_STORAGE == "filesystem":
    _default_storage = {"BACKEND": "core.files.storage.PrivateFileSystemStorage"}
else:
    raise ImproperlyConfigured("FIELDOPS_STORAGE is 'filesystem' or 's3'.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The largest file accepted per detected type (bytes), and the most pixels an image may have: an image
# claiming more is refused from its header, before decoding (a decompression bomb, decision 0921).
FIELDOPS_FILE_MAX_BYTES = {
    "image": int(os.environ.get("FIELDOPS_FILE_MAX_IMAGE_BYTES", str(12 * 1024 * 1024))),
    "pdf": int(os.environ.get("FIELDOPS_FILE_MAX_PDF_BYTES", str(20 * 1024 * 1024))),
    "signature": 200 * 1024,
}
FIELDOPS_IMAGE_MAX_PIXELS = int(os.environ.get("FIELDOPS_IMAGE_MAX_PIXELS", str(50_000_000)))
FIELDOPS_THUMBNAIL_SIDE = 320
# A file's download link works for this many seconds (GraphQL File.url / thumbnailUrl).
FIELDOPS_FILE_LINK_SECONDS = int(os.environ.get("FIELDOPS_FILE_LINK_SECONDS", "300"))
# A fieldworker's signing link (sent by the bot) works for this many seconds.
FIELDOPS_SIGNING_LINK_SECONDS = int(os.environ.get("FIELDOPS_SIGNING_LINK_SECONDS", str(2 * 3600)))

# --- channels (subscriptions) ---------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ.get(
                "FIELDOPS_CHANNEL_LAYER", "channels_redis.pubsub.RedisPubSubChannelLayer"
            ),
            # FIELDOPS_CHANNEL_PREFIX keeps deployments (or test runs) sharing one Redis apart.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("FIELDOPS_CHANNEL_PREFIX", "asgi")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The cache holds the rate-limit and sign-in throttle counters: shared by every process through Redis
# when there is one (a restart forgets nothing, N processes do not multiply the limits), else local memory.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          # a test run keys its own counters, so runs sharing one Redis never reset each other's
                          "KEY_PREFIX": os.environ.get("FIELDOPS_CACHE_PREFIX",
                                                       f"fieldops-test-{os.getpid()}" if TESTING else "fieldops")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto the server believes
# (uvicorn's forwarded_allow_ips, comma-separated; "*" trusts anyone and is for a proxy-only network).
# From any other peer the client address is the peer's own.
FIELDOPS_TRUSTED_PROXIES = os.environ.get("FIELDOPS_TRUSTED_PROXIES", "127.0.0.1")
# GraphQL over WebSocket (realtime/): graphql-transport-ws only unless the legacy protocol is enabled.
GRAPHQL_WS_LEGACY_PROTOCOL = env_bool("GRAPHQL_WS_LEGACY_PROTOCOL", False)
GRAPHQL_WS_MAX_SUBSCRIPTIONS = int(os.environ.get("GRAPHQL_WS_MAX_SUBSCRIPTIONS", "20"))
GRAPHQL_WS_INIT_TIMEOUT = int(os.environ.get("GRAPHQL_WS_INIT_TIMEOUT", "10"))  # seconds to connection_init
# seconds between re-checks of a running subscription's sign-in (it also ends the moment it expires)
GRAPHQL_WS_RECHECK_SECONDS = int(os.environ.get("GRAPHQL_WS_RECHECK_SECONDS", "60"))
REALTIME_REQUIRE_ORIGIN = env_bool("REALTIME_REQUIRE_ORIGIN", False)  # refuse handshakes without Origin

# --- SMS (Twilio) --------------------------------------------------------------------------
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
# Without a token every webhook is refused; DEBUG and tests get a local one so sms_simulate works.
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "dev-twilio-auth-token" if DEBUG or TESTING else "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "")  # blank: Twilio itself (tests: a fake)
SMS_BACKEND = os.environ.get(
    "SMS_BACKEND",
    "core.sms.backends.LocmemSmsBackend" if TESTING else "core.sms.backends.ConsoleSmsBackend",
)
SMS_STATUS_CALLBACK_URL = os.environ.get("SMS_STATUS_CALLBACK_URL", f"{FIELDOPS_PUBLIC_URL}/webhooks/twilio/status/")
# (a) default carrier behaviour: a bare CANCEL is a carrier opt-out word; (b) the business removed
# CANCEL from its Twilio opt-out list (Advanced Opt-Out): a bare CANCEL is a cancel intent.
SMS_CANCEL_IS_CARRIER_OPT_OUT = env_bool("SMS_CANCEL_IS_CARRIER_OPT_OUT", True)
SMS_REMINDER_HOURS = int(os.environ.get("SMS_REMINDER_HOURS", "24"))

# --- geocoding (addresses -> coordinates, decision 0193) ------------------------------------------
GOOGLE_MAPS_API_KEY = os.environ.get("GOOGLE_MAPS_API_KEY", "")
GOOGLE_MAPS_API_BASE_URL = os.environ.get("GOOGLE_MAPS_API_BASE_URL", "")  # blank: Google (tests: a fake)
# With a key, the Google client; without, the in-memory stand-in (finds only what it is told).
GEOCODER_BACKEND = os.environ.get("GEOCODER_BACKEND") or (
    "core.crm.geocoding.GoogleGeocoder" if GOOGLE_MAPS_API_KEY and not TESTING else "core.crm.geocoding.LocmemGeocoder")
GEOCODER_REGION = os.environ.get("GEOCODER_REGION", "AU")  # the country addresses are read in
GEOCODER_TIMEOUT = float(os.environ.get("GEOCODER_TIMEOUT", "10"))

# --- chat (Telegram bot for fieldworkers) -------------------------------------------------------
TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
TELEGRAM_BOT_USERNAME = os.environ.get("TELEGRAM_BOT_USERNAME", "fieldops_bot").lstrip("@")
# Without a secret every webhook call is refused (403).
TELEGRAM_WEBHOOK_SECRET = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")
TELEGRAM_API_BASE_URL = os.environ.get("TELEGRAM_API_BASE_URL", "")  # blank: api.telegram.org (tests: a fake)
TELEGRAM_WEBHOOK_URL = os.environ.get("TELEGRAM_WEBHOOK_URL", f"{FIELDOPS_PUBLIC_URL}/webhooks/telegram/")
TELEGRAM_MAX_PER_SECOND = float(os.environ.get("TELEGRAM_MAX_PER_SECOND", "25"))  # per process; Bot API: ~30/s
TELEGRAM_MAX_PER_CHAT_PER_SECOND = float(os.environ.get("TELEGRAM_MAX_PER_CHAT_PER_SECOND", "1"))
CHAT_BACKEND = os.environ.get(
    "CHAT_BACKEND", "core.chat.backends.LocmemChatBackend" if TESTING else "core.chat.backends.ConsoleChatBackend",
)
CHAT_LINK_TTL_HOURS = int(os.environ.get("CHAT_LINK_TTL_HOURS", "72"))
# The webhook hands outbound messages to the Tasks API from a background thread, after answering.
CHAT_DELIVER_AFTER_WEBHOOK = env_bool("CHAT_DELIVER_AFTER_WEBHOOK", not TESTING)

# --- website lead capture form (web/leads.py, decision 0161) ----------------------------------
# Origins (scheme://host[:port]) whose pages may post leads: the CORS allow-list of the JSON endpoint
# and of the plain form's cross-site POST. The site's own origin is always allowed. Never "*".
LEAD_FORM_ALLOWED_ORIGINS = [origin.rstrip("/") for origin in env_list("LEAD_FORM_ALLOWED_ORIGINS", [])]
# Attempts per client address / submissions per e-mail address (or mobile): "count/seconds".
LEAD_FORM_RATE_PER_ADDRESS = os.environ.get("LEAD_FORM_RATE_PER_ADDRESS", "10/3600")
LEAD_FORM_RATE_PER_EMAIL = os.environ.get("LEAD_FORM_RATE_PER_EMAIL", "3/3600")
LEAD_FORM_MAX_BYTES = int(os.environ.get("LEAD_FORM_MAX_BYTES", "16384"))  # a larger body is refused (413)
# Captcha adapter by dotted path: web.captcha.NoCaptcha (default, accepts all) or
# web.captcha.SiteVerifyCaptcha (hCaptcha / Turnstile / reCAPTCHA "siteverify" protocol).
LEAD_FORM_CAPTCHA = os.environ.get("LEAD_FORM_CAPTCHA", "web.captcha.NoCaptcha")
LEAD_FORM_CAPTCHA_VERIFY_URL = os.environ.get("LEAD_FORM_CAPTCHA_VERIFY_URL", "")
LEAD_FORM_CAPTCHA_SECRET = os.environ.get("LEAD_FORM_CAPTCHA_SECRET", "")
LEAD_FORM_CAPTCHA_TIMEOUT = float(os.environ.get("LEAD_FORM_CAPTCHA_TIMEOUT", "5"))

# --- e-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Fieldops <no-reply@fieldops.local>")
# Sending domains (core/outreach/mailauth.py, decisions 0640-0642). The backend that DKIM-signs mail
# from a verified domain is core.outreach.mailer.SmtpBackend (Django's SMTP backend otherwise).
# FIELDOPS_EMAIL_KEYS: Fernet keys (comma separated, newest first) that keep the domains' private
# keys, as FIELDOPS_BANK_KEYS does bank details; unset: no domain can be added.
FIELDOPS_EMAIL_KEYS = os.environ.get("FIELDOPS_EMAIL_KEYS", "")
# The DNS servers the records are checked with ("ip" or "ip:port", comma separated); empty: the system's.
EMAIL_DNS_NAMESERVERS = os.environ.get("EMAIL_DNS_NAMESERVERS", "")
EMAIL_DNS_TIMEOUT = float(os.environ.get("EMAIL_DNS_TIMEOUT", "5"))
# The SPF include of the mail provider the SMTP backend hands mail to (v=spf1 include:<this> ~all).
EMAIL_SPF_INCLUDE = os.environ.get("EMAIL_SPF_INCLUDE", "")
# When the provider wants a return-path (bounce) domain: <label>.<domain> CNAME <host>; empty: none asked.
EMAIL_RETURN_PATH_HOST = os.environ.get("EMAIL_RETURN_PATH_HOST", "")
EMAIL_RETURN_PATH_LABEL = os.environ.get("EMAIL_RETURN_PATH_LABEL", "bounces")
# "Check now" by staff: at most this many checks per domain per window ("count/seconds").
EMAIL_DOMAIN_CHECK_RATE = os.environ.get("EMAIL_DOMAIN_CHECK_RATE", "5/3600")
# Outreach (core/outreach): e-mail links, reminders, branding.
OUTREACH_LOGO_URL = os.environ.get("OUTREACH_LOGO_URL", "")  # absolute URL of the logo in e-mails
OUTREACH_LINK_GRACE_HOURS = int(os.environ.get("OUTREACH_LINK_GRACE_HOURS", "72"))  # links live past the end
OUTREACH_LINK_MAX_DAYS = int(os.environ.get("OUTREACH_LINK_MAX_DAYS", "400"))
OUTREACH_REMINDER_HOURS = int(os.environ.get("OUTREACH_REMINDER_HOURS", "24"))
# Answers by e-mail (decision 0614): a booking's e-mails say Reply-To reply+<id>.<mac>@INBOUND_EMAIL_DOMAIN;
# the provider routes that domain to POST /webhooks/email/inbound/, signed with INBOUND_EMAIL_SIGNING_KEY.
# Either left empty in production: no Reply-To, and the webhook answers 404.
INBOUND_EMAIL_DOMAIN = os.environ.get("INBOUND_EMAIL_DOMAIN", "reply.fieldops.local" if DEBUG or TESTING else "")
INBOUND_EMAIL_SIGNING_KEY = os.environ.get("INBOUND_EMAIL_SIGNING_KEY",
                                           "dev-inbound-email-key" if DEBUG or TESTING else "")
INBOUND_EMAIL_MAX_AGE_SECONDS = int(os.environ.get("INBOUND_EMAIL_MAX_AGE_SECONDS", "900"))
INBOUND_EMAIL_MAX_BYTES = int(os.environ.get("INBOUND_EMAIL_MAX_BYTES", str(10 * 1024 * 1024)))

# --- background work ------------------------------------------------------------------------
# Tasks are rows of django-tasks-db's table, written in the transaction that asks for them, and run
# by `manage.py worker` processes (db_worker plus a heartbeat, orphan recovery and the periodic
# jobs; config/worker.py, docs/decisions/0030-0033). FIELDOPS_TASK_BACKEND: "database" (the default),
# "on-commit" (the same rows, run by the committing thread right after commit with the worker's
# own code: the default under tests, decision 0031) or a django-tasks backend's dotted path.
TASK_BACKEND_ALIASES = {"database": "django_tasks_db.DatabaseBackend",
                        "on-commit": "config.tasks.OnCommitDatabaseBackend",
                        "immediate": "django_tasks.backends.immediate.ImmediateBackend"}
_task_backend = os.environ.get("FIELDOPS_TASK_BACKEND") or ("on-commit" if TESTING else "database")
TASKS = {"default": {"BACKEND": TASK_BACKEND_ALIASES.get(_task_backend, _task_backend)}}
# A worker polls for due tasks this often when it found none (seconds), and writes its heartbeat
# every FIELDOPS_WORKER_HEARTBEAT seconds; a worker silent for FIELDOPS_WORKER_LOST seconds is lost:
# the tasks it was running are run again and /readyz fails when no worker is left.
FIELDOPS_WORKER_INTERVAL = float(os.environ.get("FIELDOPS_WORKER_INTERVAL", "0.1"))
FIELDOPS_WORKER_HEARTBEAT = float(os.environ.get("FIELDOPS_WORKER_HEARTBEAT", "5"))
FIELDOPS_WORKER_LOST = float(os.environ.get("FIELDOPS_WORKER_LOST", "30"))
# A task run by this many workers that each vanished while running it is failed, not run again.
FIELDOPS_TASK_MAX_RUNS = int(os.environ.get("FIELDOPS_TASK_MAX_RUNS", "5"))
# Deliveries (e-mail, SMS, chat) that fail for a transient reason are tried again after
# FIELDOPS_RETRY_BASE * 2**(attempt-1) seconds, at most FIELDOPS_RETRY_CAP apart, and marked failed
# after FIELDOPS_RETRY_ATTEMPTS attempts (decision 0034).
FIELDOPS_RETRY_BASE = float(os.environ.get("FIELDOPS_RETRY_BASE", "30"))
FIELDOPS_RETRY_CAP = float(os.environ.get("FIELDOPS_RETRY_CAP", "3600"))
FIELDOPS_RETRY_ATTEMPTS = int(os.environ.get("FIELDOPS_RETRY_ATTEMPTS", "8"))
# Outgoing webhooks (decisions 0060-0062): each attempt waits FIELDOPS_WEBHOOK_TIMEOUT seconds for an
# answer and retries as above; an endpoint whose deliveries all failed for FIELDOPS_WEBHOOK_DISABLE_DAYS
# days, or FIELDOPS_WEBHOOK_DISABLE_AFTER of them in a row, is turned off with the reason. Plain http and
# loopback receivers only with FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK (DEBUG and tests). "Any endpoint active?"
# is remembered per process for FIELDOPS_WEBHOOK_FLAG_TTL seconds over the shared cache.
FIELDOPS_WEBHOOK_TIMEOUT = float(os.environ.get("FIELDOPS_WEBHOOK_TIMEOUT", "10"))
FIELDOPS_WEBHOOK_DISABLE_DAYS = float(os.environ.get("FIELDOPS_WEBHOOK_DISABLE_DAYS", "3"))
FIELDOPS_WEBHOOK_DISABLE_AFTER = int(os.environ.get("FIELDOPS_WEBHOOK_DISABLE_AFTER", "50"))
FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK = env_bool("FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK", DEBUG or TESTING)
FIELDOPS_WEBHOOK_FLAG_TTL = float(os.environ.get("FIELDOPS_WEBHOOK_FLAG_TTL", "0" if TESTING else "5"))
# The periodic jobs (config/schedules.py) are enqueued by the workers, each job once per period
# whatever the number of workers (a ledger row per job and period, decision 0035); off: no worker
# of this deployment enqueues them. Daily jobs use the company's time zone.
FIELDOPS_SCHEDULER = env_bool("FIELDOPS_SCHEDULER", not TESTING)
# Where `manage.py serve` runs background tasks unless --worker says: "thread" (a worker thread in
# each web process), "process" (one child `manage.py worker`) or "off" (workers run elsewhere, as
# the Procfile does). Default: process on SQLite (make serve: measured, decision 0036), off on PostgreSQL.
FIELDOPS_SERVE_WORKER = os.environ.get("FIELDOPS_SERVE_WORKER") or ("process" if IS_SQLITE else "off")
FIELDOPS_MORNING_LIST_HOUR = int(os.environ.get("FIELDOPS_MORNING_LIST_HOUR", "7"))

# --- GraphQL --------------------------------------------------------------------------------
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", DEBUG)
# The GraphiQL page at GET /graphql/: on while developing, off in production unless asked for. With
# introspection off, error messages also stop suggesting names ("Did you mean 'bookings'?").
GRAPHQL_GRAPHIQL = env_bool("GRAPHQL_GRAPHIQL", DEBUG)
GRAPHQL_MAX_DEPTH = int(os.environ.get("GRAPHQL_MAX_DEPTH", "10"))
GRAPHQL_MAX_ALIASES = int(os.environ.get("GRAPHQL_MAX_ALIASES", "15"))
GRAPHQL_MAX_TOKENS = int(os.environ.get("GRAPHQL_MAX_TOKENS", "2000"))
GRAPHQL_MAX_PAGE_SIZE = 100
GRAPHQL_MAX_BODY_BYTES = int(os.environ.get("GRAPHQL_MAX_BODY_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = GRAPHQL_MAX_BODY_BYTES
# Files sent with a GraphQL multipart request (a trading name's logo): the largest file accepted. A
# multipart body may be GRAPHQL_MAX_BODY_BYTES + this long; a file over it is a typed error (decision 0811).
FIELDOPS_UPLOAD_MAX_BYTES = int(os.environ.get("FIELDOPS_UPLOAD_MAX_BYTES", str(1024 * 1024)))
# A CSV file of customers to import (manage.py import_customers, GraphQL importCustomers): the largest
# accepted; a multipart body may be GRAPHQL_MAX_BODY_BYTES + the larger of this and the file limit above.
FIELDOPS_IMPORT_MAX_BYTES = int(os.environ.get("FIELDOPS_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
FIELDOPS_LOGO_MAX_SIDE = int(os.environ.get("FIELDOPS_LOGO_MAX_SIDE", "2000"))  # pixels, each side
# A PDF download link (GraphQL pdfUrl) works for this many seconds (decision 0813).
FIELDOPS_PDF_LINK_SECONDS = int(os.environ.get("FIELDOPS_PDF_LINK_SECONDS", "600"))
# Fernet keys for fieldworkers' bank details, comma separated, newest first; `manage.py
# rotate_bank_keys` re-encrypts under the first (decision 0184). Unset: bank details cannot be stored.
FIELDOPS_BANK_KEYS = os.environ.get("FIELDOPS_BANK_KEYS", "")
# A fieldworker's e-mail verification link works for this many seconds (decision 0182).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("FIELDOPS_VERIFY_LINK_SECONDS", str(3 * 24 * 3600)))
STRAWBERRY_DJANGO = {"MAP_AUTO_ID_AS_GLOBAL_ID": True}

API_TOKEN_TTL_DAYS = int(os.environ.get("API_TOKEN_TTL_DAYS", "30"))

# --- security (production) ------------------------------------------------------------------
if not DEBUG and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- logs, errors, metrics (config/observability.py, docs/decisions/0020-0023) -------------------
# LOG_FORMAT: "json" (one object per line, for a log collector) or "text" (a readable line); both
# carry the request id. Default: text with DEBUG (and under tests), json otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG or TESTING else "json").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {"json": {"()": "core.observability.JsonFormatter"},
                   "text": {"()": "core.observability.TextFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    # one line per task state change is noise; failures are logged at ERROR by the task runner
    "loggers": {"django_tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")},
                # Django's own console handler (DEBUG only) would print its records a second time,
                # without the request id: they go to the root handler like everyone's
                "django": {"handlers": []}},
}
# /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; unset: no such page (404).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Errors to Sentry (config/sentry.py); the SDK itself reads SENTRY_ENVIRONMENT and SENTRY_RELEASE.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")) or None
if SENTRY_DSN and not TESTING:
    from config import sentry

    sentry.init(SENTRY_DSN, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)
