"""``REMARKET['MAX_SENDS_PER_MINUTE']``: one cap for every worker, kept in the database.

Each calendar minute has a :class:`SendWindow` row counting the emails handed to the ESP
in it. A tick takes permits for a wave of sends under a row lock, so several workers on
several machines never hand over more than the cap in one minute together. A wave that
gets fewer permits than it asked for sends those and gives the rest back to the queue
for the next minute (see remarket.flows.sender).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from remarket.conf import conf

#: Windows older than this are deleted by the tick; nothing reads them.
KEEP_WINDOWS = timedelta(hours=1)


class SendWindow(models.Model):
    """How many emails all workers together handed to the ESP in one minute."""

    start = models.DateTimeField(_("minute"), unique=True)
    handed = models.PositiveIntegerField(_("emails handed to the provider"), default=0)

    class Meta:
        verbose_name = _("send window")
        verbose_name_plural = _("send windows")

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}: {self.handed}"


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def take_permits(wanted: int) -> int:
    """Reserve up to ``wanted`` sends in the current minute; returns how many were granted.

    Without ``MAX_SENDS_PER_MINUTE`` every send is granted and nothing is written.
    """
    cap = conf.MAX_SENDS_PER_MINUTE
    if cap is None or wanted <= 0:
        return max(wanted, 0)
    minute = minute_of(timezone.now())
    with transaction.atomic():
        SendWindow.objects.bulk_create([SendWindow(start=minute)], ignore_conflicts=True)
        # The row lock makes workers take turns: the cap holds across all of them.
        handed = SendWindow.objects.select_for_update().values_list("handed", flat=True)
        granted = max(0, min(wanted, cap - handed.get(start=minute)))
        if granted:
            SendWindow.objects.filter(start=minute).update(handed=F("handed") + granted)
    return granted


def next_window() -> datetime:
    """When the next minute, and so new permits, begins."""
    return minute_of(timezone.now()) + timedelta(minutes=1)


def forget_old_windows() -> None:
    """Delete windows nobody will read again (only when the cap is on)."""
    if conf.MAX_SENDS_PER_MINUTE is not None:
        SendWindow.objects.filter(start__lt=timezone.now() - KEEP_WINDOWS).delete()
