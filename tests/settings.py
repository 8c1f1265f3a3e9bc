"""Settings for remarket's own test suite (pytest-django)."""

from __future__ import annotations

from pathlib import Path

from example_project.remarket_map import REMARKET as EXAMPLE_REMARKET

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fa", "Persian"), ("vi", "Vietnamese")]

INSTALLED_APPS = [
    # First, so the shop's own wording wins over contrib's for shared strings ("Log out").
    "example_project.shop",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tests.trolley",
    "django_celery_beat",
    "remarket",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # remarket's visitor cookie and click ids (after sessions and authentication).
    "remarket.tracking.middleware.TrackingMiddleware",
]
ROOT_URLCONF = "example_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "example_project.shop.context_processors.basket",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
# The ESP webhooks (example_project/urls.py mounts anymail.urls): HTTP basic auth for all,
# and Mailgun's view also checks each post's HMAC signature with this key.
ANYMAIL = {
    "WEBHOOK_SECRET": "tests-webhook:not-a-secret",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "tests-mailgun-signing-key",
}

REMARKET = EXAMPLE_REMARKET
