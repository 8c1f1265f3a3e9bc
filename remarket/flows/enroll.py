"""Tick step (a): put newly triggered people into each live flow, in bulk."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from remarket.flows.models import Cursor, Enrollment, Flow, Step
from remarket.flows.triggers import Candidate, get_trigger
from remarket.people.models import Consent
from remarket.people.services import contacts_for_emails, contacts_from_snapshots
from remarket.shop import ShopAdapter


def cursor_name(flow: Flow) -> str:
    return f"enroll:{flow.pk}"


def enroll_flow(flow: Flow, now: datetime, adapter: ShopAdapter) -> int:
    """Enroll everyone ``flow``'s trigger found since the last scan; return how many.

    Conflicts with existing enrollments are ignored (the unique constraint decides, so
    two ticks at once enroll nobody twice) and the re-entry cooldown is respected.
    """
    steps = list(flow.steps.order_by("position")[:1])
    if not steps:
        return 0
    first = steps[0]
    trigger = get_trigger(flow.trigger, flow.trigger_settings)
    cursor = Cursor.objects.filter(name=cursor_name(flow)).first()
    start, end = trigger.window(now, cursor.position if cursor else None)
    enrolled = 0
    for batch in trigger.candidates(adapter, start, end):
        enrolled += _enroll_batch(flow, first, trigger.subject_type, batch, now)
    Cursor.objects.update_or_create(name=cursor_name(flow), defaults={"position": end})
    return enrolled


def _enroll_batch(
    flow: Flow, first: Step, subject_type: str, batch: list[Candidate], now: datetime
) -> int:
    if not batch:
        return 0
    people = [c.person for c in batch if c.person is not None]
    contacts = contacts_from_snapshots(people) if people else {}
    missing = {c.email for c in batch if c.email not in contacts}
    if missing:
        contacts |= contacts_for_emails(missing)
    cooling = set(
        Enrollment.objects.filter(
            flow=flow,
            contact__in=[c.pk for c in contacts.values()],
            created_at__gt=now - flow.reentry_cooldown,
        ).values_list("contact_id", flat=True)
    )
    newest: dict[int, Candidate] = {}
    for candidate in batch:
        contact = contacts[candidate.email]
        unreachable = not contact.is_reachable or contact.consent == Consent.WITHDRAWN
        if contact.pk in cooling or unreachable:
            continue
        kept = newest.get(contact.pk)
        if kept is None or candidate.triggered_at > kept.triggered_at:
            newest[contact.pk] = candidate  # one entry per person per scan: the latest
    rows = [
        Enrollment(
            flow=flow,
            contact_id=contact_id,
            subject_type=subject_type,
            subject_key=c.subject_key,
            snapshot=c.snapshot,
            triggered_at=c.triggered_at,
            next_step=first,
            next_run_at=c.triggered_at + first.delay,
            created_at=now,
        )
        for contact_id, c in newest.items()
    ]
    with transaction.atomic():
        before = Enrollment.objects.filter(flow=flow, created_at=now).count()
        Enrollment.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        return Enrollment.objects.filter(flow=flow, created_at=now).count() - before
