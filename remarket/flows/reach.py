"""How many people a flow would take in if it went live now: the trigger's own scan, counted.

The publish page says "about N people match this trigger today". The number comes from
the very scan the next tick would run (same window, same cursor), minus the people that
enrollment would leave out (unsubscribed, suppressed, consent withdrawn, cooling down),
and nothing is written: no contact, no enrollment, no cursor. The scan stops after
:data:`LIMIT` candidates, so the page costs at most a few batches however big the shop is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from remarket.flows.enroll import cursor_name
from remarket.flows.models import Cursor, Enrollment, Flow
from remarket.flows.triggers import get_trigger
from remarket.people.models import Consent, Contact
from remarket.shop import ShopAdapter, get_adapter

#: The scan stops once it has seen this many candidates; the page then says "more than".
LIMIT = 5000


@dataclass(frozen=True)
class Reach:
    """People the next tick would enroll: ``count`` (at least, when ``capped``)."""

    count: int
    capped: bool
    start: datetime
    end: datetime


def reach(
    flow: Flow,
    *,
    now: datetime | None = None,
    adapter: ShopAdapter | None = None,
    limit: int = LIMIT,
) -> Reach:
    """Count who ``flow``'s trigger finds now, without enrolling or creating anyone."""
    now = now or timezone.now()
    adapter = adapter or get_adapter()
    trigger = get_trigger(flow.trigger, flow.trigger_settings)
    cursor = Cursor.objects.filter(name=cursor_name(flow)).first()
    start, end = trigger.window(now, cursor.position if cursor else None)
    emails: set[str] = set()
    capped = False
    for batch in trigger.candidates(adapter, start, end):
        emails.update(candidate.email for candidate in batch if candidate.email)
        if len(emails) >= limit:
            capped = True
            break
    if not emails:
        return Reach(0, capped, start, end)
    left_out = _left_out(flow, emails, now)
    return Reach(len(emails - left_out), capped, start, end)


def _left_out(flow: Flow, emails: set[str], now: datetime) -> set[str]:
    """Addresses enrollment would skip: unreachable, withdrawn, or cooling down in ``flow``."""
    cooling = Enrollment.objects.filter(
        flow=flow, created_at__gt=now - flow.reentry_cooldown
    ).values("contact_id")
    return set(
        Contact.objects.filter(email__in=emails)
        .filter(
            Q(unsubscribed_at__isnull=False)
            | Q(suppressed_at__isnull=False)
            | Q(consent=Consent.WITHDRAWN)
            | Q(pk__in=cooling)
        )
        .values_list("email", flat=True)
    )
