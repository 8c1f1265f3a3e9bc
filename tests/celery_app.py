"""The Celery app of the tests' worker processes (settings: tests.worker_settings)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.worker_settings")

app = Celery("remarket_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["remarket"])
