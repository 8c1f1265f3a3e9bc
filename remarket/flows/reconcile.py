"""Tick step (e): messages left ``sending`` by a crash are reconciled, never re-sent blindly."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import transaction

from remarket.conf import conf
from remarket.flows.models import Enrollment, Step
from remarket.flows.moves import advance
from remarket.mail.models import Message, MessageStatus


def reconcile(now: datetime, reconciled: Counter[str]) -> None:
    """Tick step (e): ``sending`` rows older than the lease are never re-sent blindly.

    Without ``handed_at`` the ESP was provably never called: the message goes back to
    ``scheduled``. With an ESP message id it did leave: ``sent``. Otherwise nobody can
    tell: ``review``, and the flow moves on without it.
    """
    stale = Message.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=now - conf.SEND_LEASE
    ).select_related("enrollment")
    for message in stale:
        enrollment = message.enrollment
        row = Message.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING, claim=message.claim
        )
        with transaction.atomic():
            if message.handed_at is None:
                if row.filter(handed_at__isnull=True).update(
                    status=MessageStatus.SCHEDULED, reason="reclaimed after a crash"
                ):
                    Enrollment.objects.filter(pk=enrollment.pk).update(next_run_at=now)
                    reconciled["retried"] += 1
                continue
            if message.esp_message_id or message.delivered_at or message.opened_at:
                changed = row.update(status=MessageStatus.SENT, sent_at=message.handed_at)
                outcome = "sent"
            else:
                changed = row.update(
                    status=MessageStatus.REVIEW,
                    reason="interrupted while handing to the ESP: check it there before resending",
                )
                outcome = "review"
            if changed:
                steps = list(Step.objects.filter(flow_id=enrollment.flow_id).order_by("position"))
                step = next(s for s in steps if s.pk == message.step_id)
                advance([(enrollment.pk, step, steps)], now)
                reconciled[outcome] += 1
