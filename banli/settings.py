"""Settings for banli, read from the environment with safe defaults.

BANLI_DEBUG=1 turns debugging on; DATABASE_URL=postgres://... switches from the embedded
SQLite database (under var/) to PostgreSQL; BANLI_SECRET_KEY must be set in production.
"""

import datetime as dt
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "banli.core",
    "banli.bodies",
    "banli.accounts",
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
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
# Behind reverse proxies: how many of them stand in front of banli and append to
# X-Forwarded-For. 0 (the default) trusts no header and uses the connection's address;
# set it only when every request reaches banli through that many proxies.
BANLI_TRUSTED_PROXIES = int(os.environ.get("BANLI_TRUSTED_PROXIES", "0"))

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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and `runserver` find app static files without collectstatic.
WHITENOISE_USE_FINDERS = True
# Uploads live outside any web root and are served only through permission-checked views.
MEDIA_ROOT = Path(os.environ.get("BANLI_MEDIA_ROOT", VAR_DIR / "uploads"))
UPLOAD_MAX_BYTES = int(os.environ.get("BANLI_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

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
