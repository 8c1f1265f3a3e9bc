"""Export everything about a person; erase the person and keep the anonymous figures."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum

from remarket.flows.models import Enrollment, EnrollmentState, ExitReason
from remarket.insights.figures import dashboard_report
from remarket.insights.models import Conversion
from remarket.mail.models import Message, MessageEvent, MessageStatus
from remarket.people import privacy
from remarket.people.activity import Activity
from remarket.people.history import ChangeKind, ContactConsentChange, ErasedAddress
from remarket.people.models import Contact, Suppression
from remarket.people.privacy import erase_contact, export_contact, export_json
from remarket.people.services import contacts_for_emails, get_or_create_contact
from remarket.shop.models import CartEmail
from tests.people.factories import make_flow, person

pytestmark = pytest.mark.django_db

EMAIL = "ann@example.com"


def test_the_export_holds_everything_remarket_keeps_about_the_person():
    contact = person(EMAIL)

    data = json.loads(export_json(contact))

    assert data["contact"]["email"] == EMAIL
    assert data["contact"]["name"] == "Ann Example"
    assert data["contact"]["consent"] == "granted"
    assert [c["change"] for c in data["consent_history"]] == ["granted"]
    assert {a["event"] for a in data["activities"]} == {"view_item"}
    (enrollment,) = data["enrollments"]
    assert enrollment["flow"] == "Flow cart"
    assert enrollment["snapshot"]["email"] == EMAIL
    assert enrollment["snapshot"]["lines"][0]["name"] == "Blue mug"
    assert [m["subject"] for m in data["messages"]] == ["Ann Example, your cart is waiting"] * 2
    assert data["messages"][0]["status"] == "sent"
    assert data["messages"][0]["opened_at"] is not None
    assert data["messages"][0]["events"][0]["event"] == "delivered"
    assert data["conversions"] == [
        {
            "order_key": f"o-{contact.pk}",
            "value": "42.00",
            "currency": "EUR",
            "placed_at": data["conversions"][0]["placed_at"],
            "attributed_flow": "Flow cart",
            "rule": "click",
        }
    ]
    assert data["captured_cart_emails"][0]["cart_key"] == f"c-{contact.pk}"


def test_the_export_costs_the_same_queries_however_long_the_history(
    django_assert_max_num_queries,
):
    flow = make_flow("many", steps=30)
    contact = person(EMAIL, flow=flow)

    with django_assert_max_num_queries(10):
        data = export_contact(contact)

    assert len(data["messages"]) == 30


def _figures() -> dict:
    """The shop's figures as plain aggregates over every table the dashboard reads."""
    messages = Message.objects.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=MessageStatus.SENT)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    )
    per_flow = list(
        Message.objects.values("step__flow", "step", "status").annotate(n=Count("pk")).order_by()
    )
    conversions = Conversion.objects.aggregate(n=Count("pk"), revenue=Sum("value"))
    attributed = list(
        Conversion.objects.values("flow", "message", "rule").annotate(n=Count("pk")).order_by()
    )
    enrolled = list(Enrollment.objects.values("flow").annotate(n=Count("pk")).order_by())
    return {
        "messages": messages,
        "per_flow": sorted(per_flow, key=repr),
        "conversions": conversions,
        "attributed": sorted(attributed, key=repr),
        "enrolled": enrolled,
        "contacts": Contact.objects.count(),
        "events": list(MessageEvent.objects.values("event_type").annotate(n=Count("pk"))),
    }


def test_erasing_keeps_every_figure_and_removes_the_person():
    flow = make_flow()
    ann = person(EMAIL, flow=flow)
    person("bob@example.com", flow=flow, name="Bob")
    staff = get_user_model().objects.create_user("kim", "kim@shop.example", "pw")
    LogEntry.objects.log_actions(
        staff.pk, [ann], CHANGE, change_message="Changed name.", single_object=True
    )
    before = _figures()

    report = erase_contact(ann, staff=staff)

    assert _figures() == before
    assert Conversion.objects.aggregate(Sum("value"))["value__sum"] == Decimal("84.00")
    ann.refresh_from_db()
    assert ann.email == f"erased-{ann.pk}@erased.invalid"
    assert (ann.name, ann.locale, ann.timezone, ann.user_id) == ("", "", "", None)
    assert ann.erased_at is not None
    assert not ann.is_reachable
    assert ann.suppression_reason == Suppression.ERASED
    assert report.messages == 2
    assert report.enrollments == 1
    assert report.activities == 2
    for message in Message.objects.filter(contact=ann):
        assert (message.address, message.subject, message.body_text, message.body_html) == (
            "",
            "",
            "",
            "",
        )
        assert (message.coupon_code, message.esp_message_id) == ("", "")
    assert not MessageEvent.objects.filter(message__contact=ann).exclude(recipient="").exists()
    enrollment = Enrollment.objects.get(contact=ann)
    assert enrollment.snapshot["email"] == ""
    assert enrollment.snapshot["name"] == ""
    assert enrollment.snapshot["note"] == ""  # held the address inside a sentence
    assert enrollment.snapshot["lines"][0]["name"] == "Blue mug"  # a product, not a person
    assert enrollment.snapshot["total"] == "42.00"
    assert not Activity.objects.filter(visitor_id=f"v-{ann.pk}").exists()
    assert Activity.objects.filter(contact__isnull=True, kind="page_view").count() >= 1
    assert not CartEmail.objects.filter(email=EMAIL).exists()
    assert LogEntry.objects.get(object_id=str(ann.pk)).object_repr == ann.email
    change = ContactConsentChange.objects.filter(contact=ann).latest("created_at")
    assert (change.kind, change.staff_name) == (ChangeKind.ERASED, "kim")
    # Nothing anywhere still spells the address, not even the export of the tombstone.
    assert EMAIL not in export_json(ann)
    assert not ErasedAddress.objects.filter(digest__icontains="ann").exists()
    # Bob is untouched.
    assert Contact.objects.get(email="bob@example.com").name == "Bob"


def test_an_active_enrollment_ends_and_a_deferred_email_never_leaves():
    ann = person(EMAIL)
    enrollment = Enrollment.objects.get(contact=ann)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        state=EnrollmentState.ACTIVE, finished_at=None
    )
    Message.objects.filter(contact=ann, step__position=2).update(
        status=MessageStatus.SCHEDULED, sent_at=None, reason="quiet_hours"
    )

    erase_contact(ann)

    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.exit_reason) == (
        EnrollmentState.EXITED,
        ExitReason.ERASED,
    )
    assert enrollment.next_run_at is None
    assert Message.objects.get(contact=ann, step__position=2).status == MessageStatus.SKIPPED


def test_erasure_is_one_transaction(monkeypatch):
    ann = person(EMAIL)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy, "record_change", fail)
    with pytest.raises(RuntimeError):
        erase_contact(ann)

    ann.refresh_from_db()
    assert ann.email == EMAIL
    assert ann.erased_at is None
    assert Message.objects.filter(contact=ann, address=EMAIL).count() == 2
    assert not ErasedAddress.objects.exists()


def test_erasing_again_only_blanks_an_email_that_was_in_flight():
    ann = person(EMAIL)
    erase_contact(ann)
    # A tick that was handing step 2 to the ESP during the erasure records it afterwards.
    Message.objects.filter(contact=ann, step__position=2).update(
        address=EMAIL, subject="Ann, your cart", body_html="<p>Ann</p>"
    )

    again = erase_contact(ann)

    assert again.already_erased
    assert again.messages == 1
    assert not Message.objects.filter(contact=ann).exclude(address="").exists()
    assert not Message.objects.filter(contact=ann).exclude(body_html="").exists()
    assert ContactConsentChange.objects.filter(contact=ann, kind=ChangeKind.ERASED).count() == 1


def test_an_erased_address_that_comes_back_starts_unsubscribed():
    erase_contact(person(EMAIL))

    (returning,) = contacts_for_emails([EMAIL]).values()

    returning.refresh_from_db()
    assert returning.unsubscribed_at is not None
    assert not returning.is_reachable
    change = ContactConsentChange.objects.get(contact=returning)
    assert (change.kind, change.source) == ("unsubscribed", "erasure")
    assert not ErasedAddress.objects.exists()  # used once; the new row remembers now


def test_a_single_capture_of_an_erased_address_is_unsubscribed_too():
    erase_contact(person(EMAIL))

    contact, created = get_or_create_contact("Ann@Example.com")

    assert created
    assert contact.unsubscribed_at is not None


def test_other_addresses_are_not_touched_by_an_erasure():
    erase_contact(person(EMAIL))

    contacts = contacts_for_emails(["new@example.com"])

    assert contacts["new@example.com"].unsubscribed_at is None
    assert ErasedAddress.objects.count() == 1


def test_the_dashboard_shows_the_same_figures_after_an_erasure():
    flow = make_flow()
    ann = person(EMAIL, flow=flow)
    person("bob@example.com", flow=flow, name="Bob")
    before = dashboard_report()

    erase_contact(ann)

    after = dashboard_report()
    assert after.total == before.total
    assert [f.figures for f in after.flows] == [f.figures for f in before.flows]
    assert after.total.sent == 4
    assert after.total.revenue == {"EUR": Decimal("84.00")}
