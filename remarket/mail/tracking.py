"""ESP delivery and engagement events (anymail's ``tracking`` signal) onto messages and people.

Connected in ``RemarketConfig.ready()``. Webhooks arrive late, twice and out of order, so
every write here is a conditional UPDATE that only moves a timestamp the right way (first
delivery, first open, last click, ...) and each event is kept once, keyed on its ESP id.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from remarket.mail.models import Message, MessageEvent
from remarket.people.history import ChangeKind, ChangeSource, record_change
from remarket.people.models import Contact, Suppression
from remarket.people.services import suppress

log = logging.getLogger(__name__)

#: Soft-bouncing messages in a row (no delivery between) after which an address is dropped.
SOFT_BOUNCE_LIMIT = 7
#: A "bounced" event with these reasons says "not now" or "not from you", not "no such
#: mailbox": Mailgun's permanent failures other than reason "bounce" (e.g. "old": retries
#: ran out) arrive as bounced/other, blocklists as bounced/blocked.
SOFT_REASONS = {RejectReason.OTHER, RejectReason.TIMED_OUT, RejectReason.BLOCKED}
#: Refusals (rejected/failed) that mean the address itself is bad.
HARD_REASONS = {
    RejectReason.BOUNCED: Suppression.HARD_BOUNCE,
    RejectReason.INVALID: Suppression.INVALID,
}


def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Receiver for ``anymail.signals.tracking``; never raises.

    An exception here would make anymail answer the ESP with an error and the ESP would
    post the same event again and again: a bad event is logged and dropped instead.
    """
    try:
        record_event(event, esp_name)
    except Exception:
        log.exception("remarket could not record %s event %s", esp_name, event.event_id)


def record_event(event: AnymailTrackingEvent, esp_name: str) -> MessageEvent | None:
    """Keep the event and apply it in one transaction; None for an event already seen."""
    message = find_message(event, esp_name)
    at = event.timestamp or timezone.now()
    with transaction.atomic():
        if message is not None:
            # Events of one message apply one at a time, so "the first soft bounce of this
            # message" below can't be counted twice by two webhooks racing.
            message = Message.objects.select_for_update().get(pk=message.pk)
        stored = _store(event, esp_name, message, at)
        if stored is not None and message is not None:
            _apply(event, esp_name, message, stored, at)
    return stored


def find_message(event: AnymailTrackingEvent, esp_name: str) -> Message | None:
    """The message by our metadata (sent with every email), else by the ESP's message id."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    esp_id = str(event.message_id or "")
    try:
        pk = int(str(metadata.get("remarket_message", "")).strip())
    except ValueError:
        pk = 0
    if 0 < pk < 2**63:
        message = Message.objects.filter(pk=pk).first()
        # Another install sending through the same ESP account (a staging copy) has its
        # own message 12: metadata is trusted unless the ESP's own id contradicts it.
        if message and not (esp_id and message.esp_message_id not in ("", esp_id)):
            return message
    if not esp_id:
        return None
    return (
        Message.objects.filter(esp_message_id=esp_id)
        .filter(Q(esp_name=esp_name) | Q(esp_name=""))
        .first()
    )


def _store(
    event: AnymailTrackingEvent, esp_name: str, message: Message | None, at: datetime
) -> MessageEvent | None:
    """Write the event row once; None if it was stored before (an ESP retry, a duplicate)."""
    fields: dict[str, Any] = {
        "message": message,
        "esp_name": esp_name[:40],
        "event_type": str(event.event_type)[:20],
        "timestamp": at,
        "recipient": (event.recipient or "")[:254],
    }
    detail = " | ".join(
        str(part)
        for part in (event.reject_reason, event.description, event.mta_response, event.click_url)
        if part
    )[:500]
    event_id = str(event.event_id or "")[:255]
    if not event_id:
        # Postmark gives ids to bounces only: the same event at the same instant is a resend.
        if MessageEvent.objects.filter(event_id="", **fields).exists():
            return None
        return MessageEvent.objects.create(detail=detail, **fields)
    try:
        with transaction.atomic():  # a savepoint: the duplicate must not abort the rest
            return MessageEvent.objects.create(event_id=event_id, detail=detail, **fields)
    except IntegrityError:
        return None


def _apply(
    event: AnymailTrackingEvent,
    esp_name: str,
    message: Message,
    stored: MessageEvent,
    at: datetime,
) -> None:
    """Move the message's timestamps and the contact's state; nothing is ever cleared."""
    row = Message.objects.filter(pk=message.pk)
    contact = Contact(pk=message.contact_id)
    contacts = Contact.objects.filter(pk=message.contact_id)
    kind = event.event_type
    if kind == EventType.DELIVERED:
        _earliest(row, "delivered_at", at)
        contacts.exclude(soft_bounces=0).update(soft_bounces=0, updated_at=timezone.now())
    elif kind == EventType.OPENED:
        _earliest(row, "opened_at", at)
    elif kind == EventType.CLICKED:
        row.filter(Q(clicked_at__isnull=True) | Q(clicked_at__lt=at)).update(clicked_at=at)
    elif kind == EventType.COMPLAINED:
        _earliest(row, "complained_at", at)
        suppress(contact, Suppression.COMPLAINT, at)
    elif kind == EventType.UNSUBSCRIBED:
        _earliest(row, "unsubscribed_at", at)
        if contacts.filter(unsubscribed_at__isnull=True).update(
            unsubscribed_at=at, unsubscribe_reason=f"esp: {esp_name}", updated_at=timezone.now()
        ):
            record_change(
                contact.pk, ChangeKind.UNSUBSCRIBED, ChangeSource.ESP, at=at, detail=esp_name
            )
        # The ESP now refuses this address itself; a re-subscribe on the preferences page
        # can't undo that, so staff must lift it there and here.
        suppress(contact, Suppression.ESP_UNSUBSCRIBE, at)
    elif is_soft_bounce(event, esp_name):
        _count_soft_bounce(event, message, stored, contact, at)
    elif (reason := _hard_reason(event)) is not None:
        _earliest(row, "bounced_at", at)
        suppress(contact, reason, at)


def is_soft_bounce(event: AnymailTrackingEvent, esp_name: str) -> bool:
    """Deferred, or bounced for a reason that may pass (anymail keeps that in the raw event).

    Postmark "SoftBounce" and every Amazon SES bounce arrive as bounced/bounced, exactly
    like a hard bounce; only Postmark's ``Type`` and SES's ``bounceType`` tell them apart.
    """
    if event.event_type == EventType.DEFERRED:
        return True
    if event.event_type != EventType.BOUNCED:
        return False
    if event.reject_reason in SOFT_REASONS:
        return True
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Postmark":
        return raw.get("Type") == "SoftBounce"
    if esp_name == "Amazon SES":
        # Transient (mailbox full, too large) and Undetermined; only Permanent is hard.
        return (raw.get("bounce") or {}).get("bounceType") != "Permanent"
    return False


def _hard_reason(event: AnymailTrackingEvent) -> str | None:
    if event.event_type == EventType.BOUNCED:
        return HARD_REASONS.get(event.reject_reason or "", Suppression.HARD_BOUNCE)
    if event.event_type in (EventType.REJECTED, EventType.FAILED):
        return HARD_REASONS.get(event.reject_reason or "")
    return None


def _count_soft_bounce(
    event: AnymailTrackingEvent,
    message: Message,
    stored: MessageEvent,
    contact: Contact,
    at: datetime,
) -> None:
    """One count per message: Mailgun reports every retry (greylisting too) as deferred."""
    if event.event_type == EventType.DEFERRED and message.delivered_at is not None:
        return  # the retries already ended in a delivery that arrived first
    earlier = MessageEvent.objects.filter(
        message=message, event_type__in=[EventType.DEFERRED, EventType.BOUNCED]
    ).exclude(pk=stored.pk)
    if earlier.exists():
        return
    contacts = Contact.objects.filter(pk=contact.pk)
    contacts.update(soft_bounces=F("soft_bounces") + 1, updated_at=timezone.now())
    # The UPDATE holds the row until commit, so this reads our own count.
    if contacts.filter(soft_bounces__gte=SOFT_BOUNCE_LIMIT).exists():
        suppress(contact, Suppression.SOFT_BOUNCES, at)


def _earliest(row: QuerySet[Message], field: str, at: datetime) -> None:
    """Set ``field`` unless it already holds an earlier time (events come out of order)."""
    row.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": at})).update(**{field: at})
