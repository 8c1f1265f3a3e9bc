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
REMARKET = remarket_map.REMARKET

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (reads the language cookie/session), before common (URL handling).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# Outgoing mail is written to files so remarket emails can be inspected without an SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = "Remarket Demo Shop <shop@example.com>"
