"""``manage.py remarket_starter_flows``: the starter flows, as drafts to edit and publish."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from remarket.flows.starters import create_starter_flows


class Command(BaseCommand):
    help = (
        "Create the starter flows (abandoned cart 1 h / 24 h / 72 h, post-purchase "
        "cross-sell, win-back, browse abandonment) as drafts; existing slugs are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help="Language of the subjects and bodies (default: LANGUAGE_CODE), e.g. fa or vi.",
        )

    def handle(self, *args: Any, language: str, **options: Any) -> None:
        known = {code for code, _name in settings.LANGUAGES}
        if language not in known:
            choices = ", ".join(sorted(known))
            raise CommandError(f"--language {language!r} is not in settings.LANGUAGES ({choices}).")
        with translation.override(language):
            results = create_starter_flows()
        for flow, created in results:
            verb = "Created draft" if created else "Kept existing"
            self.stdout.write(
                f"{verb} flow {flow.slug!r} ({flow.name}, {flow.steps.count()} steps)"
            )
        self.stdout.write(
            self.style.SUCCESS("Review them in the admin and set a flow live when ready.")
        )
