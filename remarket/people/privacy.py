"""A person's rights over what remarket holds: a copy of it all, and erasure.

:func:`export_contact` gathers everything remarket keeps about one contact;
:func:`erase_contact` removes the personal part and keeps the anonymous rest, so the
shop's figures (sent, opened, converted, revenue) stay what they were. The admin uses
both; shop code may call them too (e.g. from its own "delete my account" view).

Erasure has to reach every room (messages, enrollments, conversions), while ``people/``
must not import ``flows/`` or ``mail/`` (DESIGN: dependencies point down). So these two
functions look the other rooms' models up through the app registry at call time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, Replace
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from remarket.people.activity import Activity
from remarket.people.history import (
    ChangeKind,
    ChangeSource,
    ContactConsentChange,
    ErasedAddress,
    address_digest,
    record_change,
)
from remarket.people.models import Contact, Suppression

#: Top-level keys of a cart or order snapshot that name or identify the person.
PERSONAL_KEYS = frozenset(
    {"email", "name", "first_name", "last_name", "phone", "address", "user_id", "username"}
)
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox


def _model(name: str) -> Any:
    return apps.get_model("remarket", name)


def _dates(row: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def export_contact(contact: Contact) -> dict[str, Any]:
    """Everything remarket holds about ``contact``, as plain JSON-ready data.

    Fourteen queries, however long the person's history.
    """
    message_model, enrollment_model = _model("Message"), _model("Enrollment")
    # The person's browsers: a subquery, so the rows below cost no query of their own.
    visitor_keys = _model("Visitor").objects.filter(contact=contact).values("key")
    messages = (
        message_model.objects.filter(contact=contact)
        .select_related("step__flow")
        .prefetch_related("events")
        .order_by("created_at", "pk")
    )
    enrollments = (
        enrollment_model.objects.filter(contact=contact)
        .select_related("flow")
        .order_by("created_at", "pk")
    )
    return {
        "format": "django-remarket contact export 1",
        "exported_at": timezone.now(),
        "contact": {
            "email": contact.email,
            "name": contact.name,
            "user_account": contact.user.get_username() if contact.user else None,
            "language": contact.locale,
            "time_zone": contact.timezone,
            "consent": contact.consent,
            "consent_source": contact.consent_source,
            **_dates(contact, "consent_at", "unsubscribed_at"),
            "unsubscribe_reason": contact.unsubscribe_reason,
            "suppressed_at": contact.suppressed_at,
            "suppression_reason": contact.suppression_reason,
            "soft_bounces": contact.soft_bounces,
            **_dates(contact, "erased_at", "created_at", "updated_at"),
        },
        "consent_history": [
            {
                "change": change.kind,
                "source": change.source,
                "by_staff": change.staff_name,
                "detail": change.detail,
                "at": change.created_at,
            }
            for change in ContactConsentChange.objects.filter(contact=contact).order_by(
                "created_at", "pk"
            )
        ],
        "activities": [
            {
                "event": activity.kind,
                "product_id": activity.product_id,
                "visitor_id": activity.visitor_id,
                "data": activity.data,
                "at": activity.created_at,
            }
            for activity in Activity.objects.filter(contact=contact).order_by("created_at", "pk")
        ],
        "enrollments": [
            {
                "flow": enrollment.flow.name,
                "subject_type": enrollment.subject_type,
                "subject_key": enrollment.subject_key,
                "state": enrollment.state,
                "exit_reason": enrollment.exit_reason,
                "snapshot": enrollment.snapshot,
                **_dates(enrollment, "triggered_at", "created_at", "finished_at"),
            }
            for enrollment in enrollments
        ],
        "messages": [
            {
                "flow": message.step.flow.name,
                "step": message.step.position,
                "address": message.address,
                "subject": message.subject,
                "status": message.status,
                "coupon_code": message.coupon_code,
                **_dates(
                    message,
                    "created_at",
                    "sent_at",
                    "delivered_at",
                    "opened_at",
                    "clicked_at",
                    "bounced_at",
                    "complained_at",
                    "unsubscribed_at",
                ),
                "events": [
                    {"event": event.event_type, "at": event.timestamp}
                    for event in sorted(message.events.all(), key=lambda e: e.timestamp)
                ],
            }
            for message in messages
        ],
        "conversions": [
            {
                "order_key": conversion.order_key,
                "value": conversion.value,
                "currency": conversion.currency,
                "placed_at": conversion.placed_at,
                "attributed_flow": conversion.flow.name if conversion.flow else None,
                "rule": conversion.rule,
            }
            for conversion in _model("Conversion")
            .objects.filter(contact=contact)
            .select_related("flow")
            .order_by("placed_at", "pk")
        ],
        "flows_left": [
            {"flow": opt_out.flow.name, "at": opt_out.created_at}
            for opt_out in _model("FlowOptOut")
            .objects.filter(contact=contact)
            .select_related("flow")
            .order_by("created_at")
        ],
        "captured_cart_emails": [
            {"cart_key": row.cart_key, "captured_at": row.captured_at}
            for row in _model("CartEmail").objects.filter(email=contact.email).order_by("pk")
        ],
        "visitors": [
            {
                "visitor_id": visitor.key,
                "click_ids": visitor.click_ids,
                "landing_path": visitor.landing_path,
                "first_seen": visitor.created_at,
                "updated_at": visitor.updated_at,
            }
            for visitor in _model("Visitor").objects.filter(contact=contact).order_by("pk")
        ],
        "consent_records": [
            {
                "choice": record.choice,
                "source": record.source,
                "gpc": record.gpc,
                "visitor_id": record.visitor_key,
                "receipt": record.receipt,
                "at": record.created_at,
            }
            for record in _model("ConsentRecord")
            .objects.filter(Q(contact=contact) | Q(visitor_key__in=visitor_keys))
            .order_by("created_at", "pk")
        ],
        "audience_matches": [
            {"audience": match.rule.name, "visitor_id": match.visitor_id, "at": match.matched_at}
            for match in _model("AudienceMatch")
            .objects.filter(Q(contact=contact) | Q(visitor_id__in=visitor_keys))
            .select_related("rule")
            .order_by("matched_at", "pk")
        ],
        "pushed_carts": [
            {
                "cart_key": cart.key,
                "state": cart.state,
                "total": cart.total,
                "currency": cart.currency,
                "last_activity": cart.last_activity,
                "snapshot": cart.snapshot,
            }
            for cart in _model("PushedCart").objects.filter(email=contact.email).order_by("pk")
        ],
        "pushed_orders": [
            {
                "order_key": order.key,
                "cart_key": order.cart_key,
                "total": order.total,
                "currency": order.currency,
                "placed_at": order.placed_at,
                "snapshot": order.snapshot,
            }
            for order in _model("PushedOrder")
            .objects.filter(email=contact.email)
            .order_by("placed_at", "pk")
        ],
    }


def export_json(contact: Contact) -> str:
    """:func:`export_contact` as indented JSON text (times in ISO 8601, money as strings)."""
    return json.dumps(export_contact(contact), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class Erasure:
    """What :func:`erase_contact` changed, row counts by kind."""

    contact_id: int
    messages: int = 0
    enrollments: int = 0
    activities: int = 0
    events: int = 0
    cart_emails: int = 0
    visitors: int = 0
    consent_records: int = 0
    audience_matches: int = 0
    pushed_carts: int = 0
    pushed_orders: int = 0
    already_erased: bool = False


def scrub(snapshot: Any, email: str) -> Any:
    """A copy of a cart or order snapshot without the person.

    The person's own keys (:data:`PERSONAL_KEYS`) are blanked at the top, where cart and
    order snapshots keep them (a line's ``name`` is a product's); any text anywhere that
    contains the address is blanked too.
    """
    if isinstance(snapshot, dict):
        return {
            key: _blank(item) if key in PERSONAL_KEYS else _without(item, email)
            for key, item in snapshot.items()
        }
    return _without(snapshot, email)


def _blank(value: Any) -> Any:
    return None if value is None or isinstance(value, int) else ""


def _without(value: Any, email: str) -> Any:
    if isinstance(value, dict):
        return {key: _without(item, email) for key, item in value.items()}
    if isinstance(value, list):
        return [_without(item, email) for item in value]
    if isinstance(value, str) and email and email in value.lower():
        return ""
    return value


#: What erasure blanks on each of the person's messages.
_BLANK = {
    "address": "",
    "subject": "",
    "body_text": "",
    "body_html": "",
    "coupon_code": "",
    "esp_message_id": "",
}


@transaction.atomic
def erase_contact(
    contact: Contact, *, staff: Any = None, source: str = ChangeSource.API
) -> Erasure:
    """Remove ``contact``'s personal data in one transaction; keep the anonymous figures.

    The contact row stays as an anonymous tombstone (``erased-<id>@erased.invalid``,
    unsubscribed and suppressed), so every message, enrollment and conversion still
    counts where it counted. Blanked: name, address, account link, language, time zone;
    each message's address, subject, bodies, coupon and provider id; tracking events'
    recipient and detail; the person from enrollment snapshots and keys; activities'
    link to the person and their browser; consent records' and audience matches' link to
    the person and their browser (the choice, its time and the match counts stay); the
    address and the person's keys in pushed carts and orders; the admin's change history
    of the contact. Captured cart emails and the person's visitor rows (click ids,
    landing page) are deleted. A keyed
    hash of the address is kept so the address, if it comes back, starts unsubscribed.
    Calling it again on an erased contact only blanks an email that was being sent
    during the erasure and stored its content afterwards.
    """
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    message_model = _model("Message")
    messages = message_model.objects.filter(contact=contact)
    if contact.erased_at is not None:
        # An email in flight during the erasure stores its content when it finishes:
        # erasing again blanks it.
        stragglers = messages.exclude(subject="", body_text="", body_html="", address="")
        return Erasure(contact.pk, messages=stragglers.update(**_BLANK), already_erased=True)
    now = timezone.now()
    email = contact.email
    enrollment_model = _model("Enrollment")
    # A deferred email must not go out later (values of MessageStatus / EnrollmentState).
    messages.filter(status="scheduled").update(status="skipped", reason="erased")
    touched = messages.update(
        **_BLANK,
        # Failure reasons may quote the provider's reply, which can name the address.
        reason=Replace("reason", Value(email), Value("")),
    )
    events = (
        _model("MessageEvent")
        .objects.filter(Q(message__contact=contact) | Q(recipient__iexact=email))
        .update(recipient="", detail="")
    )
    enrollments = list(enrollment_model.objects.filter(contact=contact))
    for enrollment in enrollments:
        enrollment.snapshot = scrub(enrollment.snapshot, email)
        # Keys can be the address itself (a lapse is keyed by email).
        enrollment.subject_key = f"erased-{enrollment.pk}"
        if enrollment.state == "active":
            enrollment.state, enrollment.exit_reason = "exited", "erased"
            enrollment.next_run_at, enrollment.finished_at = None, now
    enrollment_model.objects.bulk_update(
        enrollments,
        ["snapshot", "subject_key", "state", "exit_reason", "next_run_at", "finished_at"],
        batch_size=500,
    )
    visitor_model, consent_model = _model("Visitor"), _model("ConsentRecord")
    match_model = _model("AudienceMatch")
    # Every browser id known to be the person's, wherever it was recorded.
    visitors = {
        *Activity.objects.filter(contact=contact).values_list("visitor_id", flat=True),
        *visitor_model.objects.filter(contact=contact).values_list("key", flat=True),
        *consent_model.objects.filter(contact=contact).values_list("visitor_key", flat=True),
        *match_model.objects.filter(contact=contact).values_list("visitor_id", flat=True),
    } - {""}
    activities = Activity.objects.filter(Q(contact=contact) | Q(visitor_id__in=visitors)).update(
        contact=None, visitor_id="", data={}
    )
    # Nothing points at a visitor row; it holds only the link, click ids and landing page.
    visitor_rows, _by_model = visitor_model.objects.filter(
        Q(contact=contact) | Q(key__in=visitors)
    ).delete()
    # The choice, its source and time stay as evidence that consent was asked for.
    consent_records = consent_model.objects.filter(
        Q(contact=contact) | Q(visitor_key__in=visitors)
    ).update(contact=None, visitor_key="")
    # Each match stays (audience counts), under an id unique per row (one match per rule
    # and visitor id) that names nobody.
    audience_matches = match_model.objects.filter(
        Q(contact=contact) | Q(visitor_id__in=visitors)
    ).update(
        contact=None,
        visitor_id=Concat(Value("erased-"), Cast(F("pk"), CharField()), output_field=CharField()),
    )
    pushed = {}
    for name in ("PushedCart", "PushedOrder"):
        # Pushed by a headless shop: remarket is the only holder of these rows.
        rows = list(_model(name).objects.filter(email=email))
        for row in rows:
            row.email, row.snapshot = "", scrub(row.snapshot, email)
        _model(name).objects.bulk_update(rows, ["email", "snapshot"], batch_size=500)
        pushed[name] = len(rows)
    cart_emails, _by_model = _model("CartEmail").objects.filter(email=email).delete()
    ErasedAddress.objects.get_or_create(digest=address_digest(email))
    Contact.objects.filter(pk=contact.pk).update(
        email=f"erased-{contact.pk}@{ERASED_DOMAIN}",
        name="",
        user=None,
        locale="",
        timezone="",
        unsubscribed_at=contact.unsubscribed_at or now,
        unsubscribe_reason=str(_("personal data erased")),
        suppressed_at=contact.suppressed_at or now,
        suppression_reason=contact.suppression_reason or Suppression.ERASED,
        erased_at=now,
        updated_at=now,
    )
    if apps.is_installed("django.contrib.admin"):
        # The admin's history names the object as it was: "ann@example.com".
        from django.contrib.admin.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact.pk)
        ).update(object_repr=f"erased-{contact.pk}@{ERASED_DOMAIN}")
    record_change(contact.pk, ChangeKind.ERASED, source, at=now, staff=staff)
    return Erasure(
        contact.pk,
        messages=touched,
        enrollments=len(enrollments),
        activities=activities,
        events=events,
        cart_emails=cart_emails,
        visitors=visitor_rows,
        consent_records=consent_records,
        audience_matches=audience_matches,
        pushed_carts=pushed["PushedCart"],
        pushed_orders=pushed["PushedOrder"],
    )
