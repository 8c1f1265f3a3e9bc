"""ESP webhooks through anymail's real views into remarket.mail.tracking.

Payloads follow each ESP's documented webhook format: Postmark's JSON records, Mailgun's
"webhooks 2.0" JSON (``signature`` + ``event-data``, HMAC-signed here with the test key)
and Amazon SES event publishing JSON inside an SNS ``Notification``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from anymail.webhooks import amazon_ses
from django.conf import settings
from django.db import connection
from django.test import Client

from remarket.flows.models import Enrollment, Step
from remarket.mail import tracking
from remarket.mail.models import Message, MessageEvent, MessageStatus
from remarket.people.models import Contact, Suppression
from tests.seeding import seed_due

pytestmark = pytest.mark.django_db

T0 = datetime.fromisoformat("2026-03-02T12:00:00+00:00")
MINUTE = timedelta(minutes=1)
ESP_IDS = {
    "Postmark": "2706ee8a-737c-4285-b032-ccd317af53ed",
    "Mailgun": "<20260302120000.1.DF5966851B4BAA99@mg.shop.example>",
    "Amazon SES": "0100018e0a8b3c4d-9a483358-9170-4cb4-a269-f5dcdf415321-000000",
}


@pytest.fixture(autouse=True)
def ses_view_without_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    """anymail's SES webhook view reads boto3 settings in ``__init__``, used only to confirm
    SNS subscriptions; boto3 (anymail[amazon-ses]) is not a test dependency."""
    if importlib.util.find_spec("boto3") is None:
        monkeypatch.setattr(amazon_ses, "_get_anymail_boto3_params", lambda **kw: ({}, {}))


@pytest.fixture
def message() -> Message:
    """A sent message to a consenting contact; each test sets its ESP."""
    return add_message(None)


def add_message(previous: Message | None, esp_name: str = "Postmark", esp_id: str = "") -> Message:
    """A message (the next step of the same enrollment when ``previous`` is given)."""
    if previous is None:
        flow = seed_due(1)
        enrollment = Enrollment.objects.get(flow=flow)
        step = flow.steps.get()
    else:
        enrollment = previous.enrollment
        step = Step.objects.create(
            flow=enrollment.flow,
            position=enrollment.flow.steps.count() + 1,
            subject="Again",
            body="<p>Hi</p>",
        )
    contact = enrollment.contact
    return Message.objects.create(
        enrollment=enrollment,
        step=step,
        contact=contact,
        address=contact.email,
        status=MessageStatus.SENT,
        sent_at=T0 - MINUTE,
        esp_name=esp_name,
        # Mailgun's ids are Message-IDs in angle brackets, as its API returns them.
        esp_message_id=esp_id
        or (
            f"<{uuid.uuid4().hex}@mg.shop.example>" if esp_name == "Mailgun" else f"{uuid.uuid4()}"
        ),
    )


def sent_with(message: Message, esp_name: str) -> Message:
    Message.objects.filter(pk=message.pk).update(
        esp_name=esp_name, esp_message_id=ESP_IDS[esp_name]
    )
    message.refresh_from_db()
    return message


# Payloads -------------------------------------------------------------------------------


def postmark(record: str, message: Message, at: datetime, **fields: Any) -> dict[str, Any]:
    """A Postmark webhook record (Delivery, Bounce, SpamComplaint, Open, Click, ...)."""
    when = at.isoformat().replace("+00:00", "Z")
    base: dict[str, Any] = {
        "RecordType": record,
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message.esp_message_id,
        "Tag": "win-back",
        "Metadata": {"remarket_message": str(message.pk)},
    }
    if record == "Delivery":
        base |= {"Recipient": message.address, "DeliveredAt": when, "Details": "250 2.0.0 OK"}
    elif record in ("Bounce", "SpamComplaint"):
        kind = fields.pop("Type", "HardBounce" if record == "Bounce" else "SpamComplaint")
        base |= {
            "ID": fields.pop("ID", int(at.timestamp()) * 1000 + (message.pk or 0) % 1000),
            "Type": kind,
            "TypeCode": {"HardBounce": 1, "SoftBounce": 4096, "SpamComplaint": 512}.get(kind, 1),
            "Name": kind,
            "Description": "The server was unable to deliver your message.",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
            "Email": message.address,
            "From": "shop@shop.example",
            "BouncedAt": when,
            "DumpAvailable": True,
            "Inactive": kind != "SoftBounce",
            "CanActivate": True,
            "Subject": "We miss you",
        }
    elif record in ("Open", "Click"):
        base |= {
            "FirstOpen": True,
            "Client": {"Name": "Gmail", "Company": "Google", "Family": "Gmail"},
            "OS": {"Name": "unknown", "Company": "unknown", "Family": "unknown"},
            "Platform": "WebMail",
            "UserAgent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0",
            "Geo": {},
            "ReceivedAt": when,
            "Recipient": message.address,
        }
        if record == "Click":
            base |= {"ClickLocation": "HTML", "OriginalLink": "https://shop.example/cart/"}
    elif record == "SubscriptionChange":
        base |= {
            "ChangedAt": when,
            "Recipient": message.address,
            "Origin": "Recipient",
            "SuppressSending": True,
            "SuppressionReason": "ManualSuppression",
        }
    return base | fields


def mailgun(
    event: str, message: Message, at: datetime, *, metadata: bool = True, **fields: Any
) -> dict[str, Any]:
    """A Mailgun webhooks-2.0 post, signed like Mailgun signs it."""
    data: dict[str, Any] = {
        "id": uuid.uuid4().hex[:22],
        "event": event,
        "timestamp": at.timestamp(),
        "log-level": "info",
        "recipient": message.address,
        "recipient-domain": message.address.split("@")[1],
        "tags": ["win-back"],
        "user-variables": {"remarket_message": str(message.pk)} if metadata else {},
        "flags": {"is-routed": False, "is-authenticated": True, "is-test-mode": False},
        "message": {
            "headers": {
                "to": message.address,
                "message-id": message.esp_message_id.strip("<>"),
                "from": "shop@mg.shop.example",
                "subject": "We miss you",
            },
            "attachments": [],
            "size": 4096,
        },
    }
    if event == "delivered":
        data["delivery-status"] = {"code": 250, "message": "OK", "attempt-no": 1}
    elif event in ("opened", "clicked"):
        data["client-info"] = {"client-type": "browser", "user-agent": "Mozilla/5.0"}
        if event == "clicked":
            data["url"] = "https://shop.example/cart/"
    data |= fields
    token = uuid.uuid4().hex + uuid.uuid4().hex[:18]
    timestamp = str(int(at.timestamp()))
    key = settings.ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"].encode()
    signature = hmac.new(key, f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }


def mailgun_failed(message: Message, at: datetime, severity: str, reason: str) -> dict[str, Any]:
    code, status = (550, "5.1.1 The email account that you tried to reach does not exist.")
    if severity == "temporary":
        code, status = (452, "4.2.2 The email account that you tried to reach is over quota.")
    return mailgun(
        "failed",
        message,
        at,
        severity=severity,
        reason=reason,
        **{
            "log-level": "warn" if severity == "temporary" else "error",
            "delivery-status": {"code": code, "message": status, "attempt-no": 1},
        },
    )


def ses(
    kind: str, message: Message, at: datetime, *, metadata: bool = True, **detail: Any
) -> dict[str, Any]:
    """An SNS Notification carrying an SES event-publishing record (Delivery, Bounce...)."""
    when = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    headers = [
        {"name": "From", "value": "shop@shop.example"},
        {"name": "To", "value": message.address},
        {"name": "Subject", "value": "We miss you"},
    ]
    if metadata:
        headers.append(
            {"name": "X-Metadata", "value": json.dumps({"remarket_message": str(message.pk)})}
        )
    body = {
        "Delivery": {
            "timestamp": when,
            "processingTimeMillis": 546,
            "recipients": [message.address],
            "smtpResponse": "250 ok: Message 64111812 accepted",
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
        },
        "Bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": message.address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": when,
            "feedbackId": "0100018e0a8b-feedback-000000",
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
        },
        "Complaint": {
            "complainedRecipients": [{"emailAddress": message.address}],
            "timestamp": when,
            "feedbackId": "0100018e0a8b-complaint-000000",
            "userAgent": "Mozilla/5.0",
            "complaintFeedbackType": "abuse",
        },
        "Open": {"ipAddress": "192.0.2.1", "timestamp": when, "userAgent": "Mozilla/5.0"},
        "Click": {
            "ipAddress": "192.0.2.1",
            "timestamp": when,
            "userAgent": "Mozilla/5.0",
            "link": "https://shop.example/cart/",
            "linkTags": {},
        },
    }[kind] | detail
    event = {
        "eventType": kind,
        "mail": {
            "timestamp": (at - MINUTE).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "source": "shop@shop.example",
            "sendingAccountId": "123456789012",
            "messageId": message.esp_message_id,
            "destination": [message.address],
            "headersTruncated": False,
            "headers": headers,
            "commonHeaders": {"from": ["shop@shop.example"], "to": [message.address]},
            "tags": {"ses:configuration-set": ["remarket"]},
        },
        kind.lower(): body,
    }
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(event),
        "Timestamp": when,
        "SignatureVersion": "1",
        "Signature": "EXAMPLE==",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


# Posting --------------------------------------------------------------------------------

URLS = {
    "Postmark": "/anymail/postmark/tracking/",
    "Mailgun": "/anymail/mailgun/tracking/",
    "Amazon SES": "/anymail/amazon_ses/tracking/",
}


def basic_auth(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def post(esp: str, payload: dict[str, Any], *, secret: str | None = "settings") -> int:
    """POST to anymail's webhook for ``esp`` as that ESP does; returns the status code."""
    headers = {}
    if secret is not None:
        auth = settings.ANYMAIL["WEBHOOK_SECRET"] if secret == "settings" else secret
        headers["authorization"] = basic_auth(auth)
    content_type = "application/json"
    if esp == "Amazon SES":
        content_type = "text/plain; charset=UTF-8"  # SNS posts its JSON as text/plain
        headers["x-amz-sns-message-type"] = payload["Type"]
        headers["x-amz-sns-message-id"] = payload["MessageId"]
    response = Client().post(
        URLS[esp], data=json.dumps(payload), content_type=content_type, headers=headers
    )
    return response.status_code


def state(message: Message) -> tuple[Message, Contact]:
    message.refresh_from_db()
    return message, Contact.objects.get(pk=message.contact_id)


def snapshot(message: Message) -> tuple[dict, dict, list[dict]]:
    """Every column of the message, its contact and all events."""
    return (
        Message.objects.values().get(pk=message.pk),
        Contact.objects.values().get(pk=message.contact_id),
        list(MessageEvent.objects.order_by("pk").values()),
    )


OPEN = {
    "Postmark": lambda m, at: postmark("Open", m, at),
    "Mailgun": lambda m, at: mailgun("opened", m, at),
    "Amazon SES": lambda m, at: ses("Open", m, at),
}
CLICK = {
    "Postmark": lambda m, at: postmark("Click", m, at),
    "Mailgun": lambda m, at: mailgun("clicked", m, at),
    "Amazon SES": lambda m, at: ses("Click", m, at),
}


# Deliveries, opens, clicks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("esp", "payload"),
    [
        ("Postmark", lambda m, at: postmark("Delivery", m, at)),
        ("Mailgun", lambda m, at: mailgun("delivered", m, at)),
        ("Amazon SES", lambda m, at: ses("Delivery", m, at)),
    ],
)
def test_a_delivery_is_recorded_and_resets_the_soft_bounce_count(message, esp, payload):
    message = sent_with(message, esp)
    Contact.objects.filter(pk=message.contact_id).update(soft_bounces=3)

    assert post(esp, payload(message, T0)) == 200

    message, contact = state(message)
    assert message.delivered_at == T0
    assert contact.soft_bounces == 0
    event = MessageEvent.objects.get()
    assert (event.message, event.esp_name, event.event_type) == (message, esp, "delivered")
    assert (event.timestamp, event.recipient) == (T0, message.address)
    assert event.event_id or esp == "Postmark"  # Postmark ids only its bounces


@pytest.mark.parametrize("esp", ["Postmark", "Mailgun", "Amazon SES"])
def test_a_message_is_found_by_its_esp_id_without_metadata(message, esp):
    message = sent_with(message, esp)
    payload = {
        "Postmark": lambda: postmark("Delivery", message, T0, Metadata={}),
        "Mailgun": lambda: mailgun("delivered", message, T0, metadata=False),
        "Amazon SES": lambda: ses("Delivery", message, T0, metadata=False),
    }[esp]()

    assert post(esp, payload) == 200

    assert state(message)[0].delivered_at == T0
    assert MessageEvent.objects.get().message == message


def test_metadata_finds_a_message_whose_esp_id_was_never_recorded(message):
    # Sent, but the process died before the ESP's id was written (status "review").
    Message.objects.filter(pk=message.pk).update(esp_message_id="", status=MessageStatus.REVIEW)

    assert post("Postmark", postmark("Delivery", message, T0, MessageID="abc-123")) == 200

    assert state(message)[0].delivered_at == T0


def test_an_esp_id_is_matched_only_for_the_esp_that_sent_the_message(message):
    message = sent_with(message, "Mailgun")
    payload = postmark("Delivery", message, T0, Metadata={})  # Postmark, the same id

    assert post("Postmark", payload) == 200

    assert state(message)[0].delivered_at is None
    assert MessageEvent.objects.get().message is None


def test_metadata_contradicted_by_the_esp_id_is_not_trusted(message):
    # Same metadata, another email: e.g. a staging copy sending through the same account.
    message = sent_with(message, "Postmark")

    assert post("Postmark", postmark("Delivery", message, T0, MessageID="other-id")) == 200

    assert state(message)[0].delivered_at is None
    assert MessageEvent.objects.get().message is None


def test_the_first_open_is_kept_whatever_the_order(message):
    message = sent_with(message, "Postmark")

    assert post("Postmark", postmark("Open", message, T0 + 5 * MINUTE)) == 200
    assert post("Postmark", postmark("Open", message, T0 + 2 * MINUTE)) == 200
    assert post("Postmark", postmark("Open", message, T0 + 9 * MINUTE)) == 200

    assert state(message)[0].opened_at == T0 + 2 * MINUTE
    assert MessageEvent.objects.filter(message=message, event_type="opened").count() == 3


@pytest.mark.parametrize("esp", ["Postmark", "Mailgun", "Amazon SES"])
def test_a_click_before_its_open_arrives_keeps_the_last_click(message, esp):
    message = sent_with(message, esp)

    assert post(esp, CLICK[esp](message, T0 + 3 * MINUTE)) == 200
    assert post(esp, CLICK[esp](message, T0 + 10 * MINUTE)) == 200
    assert post(esp, CLICK[esp](message, T0 + 5 * MINUTE)) == 200  # an older click, late
    assert post(esp, OPEN[esp](message, T0 + MINUTE)) == 200

    message = state(message)[0]
    assert message.clicked_at == T0 + 10 * MINUTE
    assert message.opened_at == T0 + MINUTE


# Bounces, complaints, unsubscribes ------------------------------------------------------


@pytest.mark.parametrize(
    ("esp", "payload"),
    [
        ("Postmark", lambda m, at: postmark("Bounce", m, at)),
        ("Mailgun", lambda m, at: mailgun_failed(m, at, "permanent", "bounce")),
        ("Amazon SES", lambda m, at: ses("Bounce", m, at)),
    ],
)
def test_a_hard_bounce_suppresses_and_later_opens_change_nothing_else(message, esp, payload):
    message = sent_with(message, esp)

    assert post(esp, payload(message, T0)) == 200
    assert post(esp, payload(message, T0 - MINUTE)) == 200  # an earlier report, late
    assert post(esp, OPEN[esp](message, T0 + MINUTE)) == 200
    assert post(esp, CLICK[esp](message, T0 + 2 * MINUTE)) == 200

    message, contact = state(message)
    assert message.bounced_at == T0 - MINUTE
    assert (message.opened_at, message.clicked_at) == (T0 + MINUTE, T0 + 2 * MINUTE)
    assert (contact.suppressed_at, contact.suppression_reason) == (T0, Suppression.HARD_BOUNCE)
    assert contact.soft_bounces == 0


def test_an_invalid_address_reported_by_the_esp_suppresses_as_invalid(message):
    message = sent_with(message, "Postmark")

    assert post("Postmark", postmark("Bounce", message, T0, Type="BadEmailAddress")) == 200

    contact = state(message)[1]
    assert contact.suppression_reason == Suppression.INVALID


@pytest.mark.parametrize(
    ("esp", "payload"),
    [
        ("Postmark", lambda m, at: postmark("SpamComplaint", m, at)),
        ("Mailgun", lambda m, at: mailgun("complained", m, at)),
        ("Amazon SES", lambda m, at: ses("Complaint", m, at)),
    ],
)
def test_a_complaint_suppresses(message, esp, payload):
    message = sent_with(message, esp)

    assert post(esp, payload(message, T0)) == 200

    message, contact = state(message)
    assert message.complained_at == T0
    assert (contact.suppressed_at, contact.suppression_reason) == (T0, Suppression.COMPLAINT)


def test_an_earlier_suppression_keeps_its_reason(message):
    message = sent_with(message, "Postmark")
    Contact.objects.filter(pk=message.contact_id).update(
        suppressed_at=T0 - MINUTE, suppression_reason=Suppression.MANUAL
    )

    assert post("Postmark", postmark("SpamComplaint", message, T0)) == 200

    message, contact = state(message)
    assert message.complained_at == T0
    assert (contact.suppressed_at, contact.suppression_reason) == (
        T0 - MINUTE,
        Suppression.MANUAL,
    )


@pytest.mark.parametrize(
    ("esp", "payload"),
    [
        ("Postmark", lambda m, at: postmark("SubscriptionChange", m, at)),
        ("Mailgun", lambda m, at: mailgun("unsubscribed", m, at)),
    ],
)
def test_an_esp_unsubscribe_unsubscribes_and_suppresses(message, esp, payload):
    message = sent_with(message, esp)

    assert post(esp, payload(message, T0)) == 200

    message, contact = state(message)
    assert message.unsubscribed_at == T0
    assert (contact.unsubscribed_at, contact.unsubscribe_reason) == (T0, f"esp: {esp}")
    assert (contact.suppressed_at, contact.suppression_reason) == (
        T0,
        Suppression.ESP_UNSUBSCRIBE,
    )


def test_a_postmark_resubscribe_lifts_nothing(message):
    message = sent_with(message, "Postmark")
    post("Postmark", postmark("SubscriptionChange", message, T0))

    again = postmark("SubscriptionChange", message, T0 + MINUTE, SuppressSending=False)
    assert post("Postmark", again) == 200

    contact = state(message)[1]
    assert contact.unsubscribed_at == T0
    assert contact.suppression_reason == Suppression.ESP_UNSUBSCRIBE
    assert MessageEvent.objects.latest("timestamp").event_type == "subscribed"


# Soft bounces ---------------------------------------------------------------------------


def soft_bounce(esp: str, message: Message, at: datetime) -> dict[str, Any]:
    return {
        "Postmark": lambda: postmark("Bounce", message, at, Type="SoftBounce"),
        "Mailgun": lambda: mailgun_failed(message, at, "temporary", "generic"),
        "Amazon SES": lambda: ses(
            "Bounce", message, at, bounceType="Transient", bounceSubType="MailboxFull"
        ),
    }[esp]()


def messages_in_a_row(first: Message, esp: str, count: int) -> list[Message]:
    messages = [sent_with(first, esp)]
    while len(messages) < count:
        messages.append(add_message(messages[-1], esp))
    return messages


@pytest.mark.parametrize("esp", ["Postmark", "Mailgun", "Amazon SES"])
def test_seven_soft_bounces_in_a_row_suppress(message, esp):
    messages = messages_in_a_row(message, esp, 7)

    for n, m in enumerate(messages[:6]):
        assert post(esp, soft_bounce(esp, m, T0 + n * MINUTE)) == 200
    contact = state(message)[1]
    assert (contact.soft_bounces, contact.suppressed_at) == (6, None)
    assert all(m.bounced_at is None for m in Message.objects.all())  # soft: not a bounce

    assert post(esp, soft_bounce(esp, messages[6], T0 + 6 * MINUTE)) == 200

    contact = state(message)[1]
    assert contact.soft_bounces == 7
    assert (contact.suppressed_at, contact.suppression_reason) == (
        T0 + 6 * MINUTE,
        Suppression.SOFT_BOUNCES,
    )


def test_a_delivery_between_soft_bounces_starts_the_count_again(message):
    messages = messages_in_a_row(message, "Postmark", 13)
    for n, m in enumerate(messages[:6]):
        post("Postmark", soft_bounce("Postmark", m, T0 + n * MINUTE))

    assert post("Postmark", postmark("Delivery", messages[6], T0 + 6 * MINUTE)) == 200
    for n, m in enumerate(messages[7:], start=7):
        post("Postmark", soft_bounce("Postmark", m, T0 + n * MINUTE))

    contact = state(message)[1]
    assert (contact.soft_bounces, contact.suppressed_at) == (6, None)


def test_mailgun_retries_of_one_message_count_once(message):
    message = sent_with(message, "Mailgun")
    for attempt in range(8):  # greylisting, then "mailbox full" for hours
        payload = mailgun_failed(message, T0 + attempt * MINUTE, "temporary", "generic")
        assert post("Mailgun", payload) == 200

    contact = state(message)[1]
    assert (contact.soft_bounces, contact.suppressed_at) == (1, None)
    assert MessageEvent.objects.filter(event_type="deferred").count() == 8


def test_a_deferral_reported_after_the_delivery_is_not_counted(message):
    message = sent_with(message, "Mailgun")

    post("Mailgun", mailgun("delivered", message, T0 + MINUTE))
    post("Mailgun", mailgun_failed(message, T0, "temporary", "generic"))

    assert state(message)[1].soft_bounces == 0


# Duplicates, unknown messages, failures -------------------------------------------------


@pytest.mark.parametrize(
    ("esp", "payload"),
    [
        ("Postmark", lambda m, at: postmark("Bounce", m, at, Type="SoftBounce")),
        ("Postmark", lambda m, at: postmark("Open", m, at)),  # no event id at all
        ("Mailgun", lambda m, at: mailgun_failed(m, at, "temporary", "generic")),
        ("Amazon SES", lambda m, at: ses("Bounce", m, at, bounceType="Transient")),
    ],
)
def test_the_same_event_posted_twice_changes_nothing_the_second_time(message, esp, payload):
    message = sent_with(message, esp)
    body = payload(message, T0)

    assert post(esp, body) == 200
    before = snapshot(message)
    assert post(esp, body) == 200

    assert snapshot(message) == before
    assert len(before[2]) == 1
    assert before[1]["soft_bounces"] == (0 if "Open" in str(body) else 1)


def test_an_event_for_an_unknown_message_is_kept_unattached(message):
    unknown = Message(pk=10**9, address="nobody@example.com", esp_message_id="f00-ba7")

    assert post("Postmark", postmark("Delivery", unknown, T0)) == 200

    event = MessageEvent.objects.get()
    assert (event.message, event.event_type, event.recipient) == (
        None,
        "delivered",
        "nobody@example.com",
    )
    assert state(message)[0].delivered_at is None


def test_a_failing_receiver_answers_200_and_leaves_nothing_half_done(message, monkeypatch):
    message = sent_with(message, "Postmark")

    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tracking, "_apply", broken)

    assert post("Postmark", postmark("Bounce", message, T0)) == 200
    assert not MessageEvent.objects.exists()  # rolled back: the ESP's retry will be applied


@pytest.mark.parametrize(
    ("esp", "payload", "missing", "wrong"),
    [
        ("Postmark", lambda m, at: postmark("Bounce", m, at), 400, 400),
        ("Mailgun", lambda m, at: mailgun_failed(m, at, "permanent", "bounce"), 400, 400),
        # SNS sends basic auth only after a 401 asking for it.
        ("Amazon SES", lambda m, at: ses("Bounce", m, at), 401, 400),
    ],
)
def test_posts_without_the_secret_are_refused_and_change_nothing(
    message, esp, payload, missing, wrong
):
    message = sent_with(message, esp)
    body = payload(message, T0)

    assert post(esp, body, secret=None) == missing
    assert post(esp, body, secret="tests-webhook:guessed") == wrong

    message, contact = state(message)
    assert not MessageEvent.objects.exists()
    assert (message.bounced_at, contact.suppressed_at) == (None, None)


def test_a_mailgun_post_with_a_forged_signature_is_refused(message):
    message = sent_with(message, "Mailgun")
    body = mailgun_failed(message, T0, "permanent", "bounce")
    body["signature"]["signature"] = "0" * 64

    assert post("Mailgun", body) == 400

    assert not MessageEvent.objects.exists()
    assert state(message)[1].suppressed_at is None


def test_the_receiver_is_connected_once():
    from anymail.signals import tracking as signal

    receivers = [r for r in signal.receivers if r[0][0] == "remarket.mail.tracking"]
    assert len(receivers) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_webhooks_arriving_at_once_lose_no_update(message):
    """Real concurrency (PostgreSQL): retries of one message, six other messages, opens."""
    messages = messages_in_a_row(message, "Mailgun", 7)
    first = messages[0]
    payloads = [mailgun_failed(first, T0 + n * MINUTE, "temporary", "generic") for n in range(6)]
    payloads += [mailgun_failed(m, T0, "temporary", "generic") for m in messages[1:]]
    payloads += [mailgun("opened", first, T0 + n * MINUTE) for n in (9, 4, 7, 5)]
    barrier = threading.Barrier(len(payloads))

    def deliver(payload: dict[str, Any]) -> int:
        try:
            barrier.wait(timeout=30)
            return post("Mailgun", payload)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        assert set(pool.map(deliver, payloads)) == {200}

    first, contact = state(first)
    assert MessageEvent.objects.count() == len(payloads)
    assert contact.soft_bounces == 7  # the six retries of the first message count once
    assert contact.suppression_reason == Suppression.SOFT_BOUNCES
    assert first.opened_at == T0 + 4 * MINUTE
