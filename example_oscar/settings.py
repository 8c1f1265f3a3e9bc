"""Settings of the Oscar example: django-oscar's own apps, with remarket reading them.

Everything remarket needs is the ``REMARKET`` block at the end: no field map, the Oscar
adapter reads Oscar's models itself. ``make demo-oscar`` runs it on SQLite in var/oscar.
"""

from __future__ import annotations

import os
from pathlib import Path

from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403  (Oscar's settings are meant to be star-imported)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REMARKET_OSCAR_VAR") or BASE_DIR / "var" / "oscar")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "oscar-demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
SITE_ID = 1

INSTALLED_APPS = [*OSCAR_APPS, "remarket"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "example_oscar.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("REMARKET_OSCAR_DB") or VAR_DIR / "oscar.sqlite3",
    }
}
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"  # no search index to update
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
LOGIN_URL = "/accounts/login/"

OSCAR_SHOP_NAME = "Remarket Tea (Oscar)"
OSCAR_DEFAULT_CURRENCY = "EUR"
OSCAR_ALLOW_ANON_CHECKOUT = True  # guests give an email at checkout: remarket hears it
OSCAR_THUMBNAILER = "example_oscar.thumbnails.OriginalImage"

# Emails land as readable files in var/oscar/mail (one per message).
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = "Remarket Tea <tea@example.com>"

REMARKET = {
    "SHOP_ADAPTER": "remarket.shop.oscar.OscarAdapter",
    "SITE_URL": os.environ.get("REMARKET_SITE_URL", "http://127.0.0.1:8001"),
    "SHOP_NAME": "Remarket Tea",
    "CURRENCY": "EUR",
    "QUIET_HOURS": None,  # the demo sends at any hour
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # what Oscar's migrations use
