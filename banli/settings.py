"""Settings for banli, read from the environment with safe defaults.

BANLI_DEBUG=1 turns debugging on; DATABASE_URL=postgres://... switches from the embedded
SQLite database (under var/) to PostgreSQL. BANLI_PRODUCTION=1 makes the deployment's
choices mandatory: a real BANLI_SECRET_KEY, BANLI_ALLOWED_HOSTS, secure cookies, HSTS and the
HTTPS redirect. docs/security.md lists every BANLI_* variable a deployment sets.
"""

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("BANLI_VAR_DIR", Path.cwd() / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# ---------------------------------------------------------------------------------------------
# Production or not, and the secret key (docs/security.md, "Safe defaults")

BANLI_PRODUCTION = env_bool("BANLI_PRODUCTION", False)
DEBUG = env_bool("BANLI_DEBUG", False)
if BANLI_PRODUCTION and DEBUG:
    # The debug pages show settings, SQL and local variables (names, phone numbers).
    raise ImproperlyConfigured("BANLI_DEBUG=1 cannot be combined with BANLI_PRODUCTION=1")

# Keys that were published with banli's code: anyone could sign sessions with them.
PUBLISHED_SECRET_KEYS = frozenset({"banli-insecure-development-key-do-not-use-in-production"})
SECRET_KEY_MIN_LENGTH = 50  # Django's own deploy check (security.W009) asks for 50


def _usable_secret_key(key: str) -> bool:
    return (
        len(key) >= SECRET_KEY_MIN_LENGTH
        and len(set(key)) >= 5
        and key not in PUBLISHED_SECRET_KEYS
        and not key.startswith("django-insecure-")
    )


def _development_secret_key(path: Path) -> str:
    """A key of this installation, generated once into var/ (mode 0600) and reused, so that
    sessions survive a restart and no key in the code signs anything."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if _usable_secret_key(key):
        return key
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        # A hard link publishes the finished file atomically and fails if another process
        # (a second worker, the test runner) won the race: then both use the winner's key.
        os.link(temporary, path)
    except FileExistsError:
        if not _usable_secret_key(path.read_text().strip()):
            os.replace(temporary, path)  # an empty or short file: replace it
    except OSError:
        os.replace(temporary, path)  # a file system without hard links
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("BANLI_SECRET_KEY", "").strip()
if BANLI_PRODUCTION:
    # Whatever else is set: production never falls back to a generated or published key.
    if not SECRET_KEY:
        raise ImproperlyConfigured("BANLI_SECRET_KEY must be set when BANLI_PRODUCTION=1")
    if not _usable_secret_key(SECRET_KEY):
        raise ImproperlyConfigured(
            f"BANLI_SECRET_KEY must be a random string of at least {SECRET_KEY_MIN_LENGTH} "
            "characters, not a published or example key (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')"
        )
elif not SECRET_KEY:
    SECRET_KEY = _development_secret_key(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list(
    "BANLI_ALLOWED_HOSTS", "" if BANLI_PRODUCTION else "127.0.0.1,localhost,testserver"
)
if BANLI_PRODUCTION and not ALLOWED_HOSTS:
    # Otherwise every request would be refused with a 400 and nothing would say why.
    raise ImproperlyConfigured(
        "BANLI_ALLOWED_HOSTS must name the site's host names when BANLI_PRODUCTION=1"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "banli.core",
    "banli.bodies",
    "banli.accounts",
    "banli.notices",
    "banli.delivery",
    "banli.items",
    "banli.handling",
    "banli.supervision",
    "banli.followup",
    "banli.assessment",
    "banli.reminders",
    "banli.reports",
    "banli.desk",
    "banli.batch",
    "banli.demo",
    "banli.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files keep their own caching; every page gets the rest.
    "banli.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "banli.core.middleware.SiteLanguageFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "banli.core.limits.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "banli.core.middleware.SecurityContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "banli.bodies.middleware.CurrentBodyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "banli.accounts.middleware.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "banli.core.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "banli.urls"
WSGI_APPLICATION = "banli.wsgi.application"

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
                "banli.navigation.navigation",
            ],
        },
    },
]

# The embedded default is SQLite in WAL mode (see banli.core.apps for the pragma);
# DATABASE_URL=postgres://user@host:5432/name moves the same code to PostgreSQL.
_sqlite_path = VAR_DIR / "banli.sqlite3"
VAR_DIR.mkdir(parents=True, exist_ok=True)
# Persistent connections, checked before reuse: a new PostgreSQL connection costs about 13 ms
# of CPU, which halved the throughput of a trivial page (docs/benchmark.md). Each web worker
# keeps one connection, so PostgreSQL's max_connections must exceed the workers of every
# server (or put PgBouncer in between and set BANLI_CONN_MAX_AGE=0).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_sqlite_path}",
        conn_max_age=env_int("BANLI_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles a page's query when its estimated cost is high, which on a
    # body's list took 113 of 211 ms: the pages' queries are short, JIT never pays off.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    # Memory per sort or bitmap: at PostgreSQL's 4 MB a search's bitmap of a body's matches
    # went lossy and rechecked 27,000 vectors read from TOAST; exact, it rechecked none.
    _work_mem = os.environ.get("BANLI_PG_WORK_MEM", "32MB").strip()
    _pg_options["options"] = " ".join(
        part
        for part in (_pg_options.get("options", ""), "-c jit=off", f"-c work_mem={_work_mem}")
        if part
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # OWASP ASVS 2.1.1: at least 12 characters.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # What Chinese users pick that the English list misses: zhangwei123, 1qaz2wsx, woaini1314.
    {"NAME": "banli.accounts.validators.ChinesePatternValidator"},
    # The body's own code and name, and the username, do not make a password.
    {"NAME": "banli.accounts.validators.OwnContextValidator"},
]

# django-axes is the first backend: a locked-out account or address is refused before the
# password is checked (docs/authentication.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Ten failures in a row lock the account (whatever the address) and, separately, the address
# (whatever the account), for BANLI_LOCKOUT_MINUTES; an admin unlocks sooner in the admin
# (axes' access attempts), on /account/support/, or with `banli axes_reset_username NAME`.
AXES_FAILURE_LIMIT = int(os.environ.get("BANLI_LOGIN_FAILURE_LIMIT", "10"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("BANLI_LOCKOUT_MINUTES", "30")))
# "In a row": a successful login starts the count again, and attempts during a lockout
# neither count nor stretch it (else anyone could keep a colleague locked out for ever).
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "banli.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "banli.accounts.clients.client_address"
# Never stored in axes' records of failed attempts: the code of the second step.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token", "csrfmiddlewaretoken"]

# Sessions: an absolute lifetime from the login (ASVS 3.3.2), an idle timeout per body
# (BodyRules; BANLI_ADMIN_IDLE_MINUTES for accounts that belong to no body) and the cookie
# gone with the browser.
BANLI_SESSION_MAX_HOURS = int(os.environ.get("BANLI_SESSION_MAX_HOURS", "12"))
BANLI_ADMIN_IDLE_MINUTES = int(os.environ.get("BANLI_ADMIN_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = BANLI_SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A reset link an admin hands over stays valid this long (and only until it is used).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("BANLI_RESET_LINK_HOURS", "24")) * 3600
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = os.environ.get("BANLI_OTP_ISSUER", "banli")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Several web servers (docs/scaling.md): BANLI_REDIS_URL gives them one cache and one session
# store (sessions stay in the database too, so a restarted Redis logs nobody out); without it
# each process caches for itself, which is right for one server since nothing banli shares
# between requests lives in a cache. BANLI_STORAGE=s3 keeps uploads in S3-compatible storage
# (pip install 'banli[s3]'); a shared folder needs only BANLI_MEDIA_ROOT.
REDIS_URL = os.environ.get("BANLI_REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("BANLI_CACHE_PREFIX", "banli"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
if os.environ.get("BANLI_STORAGE", "").strip().lower() == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("BANLI_S3_BUCKET", "banli"),
            "endpoint_url": os.environ.get("BANLI_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("BANLI_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("BANLI_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("BANLI_S3_REGION") or None,
            # Uploads are private: served only through the permission-checked views.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Tests and `runserver` find app static files without collectstatic.
WHITENOISE_USE_FINDERS = True
# Uploads live outside any web root and are served only through permission-checked views.
MEDIA_ROOT = Path(os.environ.get("BANLI_MEDIA_ROOT", VAR_DIR / "uploads"))
UPLOAD_MAX_BYTES = int(os.environ.get("BANLI_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# A whole request (a form with several files), refused with 413 from its Content-Length
# before its body is read (banli.core.limits); the reverse proxy should enforce the same.
REQUEST_MAX_BYTES = int(
    os.environ.get("BANLI_REQUEST_MAX_BYTES", str(UPLOAD_MAX_BYTES * 5 + 1024 * 1024))
)
# The form fields without the files (a long motion is well under 1 MB of text), and the size
# above which an uploaded file is spooled to a temporary file rather than kept in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = int(os.environ.get("BANLI_UPLOAD_MAX_FILES", "20"))
# Office files with VBA macros or ActiveX controls (refused unless a deployment needs them).
UPLOAD_ALLOW_MACROS = env_bool("BANLI_UPLOAD_ALLOW_MACROS", False)
# A .docx/.xlsx is a zip: what it may unpack to, in bytes, parts and per-part ratio.
UPLOAD_ZIP_MAX_BYTES = 100 * 1024 * 1024
UPLOAD_ZIP_MAX_ENTRIES = 2000
UPLOAD_ZIP_MAX_RATIO = 200
# The optional virus scanner: clamd on a Unix socket or host:port. When configured and not
# answering, uploads are refused unless BANLI_CLAMD_FAIL_OPEN is set.
CLAMD_SOCKET = os.environ.get("BANLI_CLAMD_SOCKET", "")
CLAMD_HOST = os.environ.get("BANLI_CLAMD_HOST", "")
CLAMD_PORT = int(os.environ.get("BANLI_CLAMD_PORT", "3310"))
CLAMD_TIMEOUT = float(os.environ.get("BANLI_CLAMD_TIMEOUT", "30"))
CLAMD_FAIL_OPEN = env_bool("BANLI_CLAMD_FAIL_OPEN", False)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# ---------------------------------------------------------------------------------------------
# Transport, cookies and headers (docs/security.md, "Behind a reverse proxy")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not from the cookie
SECURE = BANLI_PRODUCTION
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("BANLI_CSRF_TRUSTED_ORIGINS")
# Only a proxy that sets these headers itself (and strips a client's) may be trusted with
# them: otherwise any client could claim to have come over HTTPS or from another address.
BANLI_BEHIND_PROXY = env_bool("BANLI_BEHIND_PROXY", False)
BANLI_PROXY_HOPS = env_int("BANLI_PROXY_HOPS", 1)  # proxies that append to X-Forwarded-For
if BANLI_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if SECURE:
    # One year, every subdomain; an intranet terminating TLS elsewhere may turn the redirect
    # off (BANLI_SSL_REDIRECT=0) or shorten HSTS while trying HTTPS out (BANLI_HSTS_SECONDS).
    SECURE_SSL_REDIRECT = env_bool("BANLI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("BANLI_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BANLI_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("BANLI_HSTS_PRELOAD", False)
# Preloading is a submission to the browsers' built-in lists that only the owner of the whole
# domain can decide (and hardly ever undo); banli does not opt a government domain in for it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The list indexes INCLUDE the visibility columns for PostgreSQL's index-only counts
    # (items.models); SQLite has no INCLUDE and builds them without, as intended.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# Content-Security-Policy sent by banli.core.middleware.SecurityHeadersMiddleware: no inline
# scripts or styles anywhere, nothing from other origins (an intranet has no CDN anyway).
BANLI_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if os.environ.get("BANLI_CSP_REPORT_URI"):
    BANLI_CSP["report-uri"] = [os.environ["BANLI_CSP_REPORT_URI"]]
# Report-only while trying a new policy out: the browser reports and blocks nothing.
BANLI_CSP_REPORT_ONLY = env_bool("BANLI_CSP_REPORT_ONLY", False)
# Browser features no page of banli uses; the public pages may one day ask for the camera.
BANLI_PERMISSIONS_POLICY = os.environ.get(
    "BANLI_PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=()",
)

# ---------------------------------------------------------------------------------------------
# Logging: errors with tracebacks and the security events go to stderr and/or a file

LOG_LEVEL = os.environ.get("BANLI_LOG_LEVEL", "INFO").upper()
LOG_TO_STDERR = env_bool("BANLI_LOG_TO_STDERR", True)
# A relative name is under var/ (BANLI_LOG_FILE=banli.log -> var/banli.log).
LOG_FILE = os.environ.get("BANLI_LOG_FILE", "").strip()
LOG_FILE_MAX_BYTES = env_int("BANLI_LOG_MAX_BYTES", 10 * 1024 * 1024)
LOG_FILE_BACKUPS = env_int("BANLI_LOG_BACKUPS", 10)
_log_handlers: dict[str, dict] = {}
if LOG_TO_STDERR:
    _log_handlers["stderr"] = {"class": "logging.StreamHandler", "formatter": "plain"}
if LOG_FILE:
    _log_path = VAR_DIR / LOG_FILE
    _log_path.parent.mkdir(parents=True, exist_ok=True)
    _log_handlers["file"] = (
        {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(_log_path),
            "maxBytes": LOG_FILE_MAX_BYTES,
            "backupCount": LOG_FILE_BACKUPS,
            "encoding": "utf-8",
            "formatter": "plain",
        }
        # Several worker processes must not rotate one file each: BANLI_LOG_MAX_BYTES=0 leaves
        # rotation to logrotate, and the handler reopens the file it moved.
        if LOG_FILE_MAX_BYTES > 0
        else {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(_log_path),
            "encoding": "utf-8",
            "formatter": "plain",
        }
    )
_to = list(_log_handlers)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}
    },
    "handlers": _log_handlers,
    "loggers": {
        # 5xx with their traceback (Django logs them before handler500 renders the page);
        # 4xx are warnings there, and the ones that matter are security events below.
        "django.request": {"handlers": _to, "level": "ERROR", "propagate": False},
        # Refused hosts, CSRF failures, suspicious file names and sessions.
        "django.security": {"handlers": _to, "level": "WARNING", "propagate": False},
        "banli": {"handlers": _to, "level": LOG_LEVEL, "propagate": False},
        # Every login, failure, lockout, denial, export and admin action (core.security).
        "banli.security": {"handlers": _to, "level": "INFO", "propagate": False},
    },
}

BANLI_SITE_NAME = _("banli")

# ---------------------------------------------------------------------------------------------
# Background work and delivery (banli.delivery; docs/architecture.md, "Delivery and the worker")
#
# Tasks use the API of Django's tasks framework (the django-tasks backport). The embedded
# default is a queue in the database (django-tasks-db), worked by `banli worker`, which
# `make run` starts beside the web server: no extra server. BANLI_TASKS=rq moves the same
# tasks to RQ on Redis (BANLI_RQ_URL, else BANLI_REDIS_URL, else the local Redis), with as
# many `banli worker` processes as wanted.
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
BANLI_TASKS = os.environ.get("BANLI_TASKS", "db").strip().lower() or "db"
if BANLI_TASKS == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        "default": {
            "URL": os.environ.get("BANLI_RQ_URL", "").strip()
            or REDIS_URL
            or "redis://127.0.0.1:6379/0",
            "DEFAULT_TIMEOUT": env_int("BANLI_TASK_TIMEOUT", 1800),
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif BANLI_TASKS == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured(f"BANLI_TASKS must be db or rq, not {BANLI_TASKS!r}")

# Links in e-mail and SMS point here (the address people open the site at).
BANLI_SITE_URL = os.environ.get("BANLI_SITE_URL", "http://127.0.0.1:8000").strip()
# E-mail through Django's mail backends: SMTP when BANLI_EMAIL_HOST is set, else files under
# var/mail/ (one per message, to read what would have been sent); tests use locmem.
EMAIL_HOST = os.environ.get("BANLI_EMAIL_HOST", "").strip()
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("BANLI_EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("BANLI_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("BANLI_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("BANLI_EMAIL_TLS", False)
    EMAIL_USE_SSL = env_bool("BANLI_EMAIL_SSL", False)
    EMAIL_TIMEOUT = env_int("BANLI_EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("BANLI_EMAIL_FROM", "banli@localhost")
# SMS: a dotted path to a backend of banli.delivery.sms. The default only logs; the JSON
# gateway needs BANLI_SMS_GATEWAY_URL and BANLI_SMS_GATEWAY_TOKEN.
BANLI_SMS_BACKEND = os.environ.get("BANLI_SMS_BACKEND", "banli.delivery.sms.LoggingBackend")
BANLI_SMS_GATEWAY_URL = os.environ.get("BANLI_SMS_GATEWAY_URL", "").strip()
BANLI_SMS_GATEWAY_TOKEN = os.environ.get("BANLI_SMS_GATEWAY_TOKEN", "").strip()
# A failed send is retried after these delays (seconds, the last repeating) and ends as
# failed after BANLI_DELIVERY_MAX_ATTEMPTS; a claim older than the lease (a worker that
# died while sending) is marked failed, never resent automatically.
BANLI_DELIVERY_MAX_ATTEMPTS = env_int("BANLI_DELIVERY_MAX_ATTEMPTS", 5)
BANLI_DELIVERY_BACKOFF_SECONDS = [
    int(part) for part in env_list("BANLI_DELIVERY_BACKOFF_SECONDS", "60,300,1500,7500")
]
BANLI_DELIVERY_LEASE_SECONDS = env_int("BANLI_DELIVERY_LEASE_SECONDS", 900)
