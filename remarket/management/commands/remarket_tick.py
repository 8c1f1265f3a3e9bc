"""``manage.py remarket_tick``: one scheduler pass, without Celery (e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from remarket.exceptions import RemarketConfigurationError
from remarket.flows.tick import TickReport, run_tick


def describe(report: TickReport) -> list[str]:
    """One line per flow that did anything, for people reading a cron log."""
    lines = []
    for slug, c in sorted(report.flows.items()):
        parts = [f"enrolled {c.enrolled}", f"sent {c.sent}"]
        if c.failed:
            parts.append(f"failed {c.failed}")
        parts += [f"skipped {n} ({reason})" for reason, n in sorted(c.skipped.items())]
        if c.deferred:
            parts.append(f"deferred {c.deferred}")
        parts += [f"exited {n} ({reason})" for reason, n in sorted(c.exited.items())]
        parts.append(f"converted {c.converted}")
        lines.append(f"{slug}: " + ", ".join(parts))
    lines += [f"reconciled {n} ({what})" for what, n in sorted(report.reconciled.items())]
    return lines


class Command(BaseCommand):
    help = "Run one remarket scheduler pass: enroll, send what is due, record conversions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what the pass would do, then roll everything back; nothing is sent.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=None, help="Messages claimed per batch."
        )

    def handle(self, *args: Any, dry_run: bool, batch_size: int | None, **options: Any) -> None:
        if batch_size is not None and batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, not {batch_size}.")
        try:
            report = run_tick(dry_run=dry_run, batch_size=batch_size)
        except RemarketConfigurationError as exc:
            raise CommandError(f"{exc} Run `manage.py check` for every problem.") from exc
        heading = "Dry run (nothing was changed or sent)" if dry_run else "Tick"
        lines = describe(report) or ["no live flow had anything to do"]
        self.stdout.write(
            self.style.SUCCESS(f"{heading} at {report.started_at:%Y-%m-%d %H:%M:%S %Z}:")
        )
        for line in lines:
            self.stdout.write(f"  {line}")
