"""Export everything about a person; erase the person and keep the anonymous figures."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone

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
from remarket.people.visitors import ConsentChannel, ConsentChoice, ConsentRecord, Visitor
from remarket.shop.models import CartEmail, PushedCart, PushedOrder
from remarket.tracking.models import AudienceMatch, AudienceRule
from tests.people.factories import make_flow, person, snapshot

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


def _browser_traces(contact: Contact) -> None:
    """What the tracking and push rooms keep about a person: two browsers of theirs, the
    consent choices made in them, the audiences they joined, a pushed cart and order."""
    email, pk = contact.email, contact.pk
    # v-<pk> is the browser of the person's activity; w-<pk> a second, linked one.
    Visitor.objects.create(
        key=f"v-{pk}",
        contact=contact,
        click_ids={"gclid": f"g-{pk}", "utm_source": "news"},
        landing_path=f"/offers/?ref={pk}",
    )
    Visitor.objects.create(key=f"w-{pk}", contact=contact, click_ids={"fbclid": f"f-{pk}"})
    ConsentRecord.objects.create(
        receipt=f"r-{pk}",
        visitor_key=f"v-{pk}",
        contact=contact,
        choice=ConsentChoice.GRANTED,
        source=ConsentChannel.BANNER,
    )
    # Chosen before the person was known: only the browser id ties it to them.
    ConsentRecord.objects.create(
        receipt=f"s-{pk}",
        visitor_key=f"w-{pk}",
        choice=ConsentChoice.DENIED,
        source=ConsentChannel.BANNER,
    )
    offers = AudienceRule.objects.get_or_create(
        name="offer-page-3x", defaults={"kind": AudienceRule.Kind.URL_VISITS, "url_pattern": "/o/"}
    )[0]
    cart = AudienceRule.objects.get_or_create(
        name="cart-no-buy", defaults={"kind": AudienceRule.Kind.CART_WITHOUT_PURCHASE}
    )[0]
    AudienceMatch.objects.create(rule=offers, visitor_id=f"v-{pk}", contact=contact)
    AudienceMatch.objects.create(rule=cart, visitor_id=f"v-{pk}", contact=contact)
    AudienceMatch.objects.create(rule=offers, visitor_id=f"w-{pk}")  # not linked yet
    now = timezone.now()
    PushedCart.objects.create(
        key=f"pc-{pk}",
        email=email,
        last_activity=now,
        total=Decimal("42.00"),
        currency="EUR",
        snapshot=snapshot(email, contact.name),
    )
    PushedOrder.objects.create(
        key=f"po-{pk}",
        cart_key=f"pc-{pk}",
        email=email,
        placed_at=now,
        total=Decimal("42.00"),
        currency="EUR",
        snapshot=snapshot(email, contact.name),
    )


def test_the_export_holds_the_persons_browsers_consent_choices_audiences_and_pushes():
    flow = make_flow()
    contact = person(EMAIL, flow=flow)
    _browser_traces(contact)
    _browser_traces(person("bob@example.com", flow=flow, name="Bob"))

    data = json.loads(export_json(contact))

    assert [(v["visitor_id"], v["click_ids"]) for v in data["visitors"]] == [
        (f"v-{contact.pk}", {"gclid": f"g-{contact.pk}", "utm_source": "news"}),
        (f"w-{contact.pk}", {"fbclid": f"f-{contact.pk}"}),
    ]
    assert data["visitors"][0]["landing_path"] == f"/offers/?ref={contact.pk}"
    assert {(r["choice"], r["visitor_id"]) for r in data["consent_records"]} == {
        ("granted", f"v-{contact.pk}"),
        ("denied", f"w-{contact.pk}"),
    }
    assert sorted((m["audience"], m["visitor_id"]) for m in data["audience_matches"]) == [
        ("cart-no-buy", f"v-{contact.pk}"),
        ("offer-page-3x", f"v-{contact.pk}"),
        ("offer-page-3x", f"w-{contact.pk}"),
    ]
    assert all(m["at"] for m in data["audience_matches"])
    (cart,) = data["pushed_carts"]
    assert (cart["cart_key"], cart["snapshot"]["email"]) == (f"pc-{contact.pk}", EMAIL)
    (order,) = data["pushed_orders"]
    assert (order["order_key"], Decimal(order["total"]), order["snapshot"]["name"]) == (
        f"po-{contact.pk}",
        Decimal("42.00"),
        "Ann Example",
    )
    assert "bob@example.com" not in json.dumps(data)


def test_the_export_costs_the_same_queries_however_long_the_history(
    django_assert_max_num_queries,
):
    flow = make_flow("many", steps=30)
    contact = person(EMAIL, flow=flow)
    _browser_traces(contact)

    with django_assert_max_num_queries(15):
        data = export_contact(contact)

    assert len(data["messages"]) == 30
    assert len(data["audience_matches"]) == 3


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
        "audiences": list(
            AudienceMatch.objects.values("rule__name").annotate(n=Count("pk")).order_by("rule")
        ),
        "consent_choices": list(
            ConsentRecord.objects.values("choice", "source").annotate(n=Count("pk")).order_by()
        ),
        "pushed_carts": PushedCart.objects.aggregate(n=Count("pk"), total=Sum("total")),
        "pushed_orders": PushedOrder.objects.aggregate(n=Count("pk"), total=Sum("total")),
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


def test_erasing_removes_the_person_from_browsers_consent_audiences_and_pushes():
    flow = make_flow()
    ann = person(EMAIL, flow=flow)
    bob = person("bob@example.com", flow=flow, name="Bob")
    _browser_traces(ann)
    _browser_traces(bob)
    before = _figures()
    ann_browsers = {f"v-{ann.pk}", f"w-{ann.pk}"}

    report = erase_contact(ann)

    assert _figures() == before
    assert (report.visitors, report.consent_records, report.audience_matches) == (2, 2, 3)
    assert (report.pushed_carts, report.pushed_orders) == (1, 1)
    # The visitor rows held only the link, click ids and landing page: gone.
    assert not Visitor.objects.filter(Q(contact=ann) | Q(key__in=ann_browsers)).exists()
    assert list(Visitor.objects.values_list("key", flat=True).order_by("key")) == [
        f"v-{bob.pk}",
        f"w-{bob.pk}",
    ]
    # Consent stays as evidence, naming nobody.
    records = ConsentRecord.objects.filter(receipt__in=[f"r-{ann.pk}", f"s-{ann.pk}"])
    assert sorted((r.choice, r.source, r.contact_id, r.visitor_key) for r in records) == [
        ("denied", "banner", None, ""),
        ("granted", "banner", None, ""),
    ]
    assert not ConsentRecord.objects.filter(
        Q(contact=ann) | Q(visitor_key__in=ann_browsers)
    ).exists()
    # Audience matches still count, under ids of no one.
    assert not AudienceMatch.objects.filter(
        Q(contact=ann) | Q(visitor_id__in=ann_browsers)
    ).exists()
    anonymous = AudienceMatch.objects.filter(contact__isnull=True, visitor_id__startswith="erased-")
    assert sorted(m.visitor_id for m in anonymous) == sorted(f"erased-{m.pk}" for m in anonymous)
    assert anonymous.count() == 3
    # Pushed carts and orders keep their totals, not the person.
    pushed = [PushedCart.objects.get(key=f"pc-{ann.pk}")]
    pushed.append(PushedOrder.objects.get(key=f"po-{ann.pk}"))
    for row in pushed:
        assert row.email == ""
        assert [row.snapshot[key] for key in ("email", "name", "user_id")] == ["", "", ""]
        assert row.snapshot["note"] == ""
        assert row.snapshot["lines"][0]["name"] == "Blue mug"
        assert row.total == Decimal("42.00")
    assert EMAIL not in json.dumps(
        [list(PushedCart.objects.values("snapshot")), list(PushedOrder.objects.values("snapshot"))]
    )
    ann.refresh_from_db()
    assert EMAIL not in export_json(ann)
    # Bob keeps all of his.
    assert Visitor.objects.filter(contact=bob).count() == 2
    bob_browsers = [f"v-{bob.pk}", f"w-{bob.pk}"]
    assert ConsentRecord.objects.filter(visitor_key__in=bob_browsers).count() == 2
    assert AudienceMatch.objects.filter(visitor_id__in=bob_browsers).count() == 3
    assert PushedOrder.objects.get(key=f"po-{bob.pk}").snapshot["email"] == "bob@example.com"


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
