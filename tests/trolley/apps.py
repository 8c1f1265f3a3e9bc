from __future__ import annotations

from django.apps import AppConfig


class TrolleyConfig(AppConfig):
    """A second shop shape for the tests: UUID keys, email on a related customer."""

    name = "tests.trolley"
    label = "trolley"
    default_auto_field = "django.db.models.BigAutoField"
