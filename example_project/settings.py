"""Settings for the remarket demo shop.

Development-oriented defaults; everything sensitive can be overridden from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

from example_project import remarket_map

# The repository root, so runtime state lands in <repo>/var next to manage.py.
BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state (database, media, mail); REMARKET_DEMO_VAR moves it, e.g. for tests.
VAR_DIR = Path(os.environ.get("REMARKET_DEMO_VAR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    """Read a boolean flag such as DJANGO_DEBUG=0/1/true/false."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DJANGO_DEBUG", True)

# Insecure on purpose: this is a local demo. Set DJANGO_SECRET_KEY anywhere else.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-remarket-demo-shop-do-not-use-in-production"
)

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS += [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()
]

INSTALLED_APPS = [
    # First, so the shop's own wording wins over contrib's for shared strings ("Log out").
    "example_project.shop",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "remarket",
]

# remarket reads the shop's own models through this field map (settings only, no code).
REMARKET = {**remarket_map.REMARKET, "SHOP_NAME": "Remarket Coffee"}
if _env_bool("REMARKET_DEMO_FAST", False):
    # Set by demo.py for its own processes: send at any hour and without a per-person cap,
    # so a visitor trying the demo twice in an evening sees every reminder.
    REMARKET |= {
        "QUIET_HOURS": None,
        "FREQUENCY_CAP": None,
        "FROM_EMAIL": "Remarket Coffee <hello@coffee.example>",
    }

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (reads the language cookie/session), before common (URL handling).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # remarket's visitor cookie and click ids (after sessions and authentication).
    "remarket.tracking.middleware.TrackingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "example_project.shop.context_processors.basket",
            ],
        },
    },
]

# SQLite keeps the demo dependency-free; REMARKET_DEMO_DB points it at another file.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("REMARKET_DEMO_DB") or VAR_DIR / "demo.sqlite3",
        # Web server, Celery worker and beat all write to it: wait for locks instead of
        # failing, take the write lock when a transaction starts (no upgrade deadlocks) and
        # let readers run alongside the writer (WAL). transaction_mode, init_command: Django 5.1+.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fa", "فارسی"),
    ("vi", "Tiếng Việt"),
]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# Celery (example_project/celery.py): beat reads remarket's tick schedule from the database
# (manage.py remarket_install_schedule). Without REDIS_URL the broker is embedded: message
# files in var/broker, polled by the worker, so the demo needs no server.
CELERY_BROKER_URL = os.environ.get("REDIS_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder for both directions: producers (beat) write where the worker reads.
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        # Kept only with store_processed=True (off: consumed messages are deleted).
        "processed_folder": str(_BROKER_DIR / "processed"),
        # Exchange bindings; kombu's default is a "control" folder in the current directory.
        "control_folder": str(_BROKER_DIR / "control"),
    }
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# Outgoing mail is written to files so remarket emails can be inspected without an SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = "Remarket Demo Shop <shop@example.com>"

# ESP webhooks at /anymail/<esp>/tracking/ (remarket records deliveries, opens, bounces):
# the ESP posts with this "user:password" as HTTP basic auth. Set your own in production.
ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get(
        "ANYMAIL_WEBHOOK_SECRET", "remarket-demo:insecure-webhook-secret"
    ),
}
