"""Settings for banli, read from the environment with safe defaults.

BANLI_DEBUG=1 turns debugging on; DATABASE_URL=postgres://... switches from the embedded
SQLite database (under var/) to PostgreSQL; BANLI_SECRET_KEY must be set in production.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("BANLI_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("BANLI_DEBUG", False)
SECRET_KEY = os.environ.get("BANLI_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("BANLI_PRODUCTION", False):
        raise RuntimeError("BANLI_SECRET_KEY must be set when BANLI_PRODUCTION=1")
    SECRET_KEY = "banli-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("BANLI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "banli.core",
    "banli.bodies",
    "banli.items",
    "banli.handling",
    "banli.supervision",
    "banli.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "banli.core.middleware.SiteLanguageFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "banli.core.limits.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "banli.bodies.middleware.CurrentBodyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "banli.core.middleware.DomainErrorMiddleware",
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
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_sqlite_path}",
        conn_max_age=int(os.environ.get("BANLI_CONN_MAX_AGE", "0")),
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
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

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE = env_bool("BANLI_PRODUCTION", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "banli": {"handlers": ["console"], "level": os.environ.get("BANLI_LOG_LEVEL", "INFO")},
    },
}

BANLI_SITE_NAME = _("banli")
