"""Settings for tick processes that the tests start: the test database, shared outbox."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["REMARKET_TEST_PG_NAME"],
        "HOST": os.environ["REMARKET_TEST_PG_HOST"],
        "PORT": os.environ["REMARKET_TEST_PG_PORT"],
        "USER": os.environ["REMARKET_TEST_PG_USER"],
    }
}
EMAIL_BACKEND = "tests.recording_backend.EmailBackend"
# The processes run at whatever hour CI runs: quiet hours would defer every send.
REMARKET = {**REMARKET, "QUIET_HOURS": None}  # noqa: F405
# The fault tests point anymail's real Postmark backend at tests/esp_simulator.py.
if os.environ.get("REMARKET_TEST_ESP_URL"):
    EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    ANYMAIL = {
        **ANYMAIL,  # noqa: F405
        "POSTMARK_SERVER_TOKEN": os.environ["REMARKET_TEST_ESP_TOKEN"],
        "POSTMARK_API_URL": os.environ["REMARKET_TEST_ESP_URL"],
    }
for key in ("SEND_CONCURRENCY", "SEND_WAVE", "MAX_SENDS_PER_MINUTE", "MAX_SEND_ATTEMPTS"):
    if os.environ.get(f"REMARKET_TEST_{key}"):
        REMARKET[key] = int(os.environ[f"REMARKET_TEST_{key}"])
CELERY_BROKER_URL = os.environ.get("REMARKET_TEST_BROKER", "memory://")
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
