"""``manage.py remarket_install_schedule``: the django-celery-beat entry for the tick."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

TASK_NAME = "remarket.tick"
TASK = "remarket.tasks.tick"


class Command(BaseCommand):
    help = (
        "Create (or keep) the django-celery-beat PeriodicTask that runs remarket.tasks.tick "
        "every minute, expiring so that ticks never pile up while workers are down."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            default=None,
            help="Seconds between ticks (default 60). Changes an existing entry and enables it.",
        )

    def handle(self, *args: Any, every: int | None, **options: Any) -> None:
        if not apps.is_installed("django_celery_beat"):
            raise CommandError(
                "django_celery_beat is not in INSTALLED_APPS: add it, or schedule "
                "remarket.tasks.tick with CELERY_BEAT_SCHEDULE (see the README)."
            )
        if every is not None and every < 1:
            raise CommandError(f"--every must be at least 1 second, not {every}.")
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        seconds = every or 60
        # IntervalSchedule has no unique constraint, so duplicates may exist: take the first.
        schedule = IntervalSchedule.objects.filter(
            every=seconds, period=IntervalSchedule.SECONDS
        ).first() or IntervalSchedule.objects.create(every=seconds, period=IntervalSchedule.SECONDS)
        task, created = PeriodicTask.objects.get_or_create(
            name=TASK_NAME,
            defaults={"task": TASK, "interval": schedule, "expire_seconds": seconds},
        )
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {TASK_NAME}: every {seconds} s."))
        elif every is not None and (
            task.interval_id != schedule.pk or not task.enabled or task.expire_seconds != seconds
        ):
            task.interval, task.expire_seconds, task.enabled = schedule, seconds, True
            task.save()
            self.stdout.write(self.style.SUCCESS(f"Updated {TASK_NAME}: every {seconds} s."))
        else:
            self.stdout.write(f"Kept {TASK_NAME} as it is (enabled: {task.enabled}).")
