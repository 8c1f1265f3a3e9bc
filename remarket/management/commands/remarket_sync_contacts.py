"""``manage.py remarket_sync_contacts``: contacts from the shop's recent orders and carts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from remarket.exceptions import RemarketConfigurationError
from remarket.people.services import sync_contacts


class Command(BaseCommand):
    help = (
        "Create or update remarket contacts from the orders placed and the carts left in "
        "the last DAYS days (run once after installing; signed-in users are added on login)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=365,
            help="How far back to read orders and carts (default: 365).",
        )

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        if days < 1:
            raise CommandError(f"--days must be at least 1, not {days}.")
        try:
            result = sync_contacts(timezone.now() - timedelta(days=days))
        except RemarketConfigurationError as exc:
            raise CommandError(f"{exc} Run `manage.py check` for every problem.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Read {result['orders']} orders and {result['carts']} carts from the last "
                f"{days} days: {result['created']} new contacts."
            )
        )
