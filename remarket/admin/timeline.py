"""One person's history on the contact page: activity, flows, emails, orders and consent.

Five queries whatever the length of the history: the newest ``limit`` rows of each kind,
merged newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from remarket.flows.models import Enrollment
from remarket.insights.models import Conversion
from remarket.mail.models import Message
from remarket.people.activity import Activity
from remarket.people.history import ContactConsentChange
from remarket.people.models import Contact

#: Rows of each kind the contact page shows; the JSON export has everything.
TIMELINE_LIMIT = 50


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime
    kind: str
    label: str
    detail: str = ""
    url: str = ""
    link_text: str = ""


def _messages(contact: Contact, limit: int, can_view: bool) -> list[Entry]:
    rows = (
        Message.objects.filter(contact=contact)
        .select_related("step__flow")
        .only(
            "created_at",
            "sent_at",
            "subject",
            "status",
            "reason",
            "opened_at",
            "clicked_at",
            "step__position",
            "step__flow__name",
        )
        .order_by("-created_at", "-pk")[:limit]
    )
    entries = []
    for message in rows:
        seen = [
            str(label)
            for label, at in ((_("opened"), message.opened_at), (_("clicked"), message.clicked_at))
            if at
        ]
        entries.append(
            Entry(
                at=message.sent_at or message.created_at,
                kind="message",
                label=_('Email "%(subject)s" (%(flow)s, step %(step)s): %(status)s')
                % {
                    "subject": message.subject or "-",
                    "flow": message.step.flow.name,
                    "step": message.step.position,
                    "status": message.get_status_display(),
                },
                detail=", ".join(filter(None, [message.reason, *seen])),
                url=reverse("admin:remarket_message_change", args=[message.pk]) if can_view else "",
                link_text=_("view the email as sent"),
            )
        )
    return entries


def contact_timeline(
    contact: Contact, *, limit: int = TIMELINE_LIMIT, can_view_messages: bool = False
) -> list[Entry]:
    """The newest ``limit`` rows of each kind of ``contact``'s history, newest first."""
    entries = _messages(contact, limit, can_view_messages)
    for activity in Activity.objects.filter(contact=contact).order_by("-created_at", "-pk")[:limit]:
        entries.append(
            Entry(
                activity.created_at,
                "activity",
                _("Storefront event %(event)s") % {"event": activity.kind},
                activity.product_id,
            )
        )
    enrollments = (
        Enrollment.objects.filter(contact=contact)
        .select_related("flow")
        .order_by("-created_at", "-pk")[:limit]
    )
    for enrollment in enrollments:
        state = enrollment.get_state_display()
        if enrollment.exit_reason:
            state = f"{state}: {enrollment.get_exit_reason_display()}"
        entries.append(
            Entry(
                enrollment.created_at,
                "enrollment",
                _("Entered the flow %(flow)s") % {"flow": enrollment.flow.name},
                state,
            )
        )
    conversions = (
        Conversion.objects.filter(contact=contact)
        .select_related("flow")
        .order_by("-placed_at", "-pk")[:limit]
    )
    for conversion in conversions:
        entries.append(
            Entry(
                conversion.placed_at,
                "conversion",
                _("Ordered %(order)s: %(value)s %(currency)s")
                % {
                    "order": conversion.order_key,
                    "value": conversion.value,
                    "currency": conversion.currency,
                },
                conversion.flow.name if conversion.flow else str(_("not attributed")),
            )
        )
    changes = ContactConsentChange.objects.filter(contact=contact).order_by("-created_at", "-pk")
    for change in changes[:limit]:
        by = _("by %(staff)s") % {"staff": change.staff_name} if change.staff_name else ""
        entries.append(
            Entry(
                change.created_at,
                "consent",
                f"{change.get_kind_display()} ({change.get_source_display()})",
                " ".join(str(part) for part in (change.detail, by) if part),
            )
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries
