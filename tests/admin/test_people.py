"""The contact admin: timeline, unsubscribe / resubscribe, JSON export and erasure."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from remarket.flows.models import Enrollment
from remarket.mail.models import Message
from remarket.people.history import ChangeKind, ChangeSource, ContactConsentChange
from remarket.people.models import Consent, ConsentSource, Contact, Suppression
from tests.people.factories import bulk_messages, make_flow, person

pytestmark = pytest.mark.django_db

EMAIL = "ann@example.com"


def staff(username: str, *codenames: str) -> Client:
    """A logged-in staff client holding exactly these ``remarket`` permissions."""
    user = get_user_model().objects.create_user(username, f"{username}@shop.example", "pw")
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="remarket", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner() -> Client:
    """A shop owner who looks after people: every contact and message permission."""
    return staff("owner", "view_contact", "change_contact", "delete_contact", "view_message")


@pytest.fixture
def viewer() -> Client:
    return staff("viewer", "view_contact")


def url(name: str, contact: Contact) -> str:
    return reverse(f"admin:remarket_contact_{name}", args=[contact.pk])


def test_the_contact_page_shows_the_whole_timeline(owner):
    ann = person(EMAIL)
    message = Message.objects.filter(contact=ann).order_by("step__position").first()

    page = owner.get(url("change", ann)).content.decode()

    assert "Storefront event view_item" in page
    assert "Entered the flow Flow cart" in page
    assert "Ann Example, your cart is waiting" in page
    assert f"Ordered o-{ann.pk}: 42.00 EUR" in page
    assert "consent granted (checkout)" in page
    assert reverse("admin:remarket_message_change", args=[message.pk]) in page
    assert "view the email as sent" in page


def test_without_the_message_permission_the_timeline_has_no_email_links(viewer):
    ann = person(EMAIL)

    page = viewer.get(url("change", ann)).content.decode()

    assert "Ann Example, your cart is waiting" in page
    assert "view the email as sent" not in page
    assert url("unsubscribe", ann) not in page  # the button needs change_contact
    assert url("erase", ann) not in page


def test_a_long_timeline_costs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    short = person(EMAIL, flow=make_flow("short", steps=2))
    long = person("bob@example.com", flow=make_flow("long", steps=120))
    owner.get(url("change", short))  # warm the session and content types

    # Session, user, contact x 2, permissions x 2, and one query per kind of entry.
    with django_assert_max_num_queries(11) as few:
        assert owner.get(url("change", short)).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = owner.get(url("change", long))
    assert page.status_code == 200
    assert page.content.decode().count("view the email as sent") == 50  # the newest 50
    assert len(many.captured_queries) == len(few.captured_queries)


def test_unsubscribe_from_the_contact_page_records_who_did_it(owner):
    ann = person(EMAIL)

    response = owner.post(url("unsubscribe", ann))

    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.unsubscribed_at is not None
    change = ContactConsentChange.objects.filter(contact=ann).latest("created_at")
    assert (change.kind, change.source, change.staff_name) == (
        ChangeKind.UNSUBSCRIBED,
        ChangeSource.ADMIN,
        "owner",
    )
    assert owner.get(url("unsubscribe", ann)).status_code == 405  # only a POST changes things


def test_resubscribe_records_the_admin_as_consent_source(owner):
    ann = person(EMAIL)
    owner.post(url("unsubscribe", ann))

    response = owner.post(url("resubscribe", ann), follow=True)

    ann.refresh_from_db()
    assert ann.unsubscribed_at is None
    assert (ann.consent, ann.consent_source) == (Consent.GRANTED, ConsentSource.ADMIN)
    change = ContactConsentChange.objects.filter(contact=ann).latest("created_at")
    assert (change.kind, change.source, change.staff.username) == (
        ChangeKind.RESUBSCRIBED,
        ChangeSource.ADMIN,
        "owner",
    )
    assert "subscribed again" in response.content.decode()
    assert "resubscribed (admin)" in response.content.decode()  # on the timeline


def test_resubscribing_a_suppressed_address_says_it_stays_suppressed(owner):
    ann = person(EMAIL)
    Contact.objects.filter(pk=ann.pk).update(
        unsubscribed_at=ann.created_at,
        suppressed_at=ann.created_at,
        suppression_reason=Suppression.COMPLAINT,
    )

    page = owner.post(url("resubscribe", ann), follow=True).content.decode()

    assert "stays suppressed (spam complaint)" in page
    ann.refresh_from_db()
    assert ann.suppressed_at is not None
    assert not ann.is_reachable


def test_viewing_is_not_enough_to_unsubscribe_or_erase(viewer):
    ann = person(EMAIL)

    assert viewer.post(url("unsubscribe", ann)).status_code == 403
    assert viewer.post(url("resubscribe", ann)).status_code == 403
    assert viewer.get(url("erase", ann)).status_code == 403
    assert viewer.post(url("erase", ann)).status_code == 403
    ann.refresh_from_db()
    assert ann.unsubscribed_at is None
    assert ann.erased_at is None


def test_the_export_is_a_json_download_of_everything(viewer):
    ann = person(EMAIL)

    response = viewer.get(url("export", ann))

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="contact-{ann.pk}.json"'
    data = json.loads(response.content)
    assert data["contact"]["email"] == EMAIL
    assert len(data["messages"]) == 2
    assert data["enrollments"][0]["snapshot"]["name"] == "Ann Example"


def test_no_export_without_the_view_permission():
    ann = person(EMAIL)
    client = staff("flows-only", "view_flow")

    assert client.get(url("export", ann)).status_code == 403


def test_erase_asks_first_then_erases(owner):
    ann = person(EMAIL)

    confirm = owner.get(url("erase", ann)).content.decode()
    assert "Erase everything personal remarket holds about ann@example.com?" in confirm
    assert "Kept, anonymous: 2 emails" in confirm
    assert Contact.objects.get(pk=ann.pk).erased_at is None  # asking changed nothing

    page = owner.post(url("erase", ann), follow=True).content.decode()

    ann.refresh_from_db()
    assert ann.erased_at is not None
    assert "Ann Example" not in page
    assert f"erased-{ann.pk}@erased.invalid" in page
    assert "the figures still count it" in page
    assert Message.objects.filter(contact=ann).count() == 2
    assert url("erase", ann) not in page  # no second erasure offered


def test_the_stock_delete_is_off_because_it_would_delete_the_figures(owner):
    ann = person(EMAIL)

    assert owner.post(reverse("admin:remarket_contact_delete", args=[ann.pk])).status_code == 403
    assert Enrollment.objects.filter(contact=ann).exists()
    changelist = owner.get(reverse("admin:remarket_contact_changelist")).content.decode()
    assert "delete_selected" not in changelist


def test_consent_is_read_only_on_the_form(owner):
    ann = person(EMAIL)

    page = owner.get(url("change", ann)).content.decode()

    assert 'name="name"' in page
    assert 'name="consent"' not in page
    assert 'name="unsubscribed_at"' not in page


def test_list_actions_unsubscribe_and_resubscribe_many(owner):
    flow = make_flow()
    contacts = bulk_messages(3, flow)
    changelist = reverse("admin:remarket_contact_changelist")
    chosen = [str(c.pk) for c in contacts[:2]]

    owner.post(changelist, {"action": "unsubscribe_selected", "_selected_action": chosen})

    assert Contact.objects.filter(unsubscribed_at__isnull=False).count() == 2
    response = owner.post(
        changelist,
        {"action": "resubscribe_selected", "_selected_action": chosen},
        follow=True,
    )
    assert "2 contacts subscribed again" in response.content.decode()
    assert Contact.objects.filter(consent_source=ConsentSource.ADMIN).count() == 2
    assert ContactConsentChange.objects.filter(staff_name="owner").count() == 4


def test_the_list_searches_and_filters(owner):
    person(EMAIL)
    person("bob@example.com", flow=make_flow("bob"), name="Bob")
    Contact.objects.filter(email="bob@example.com").update(
        unsubscribed_at=Contact.objects.get(email="bob@example.com").created_at
    )
    changelist = reverse("admin:remarket_contact_changelist")

    found = owner.get(changelist, {"q": "ann@"}).content.decode()
    unsubscribed = owner.get(changelist, {"reach": "unsubscribed"}).content.decode()

    assert EMAIL in found
    assert "bob@example.com" not in found
    assert "bob@example.com" in unsubscribed
    assert EMAIL not in unsubscribed


@pytest.mark.parametrize("rows", [10, 1000])
def test_the_contact_list_costs_the_same_queries_for_10_or_1000(
    owner, rows, django_assert_max_num_queries
):
    bulk_messages(rows, make_flow())
    changelist = reverse("admin:remarket_contact_changelist")
    owner.get(changelist)

    # Session, user, 2 x permissions, the count, the page.
    with django_assert_max_num_queries(6):
        response = owner.get(changelist)

    assert response.status_code == 200
    assert response.content.decode().count("bulk-") >= min(rows, 100)


def test_the_contact_page_renders_right_to_left_in_persian(owner):
    ann = person(EMAIL)

    page = owner.get(url("change", ann), HTTP_ACCEPT_LANGUAGE="fa").content.decode()

    assert 'dir="rtl"' in page
    assert 'id="timeline"' in page
    assert "remarket/admin/people.css" in page  # the buttons' own rules, RTL included


@pytest.mark.parametrize("action", ["export", "erase", "unsubscribe", "resubscribe"])
def test_a_tampered_contact_id_is_a_404(admin_client, action):
    assert admin_client.get(f"/admin/remarket/contact/abc/{action}/").status_code in {404, 405}
    assert admin_client.post(f"/admin/remarket/contact/abc/{action}/").status_code == 404
