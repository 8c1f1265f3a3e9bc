"""Hand claimed messages to the ESP through django-anymail, and classify what it answered.

Two halves, so that many sends can be in flight at once without sharing a database
connection between threads: :func:`hand_over` marks a group of claimed messages as handed
(one statement, committed before any ESP call) on the tick's own thread, and
:func:`post_message` makes the HTTP call for one message, touching no database, so it can
run in a worker thread with that thread's own anymail connection. The tick writes the
outcomes back (remarket.flows.sender).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from anymail.exceptions import (
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailUnsupportedFeature,
)
from anymail.message import AnymailMessage
from django.utils import timezone
from urllib3.exceptions import NameResolutionError, NewConnectionError

from remarket.mail.models import Message, MessageStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the ESP said about one message; the tick writes it onto the message row."""

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
    sent it, so it goes to review rather than risking a second email. anymail raises
    ``AnymailRequestsAPIError`` with the ESP's ``status_code`` for an HTTP error, and for a
    network error a subclass of both it and the ``requests`` exception, chained to it.
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


def _never_connected(exc: BaseException) -> bool:
    """A connection that was never made (DNS, refused): nothing reached the ESP."""
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    # anymail re-raises requests' error as its own, "from" the original one.
    for error in (exc, exc.__cause__):
        reason = getattr(error.args[0], "reason", None) if error and error.args else None
        if isinstance(reason, NewConnectionError | NameResolutionError):
            return True
    return False


def hand_over(messages: Sequence[Message]) -> tuple[list[Message], list[Message]]:
    """Mark claimed messages handed to the ESP, in one statement; returns (handed, stopped).

    ``handed_at`` is committed before the ESP is called, so a crash during the call is
    told apart from one before it (see the tick's reconcile step). Only rows still
    ``sending`` under their claim and not handed yet are taken. The statement is also the
    last re-check: an unsubscribe or a bounce that arrived while the batch ran stops the
    message here (``stopped``). Messages in neither list were reclaimed by another tick.
    """
    if not messages:
        return [], []
    (token,) = {m.claim for m in messages}  # one claim per group: the caller's
    pks = [m.pk for m in messages]
    ours = Message.objects.filter(
        pk__in=pks, status=MessageStatus.SENDING, claim=token, handed_at__isnull=True
    )
    marker = timezone.now()
    handed = ours.filter(
        contact__unsubscribed_at__isnull=True, contact__suppressed_at__isnull=True
    ).update(handed_at=marker)
    if handed == len(messages):
        return list(messages), []
    # Rare: find out which ones were stopped and which another tick took meanwhile.
    state = dict(
        Message.objects.filter(pk__in=pks, status=MessageStatus.SENDING, claim=token).values_list(
            "pk", "handed_at"
        )
    )
    for message in messages:
        if message.pk not in state:
            log.warning("remarket message %s was reclaimed before sending; not sent", message.pk)
    return (
        [m for m in messages if state.get(m.pk) == marker],
        [m for m in messages if m.pk in state and state[m.pk] is None],
    )


#: Backend classes that said they take one tag per email (found on first use).
_ONE_TAG: set[type] = set()


def post_message(
    message: Message,
    *,
    subject: str,
    text: str,
    html: str,
    from_email: str,
    tags: list[str],
    headers: dict[str, str] | None = None,
    reply_to: str = "",
    connection: Any,
) -> Outcome:
    """Send one handed-over message through ``connection`` and return the outcome.

    No database access: safe in a worker thread, given a connection of that thread's own
    (anymail's HTTP backends keep one ``requests`` session per connection, not to be
    shared between threads).
    """
    email = AnymailMessage(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[message.address],
        headers=headers or {},
        reply_to=[reply_to] if reply_to else None,
        connection=connection,
    )
    email.attach_alternative(html, "text/html")
    email.tags = tags[:1] if type(connection) in _ONE_TAG else tags
    email.metadata = {"remarket_message": str(message.pk)}
    try:
        try:
            email.send()
        except AnymailUnsupportedFeature as exc:
            # Postmark, Mailjet, SparkPost... take one tag. anymail says so while building
            # the request, before anything is sent: send again with the first tag only.
            if "multiple tags" not in str(exc):
                raise
            _ONE_TAG.add(type(connection))
            email.tags = tags[:1]
            email.send()
    except Exception as exc:  # any ESP or backend failure is recorded on the row
        log.warning("remarket message %s failed: %s", message.pk, exc)
        return Outcome(classify(exc), f"{type(exc).__name__}: {exc}"[:200])
    status = getattr(email, "anymail_status", None)
    recipient = status.recipients.get(message.address) if status else None
    esp_id = recipient.message_id if recipient else None
    return Outcome(
        MessageStatus.SENT,
        esp_name=getattr(connection, "esp_name", "") or "",
        esp_message_id="" if esp_id is None else str(esp_id),
        at=timezone.now(),
    )
