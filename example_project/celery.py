"""The demo shop's Celery app: ``celery -A example_project worker`` (or ``beat``) finds it.

Configuration comes from Django settings under the ``CELERY_`` prefix (see settings.py:
an embedded filesystem broker in ``var/broker``, or Redis when REDIS_URL is set), and the
tasks of every installed app are discovered, ``remarket.tasks.tick`` among them.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

app = Celery("example_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
