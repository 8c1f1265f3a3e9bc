"""Settings of the Oscar tests: the Oscar example's apps, an in-memory database.

Run apart from the rest of the suite (Oscar needs its own INSTALLED_APPS):
``make test-oscar``, i.e. ``pytest --confcutdir=tests/oscar --ds=tests.oscar.settings tests/oscar``.
"""

from __future__ import annotations

import tempfile

from example_oscar.settings import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="remarket-oscar-media-")
DEBUG = False
REMARKET = {**REMARKET, "SITE_URL": "http://testserver"}  # noqa: F405
