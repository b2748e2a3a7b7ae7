"""Settings, read from the environment.

The embedded default (no variables set, DJANGO_DEBUG=1 from `make run`) is SQLite and no broker.
Production sets DATABASE_URL (PostgreSQL), REDIS_URL and DJANGO_SECRET_KEY; with DEBUG off a missing
secret or broker stops start-up instead of degrading silently. Every variable is listed in README.md.
"""

import datetime
from pathlib import Path

import dj_database_url
from csp import constants as csp_source
from django.core.exceptions import ImproperlyConfigured

from tracker.env import env_bool, env_int, env_list, env_optional, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

if DEBUG:
    # Only ever used on a developer's machine; production refuses to start without its own key.
    SECRET_KEY = env_str(
        "DJANGO_SECRET_KEY", default="insecure-development-key-never-used-in-production"
    )
else:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "simple_history",
    "pgtrigger",
    "phonenumber_field",
    "patients",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the signed-in user on every history row written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lock-out response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user or address is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
ASGI_APPLICATION = "tracker.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite file by default; DATABASE_URL (postgres://user:pass@host:5432/name) for PostgreSQL.
SQLITE_PATH = BASE_DIR / env_str("SQLITE_PATH", default="db.sqlite3")
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the embedded dispatcher writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The worklist's covering indexes carry INCLUDE columns for PostgreSQL's index-only scans
    # (patients/models, migration 0005); SQLite builds them on their key columns alone, which is
    # all the embedded default needs, so its warning that the extra columns are ignored is noise.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT compilation: it pays off for long analytical scans, while this workload's statements
    # are short and indexed. At 100,000 infants it was 136 ms of the missed-dose job's 194 ms for
    # a query that found no row (docs/BENCHMARKS.md, "What changed").
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "patients.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("tr", "Türkçe")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Day-month-year in English too (tracker/formats/en); Turkish uses Django's own formats.
FORMAT_MODULE_PATH = ["tracker.formats"]
# Stored times are UTC; each clinic and each guardian carries its own zone for display and planning.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", default="staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In development and tests files are served from their source folders; production serves the
# collected, hashed copies from STATIC_ROOT (`manage.py collectstatic`).
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "web:sign-in"
# The front door sends each user on to their own part: worklist, portal or admin.
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "web:sign-in"

# Redis: the Celery broker and the shared cache. Optional on the embedded default, required in
# production, where the reminder pipeline depends on it.
REDIS_URL = env_optional("REDIS_URL")
if not DEBUG and not REDIS_URL and not env_bool("ALLOW_NO_REDIS", default=False):
    raise ImproperlyConfigured("REDIS_URL is required when DJANGO_DEBUG is off.")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "redis://127.0.0.1:6379/0"
# Task results would copy return values into Redis; tasks take and return ids only, and nothing
# reads their results, so none are stored.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {  # UTC intervals; beat only ticks, the rows are the schedule
    "reminders-dispatch": {
        "task": "patients.tasks.dispatch_tick",
        # Every 5 s: a reminder is claimed at most 5 s after it falls due, whichever second beat
        # started on. An idle tick is one index probe (`message_due_pending`); a tick that finds
        # a backlog queues its own follow-up (patients/tasks.py), so the interval bounds only the
        # wait before the first claim; with 50,000 reminders falling due at once a 10 s interval
        # spent a sixth of the minute within which the last of them must go out
        # (docs/BENCHMARKS.md). Expires before the next tick (patients.tasks.TICK_EXPIRES).
        "schedule": 5.0,
        "options": {"expires": 4},
    },
    "reminders-reap": {
        "task": "patients.tasks.reap_stuck_messages",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    "doses-mark-missed": {
        "task": "patients.tasks.mark_missed_doses",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    "alerts-refresh": {
        "task": "patients.tasks.refresh_alerts",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "infant-counts-fold": {
        "task": "patients.tasks.fold_infant_counts",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
}

# Open-ended and lifelong phases are planned this many months ahead; a periodic job extends them.
PLANNING_HORIZON_MONTHS = env_int("PLANNING_HORIZON_MONTHS", default=12)

# Jobs the embedded background process (`manage.py run_dispatcher`) runs on each tick when no
# broker is used; the same service functions Celery beat ticks in production.
EMBEDDED_JOBS: list[str] = [
    "patients.services.dispatch.dispatch_due",
    "patients.services.dispatch.reap_stuck_now",
    # The same task functions beat runs, called in-process (they take no arguments).
    "patients.tasks.mark_missed_doses",
    "patients.tasks.refresh_alerts",
]
EMBEDDED_TICK_SECONDS = env_int("EMBEDDED_TICK_SECONDS", default=30)

# Reminder channels (patients/notifications). SMS goes to the console by default; set
# SMS_BACKEND to the provider adapter and its credentials in production.
NOTIFICATION_BACKENDS = {
    "sms": env_str("SMS_BACKEND", default="patients.notifications.sms.ConsoleSmsBackend"),
    "email": "patients.notifications.email.DjangoEmailBackend",
}
SMS_FILE_PATH = env_str("SMS_FILE_PATH", default=str(BASE_DIR / "sms-outbox.jsonl"))
SMS_PROVIDER_ACCOUNT = env_str("SMS_PROVIDER_ACCOUNT", default="")
SMS_PROVIDER_TOKEN = env_str("SMS_PROVIDER_TOKEN", default="")
SMS_PROVIDER_SENDER = env_str("SMS_PROVIDER_SENDER", default="")
SMS_PROVIDER_BASE_URL = env_str("SMS_PROVIDER_BASE_URL", default="")

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="clinic@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", default="TR")

# ================================================================================================
# Security (issue #5): sign-in throttling, transport, cookies, headers, content security policy and
# request size limits. Production (DEBUG off) is secure by default; only the embedded default,
# which serves plain HTTP on loopback, relaxes transport and cookies.
# ================================================================================================

# Sign-in throttling (django-axes). Failures are counted per user name (from any address) and per
# address (for any user name) as two separate counters, so a password guessed from many addresses
# and many user names tried from one address are both stopped. The lock lifts by itself after the
# cool-off; a successful sign-in clears both counters.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A refused attempt during a lock-out does not restart the cool-off, so the rightful user gets back
# in at a predictable time even while someone keeps hammering the account.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The same peer address the access log records: X-Forwarded-For is whatever the client typed, and
# trusting it would let an attacker pick a fresh "address" for every guess.
AXES_CLIENT_IP_CALLABLE = "patients.services.audit.client_address"
# The sign-in page answers a lock-out with a page of its own (in the reader's language, with the
# minutes left and the way to a new password) rather than axes' line of English text.
AXES_LOCKOUT_CALLABLE = "patients.web.auth.locked_out"
# Password-reset requests (django-ratelimit, counted in the cache, so shared by every gunicorn
# worker through Redis in production): as many an hour from one address as sign-in attempts before
# a lock-out, and fewer links an hour to one e-mail address, enough for a lost first e-mail.
PASSWORD_RESET_RATE_PER_ADDRESS = env_str("PASSWORD_RESET_RATE_PER_ADDRESS", default="5/h")
PASSWORD_RESET_RATE_PER_EMAIL = env_str("PASSWORD_RESET_RATE_PER_EMAIL", default="3/h")

# Transport. HSTS and the HTTPS redirect are on in production; the redirect may be switched off
# when the TLS proxy in front of gunicorn redirects itself (README, Production).
SECURE_SSL_REDIRECT = False if DEBUG else env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", default=31536000)
# Off by default: the tracker is often one host among a hospital's, and includeSubDomains would
# force HTTPS on sibling hosts the clinic does not control.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = False
# The TLS-terminating proxy sets this header; gunicorn is never exposed without it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Cookies. In production the session and CSRF cookies travel over HTTPS only, and that cannot be
# configured away: a variable that tries is refused at start-up rather than silently ignored.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
if not DEBUG:
    for _cookie_setting in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        if not env_bool(_cookie_setting, default=True):
            raise ImproperlyConfigured(
                f"{_cookie_setting} cannot be turned off when DJANGO_DEBUG is off: patient "
                "records must never travel in a cookie sent over plain HTTP."
            )
SESSION_COOKIE_HTTPONLY = True
# The CSRF cookie stays readable by the page: the API's Swagger UI reads it to send the token with
# "Try it out" requests. It carries no session and is useless without the session cookie.
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A clinic working day; a shared ward computer does not stay signed in overnight.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE_SECONDS", default=8 * 60 * 60)

# Response headers (django.middleware.security and clickjacking).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4). Everything from this origin only, and no inline script
# or style anywhere: the admin needs none. A page that needs more (the API's Swagger UI) widens the
# policy on that view alone with csp.decorators.csp_update, never here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_source.SELF],
        "script-src": [csp_source.SELF],
        "style-src": [csp_source.SELF],
        "img-src": [csp_source.SELF],
        "font-src": [csp_source.SELF],
        "connect-src": [csp_source.SELF],
        "object-src": [csp_source.NONE],
        "base-uri": [csp_source.NONE],
        "frame-ancestors": [csp_source.NONE],
        "form-action": [csp_source.SELF],
    }
}

# Request size limits. 2.5 MiB of form data covers the largest form in the product (a clinic's LMS
# growth table pasted into the admin, about 1 MB for the full WHO tables); bigger files spill to a
# temporary file rather than memory. The field count is raised from Django's 1,000 because the
# admin posts every row of a long treatment course (planned doses and administrations) and of a
# clinic's holidays as inline forms; 10,000 still bounds the work one request can cause.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# ================================================================================================
# End of the security block.
# ================================================================================================

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
}

# --- REST API (patients/api) ----------------------------------------------------------------------
# Extends the REST_FRAMEWORK above (any other key set there is kept). Token authentication comes
# first so that a request without credentials is answered 401 with a WWW-Authenticate header;
# browsers use the session.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "patients.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Model validation errors raised by the services become field-level 400s.
    "EXCEPTION_HANDLER": "patients.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "B12 infant follow-up API",
    "DESCRIPTION": (
        "The follow-up record of infants treated for vitamin B12 deficiency: visits, growth, "
        "labs, imaging, development, treatment and reminders. Every read is scoped to the "
        "caller (staff and leads: their clinics; guardians: their own children's schedule and "
        "their own reminders) and logged; records are voided with a reason, never deleted."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Separate request and response components, so read-only fields are never asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    # The documentation's scripts and styles are served from this server, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "patients.api.schema.describe_path_ids",
    ],
    # Choice sets that share a field name (status, severity, ...) get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "LabUnitEnum": "patients.models.labs.LabUnit",
        "DoseUnitEnum": "patients.models.treatment.DoseUnit",
        "PlannedDoseStatusEnum": "patients.models.treatment.PlannedDoseStatus",
        "CourseStatusEnum": "patients.models.treatment.CourseStatus",
        "ScoreStatusEnum": "patients.models.interpretation.ScoreStatus",
        "MessageStatusEnum": "patients.models.reminders.MessageStatus",
        "FindingSeverityEnum": "patients.models.imaging.Severity",
        "AdverseEventSeverityEnum": "patients.models.treatment.AdverseEventSeverity",
        "AlertSeverityEnum": "patients.models.interpretation.AlertSeverity",
    },
}
