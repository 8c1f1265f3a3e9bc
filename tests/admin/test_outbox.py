"""Enrollment and message lists: filters, search, read-only, and the email as sent."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from remarket.flows.models import Enrollment, EnrollmentState, ExitReason
from remarket.mail.models import Message, MessageStatus
from tests.people.factories import bulk_messages, make_flow, person

pytestmark = pytest.mark.django_db

MESSAGES = reverse("admin:remarket_message_changelist")
ENROLLMENTS = reverse("admin:remarket_enrollment_changelist")
CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; sandbox"


def staff(username: str, *codenames: str) -> Client:
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
def viewer() -> Client:
    return staff("viewer", "view_message", "view_enrollment", "view_contact")


@pytest.fixture
def editor() -> Client:
    """Even the change and delete permissions edit nothing here."""
    return staff(
        "editor",
        "view_message",
        "change_message",
        "delete_message",
        "add_message",
        "view_enrollment",
        "change_enrollment",
        "delete_enrollment",
    )


def rows(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_messages_filter_by_flow_status_reason_and_date_and_search_by_email(viewer):
    cart, winback = make_flow("cart"), make_flow("winback")
    person("ann@example.com", flow=cart)
    person("bob@example.com", flow=winback, name="Bob")
    Message.objects.filter(address="bob@example.com", step__position=2).update(
        status=MessageStatus.SKIPPED, reason="frequency_cap"
    )

    by_flow = rows(viewer, MESSAGES, step__flow__id__exact=str(cart.pk))
    skipped = rows(viewer, MESSAGES, status__exact="skipped")
    capped = rows(viewer, MESSAGES, reason="frequency_cap")
    searched = rows(viewer, MESSAGES, q="bob@")
    week = html.unescape(re.findall(r'href="(\?created_at__gte=[^"]+)"', rows(viewer, MESSAGES))[1])
    Message.objects.filter(address="bob@example.com").update(
        created_at=timezone.now() - timedelta(days=40)
    )
    past_week = rows(viewer, MESSAGES + week)

    assert "ann@example.com" in by_flow
    assert "bob@example.com" not in by_flow
    assert "bob@example.com" in skipped
    assert "ann@example.com" not in skipped
    assert "bob@example.com" in capped
    assert "ann@example.com" not in capped
    assert "bob@example.com" in searched
    assert "ann@example.com" not in searched
    assert "ann@example.com" in past_week
    assert "bob@example.com" not in past_week
    assert "frequency cap" in rows(viewer, MESSAGES)  # the reason filter's choices


def test_enrollments_filter_by_flow_state_and_reason_and_search_by_email(viewer):
    cart, winback = make_flow("cart"), make_flow("winback")
    ann = person("ann@example.com", flow=cart)
    person("bob@example.com", flow=winback, name="Bob")
    Enrollment.objects.filter(contact=ann).update(
        state=EnrollmentState.EXITED, exit_reason=ExitReason.ORDERED
    )

    by_flow = rows(viewer, ENROLLMENTS, flow__id__exact=str(winback.pk))
    exited = rows(viewer, ENROLLMENTS, state__exact="exited")
    ordered = rows(viewer, ENROLLMENTS, exit_reason__exact="ordered")
    searched = rows(viewer, ENROLLMENTS, q="ann@example")

    assert "bob@example.com" in by_flow
    assert "ann@example.com" not in by_flow
    assert "ann@example.com" in exited
    assert "bob@example.com" not in exited
    assert "ann@example.com" in ordered
    assert "ann@example.com" in searched
    assert "bob@example.com" not in searched


def test_nothing_here_can_be_added_edited_or_deleted(editor):
    ann = person("ann@example.com")
    message = Message.objects.filter(contact=ann).first()
    enrollment = Enrollment.objects.get(contact=ann)
    change = reverse("admin:remarket_message_change", args=[message.pk])

    page = rows(editor, change)
    posted = editor.post(change, {"subject": "rewritten", "status": "failed"})

    assert 'name="subject"' not in page  # shown, not editable
    assert posted.status_code == 403
    message.refresh_from_db()
    assert message.subject == "Ann Example, your cart is waiting"
    assert editor.get(reverse("admin:remarket_message_add")).status_code == 403
    assert (
        editor.post(reverse("admin:remarket_message_delete", args=[message.pk])).status_code == 403
    )
    assert (
        editor.post(
            reverse("admin:remarket_enrollment_change", args=[enrollment.pk]), {"state": "active"}
        ).status_code
        == 403
    )
    assert (
        editor.post(reverse("admin:remarket_enrollment_delete", args=[enrollment.pk])).status_code
        == 403
    )
    assert Message.objects.filter(contact=ann).count() == 2


def test_the_email_as_sent_is_served_locked_down(viewer):
    ann = person("ann@example.com")
    message = Message.objects.filter(contact=ann).first()

    page = rows(viewer, reverse("admin:remarket_message_change", args=[message.pk]))
    body = viewer.get(reverse("admin:remarket_message_body", args=[message.pk]))

    src = reverse("admin:remarket_message_body", args=[message.pk])
    assert f'<iframe sandbox src="{src}"' in page
    assert "parent.pwned" not in page  # the HTML only ever reaches the sandboxed frame
    assert "Hi Ann Example, your mug is waiting." in page  # the text part, beside it
    assert body.content.decode() == message.body_html
    assert body["Content-Type"] == "text/html; charset=utf-8"
    assert body["Content-Security-Policy"] == CSP
    assert body["X-Frame-Options"] == "SAMEORIGIN"


def test_without_html_the_text_body_is_shown(viewer):
    ann = person("ann@example.com")
    message = Message.objects.filter(contact=ann).first()
    Message.objects.filter(pk=message.pk).update(body_html="")

    page = rows(viewer, reverse("admin:remarket_message_change", args=[message.pk]))
    body = viewer.get(reverse("admin:remarket_message_body", args=[message.pk]))

    assert "<iframe" not in page
    assert "Hi Ann Example, your mug is waiting." in page
    assert body["Content-Type"] == "text/plain; charset=utf-8"
    assert body["Content-Security-Policy"] == CSP


def test_the_email_needs_the_view_message_permission():
    ann = person("ann@example.com")
    message = Message.objects.filter(contact=ann).first()
    contacts_only = staff("contacts", "view_contact")

    response = contacts_only.get(reverse("admin:remarket_message_body", args=[message.pk]))

    assert response.status_code == 403
    assert (
        Client().get(reverse("admin:remarket_message_body", args=[message.pk])).status_code == 302
    )


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize("url", [MESSAGES, ENROLLMENTS], ids=["messages", "enrollments"])
def test_lists_cost_the_same_queries_for_10_or_1000_rows(
    viewer, count, url, django_assert_max_num_queries
):
    bulk_messages(count, make_flow())
    viewer.get(url)  # the session and content types, once

    # Session, user, 2 x permissions, the flows of the filter, the count, the page.
    with django_assert_max_num_queries(7):
        page = rows(viewer, url)

    assert page.count("bulk-") >= min(count, 100)


@pytest.mark.parametrize("path", ["message/abc/body/", "message/999999/body/"])
def test_a_tampered_message_id_is_a_404(admin_client, path):
    assert admin_client.get(f"/admin/remarket/{path}").status_code == 404
