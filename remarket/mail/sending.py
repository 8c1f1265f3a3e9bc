"""Hand one claimed message to the ESP through django-anymail and record the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from anymail.message import AnymailMessage
from django.core.mail import get_connection
from django.utils import timezone
from urllib3.exceptions import NameResolutionError, NewConnectionError

from remarket.mail.models import Message, MessageStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the ESP said; :func:`record` writes it onto the message row."""

    status: str
    reason: str = ""
    esp_name: str = ""
    esp_message_id: str = ""
    at: datetime | None = None

    @property
    def sent(self) -> bool:
        return self.status == MessageStatus.SENT


NOT_HANDED = Outcome(MessageStatus.SENDING, "reclaimed before it was handed to the ESP")
#: The contact unsubscribed or was suppressed after the batch's re-checks: not sent.
STOPPED = Outcome(MessageStatus.SKIPPED, "unsubscribed or suppressed just before sending")
#: Outcome status of a transient failure: the message is rescheduled, not finished.
RETRY = "retry"
#: Outcome status of a refused address: failed, and the contact is suppressed.
BAD_ADDRESS = "bad_address"


def classify(exc: Exception) -> str:
    """What an ESP failure means: ``retry``, ``bad_address``, ``review`` or ``failed``.

    Only failures where the ESP provably did not take the message are retried (HTTP 429
    and 5xx answers, no connection); a timeout while waiting for the answer may have
    sent it, so it goes to review rather than risking a second email.
    """
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress):
        return BAD_ADDRESS
    status = getattr(exc, "status_code", None)
    if status is not None:  # the ESP answered
        if status in (502, 504):
            return MessageStatus.REVIEW  # a gateway: the ESP behind it may have taken it
        return RETRY if status == 429 or status >= 500 else MessageStatus.FAILED
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _never_connected(exc):
        return RETRY
    if isinstance(exc, requests.exceptions.RequestException):
        return MessageStatus.REVIEW  # a timeout or reset after the request went out
    return MessageStatus.FAILED


def _never_connected(exc: Exception) -> bool:
    """A connection that was never made (DNS, refused): nothing reached the ESP."""
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | NameResolutionError)


def send_message(
    message: Message,
    *,
    subject: str,
    text: str,
    html: str,
    from_email: str,
    tags: list[str],
    headers: dict[str, str] | None = None,
    reply_to: str = "",
    connection: Any = None,
) -> Outcome:
    """Send a claimed (``sending``) message and return the outcome, without recording it.

    ``handed_at`` is committed before the ESP is called, so a crash during the call is
    told apart from one before it (see the tick's reconcile step). The caller records
    the outcome with :func:`record` in the same transaction that moves the flow on.
    """
    ours = Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claim=message.claim, handed_at__isnull=True
    )
    # The last re-check, in the same statement that hands the message over: an unsubscribe
    # or a bounce that arrived while the batch ran stops it here.
    handed = ours.filter(
        contact__unsubscribed_at__isnull=True, contact__suppressed_at__isnull=True
    ).update(handed_at=timezone.now())
    if not handed:
        if ours.exists():
            return STOPPED
        log.warning("remarket message %s was reclaimed before sending; not sent", message.pk)
        return NOT_HANDED
    email = AnymailMessage(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[message.address],
        headers=headers or {},
        reply_to=[reply_to] if reply_to else None,
        connection=connection or get_connection(),
    )
    email.attach_alternative(html, "text/html")
    email.tags = tags
    email.metadata = {"remarket_message": str(message.pk)}
    try:
        email.send()
    except Exception as exc:  # any ESP or backend failure is recorded on the row
        log.warning("remarket message %s failed: %s", message.pk, exc)
        return Outcome(classify(exc), f"{type(exc).__name__}: {exc}"[:200])
    status = getattr(email, "anymail_status", None)
    recipient = status.recipients.get(message.address) if status else None
    esp_id = recipient.message_id if recipient else None
    return Outcome(
        MessageStatus.SENT,
        esp_name=getattr(email.connection, "esp_name", "") or "",
        esp_message_id="" if esp_id is None else str(esp_id),
        at=timezone.now(),
    )


def record(message: Message, outcome: Outcome, *, subject: str, text: str, html: str) -> int:
    """Write a final outcome onto the message row (``review`` rows too: it may have left).

    Returns how many rows changed: 0 when another tick already finished it.
    """
    if outcome is NOT_HANDED or outcome.status == RETRY:
        return 0
    status = MessageStatus.FAILED if outcome.status == BAD_ADDRESS else outcome.status
    return Message.objects.filter(
        pk=message.pk, status__in=[MessageStatus.SENDING, MessageStatus.REVIEW]
    ).update(
        status=status,
        reason=outcome.reason,
        sent_at=outcome.at,
        subject=subject,
        body_text=text,
        body_html=html,
        esp_name=outcome.esp_name,
        esp_message_id=outcome.esp_message_id,
    )
