"""Going live is a deliberate, permitted act; pausing is one click."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from remarket.flows.models import Enrollment, EnrollmentState, FlowStatus
from remarket.flows.tick import run_tick
from remarket.people.models import Consent, Contact
from tests.flows.conftest import make_flow

pytestmark = pytest.mark.django_db


def publish_url(flow) -> str:
    return reverse("admin:remarket_flow_publish", args=[flow.pk])


def pause_url(flow) -> str:
    return reverse("admin:remarket_flow_pause", args=[flow.pk])


def abandoned(shop, *emails: str) -> None:
    two_hours_ago = timezone.now() - timedelta(hours=2)
    for email in emails:
        shop.cart(email=email, touched=two_hours_ago)


def test_the_confirmation_says_how_many_people_match_and_enrolls_nobody(shop, publisher_client):
    flow = make_flow(live=False)
    abandoned(shop, "ann@example.com", "bob@example.com", "cy@example.com")
    Contact.objects.create(email="cy@example.com", unsubscribed_at=timezone.now())
    contacts = set(Contact.objects.values_list("email", flat=True))

    page = publisher_client.get(publish_url(flow)).content.decode()

    assert "About 2 people match this trigger today." in page
    assert 'id="remarket-confirm-publish"' in page
    assert Enrollment.objects.count() == 0
    assert set(Contact.objects.values_list("email", flat=True)) == contacts
    flow.refresh_from_db()
    assert flow.status == FlowStatus.DRAFT


def test_confirming_puts_the_flow_live_and_the_next_tick_enrolls_those_people(
    shop, publisher_client
):
    flow = make_flow(live=False)
    abandoned(shop, "ann@example.com", "bob@example.com")
    Contact.objects.bulk_create(
        Contact(email=email, consent=Consent.GRANTED)
        for email in ("ann@example.com", "bob@example.com")
    )

    response = publisher_client.post(publish_url(flow))

    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.status == FlowStatus.LIVE
    assert LogEntry.objects.filter(object_id=str(flow.pk)).exists()
    assert run_tick().enrolled == 2  # what the page announced is what happened


def test_a_builder_sees_no_publish_button_and_cannot_go_live(builder_client):
    flow = make_flow(live=False)

    page = builder_client.get(reverse("admin:remarket_flow_change", args=[flow.pk]))

    assert page.status_code == 200
    assert 'id="remarket-publish"' not in page.content.decode()
    assert builder_client.get(publish_url(flow)).status_code == 403
    assert builder_client.post(publish_url(flow)).status_code == 403
    flow.refresh_from_db()
    assert flow.status == FlowStatus.DRAFT


def test_a_publisher_sees_the_go_live_link(publisher_client):
    flow = make_flow(live=False)

    page = publisher_client.get(reverse("admin:remarket_flow_change", args=[flow.pk]))

    assert f'href="{publish_url(flow)}" id="remarket-publish"' in page.content.decode()


def test_a_flow_without_steps_or_with_a_broken_step_cannot_go_live(publisher_client):
    empty = make_flow(slug="empty", delays=(), live=False)
    broken = make_flow(slug="broken", live=False)
    broken.steps.update(body="{% if %}")

    for flow, problem in [(empty, "Add at least one step"), (broken, "Step 1: Line 1:")]:
        page = publisher_client.get(publish_url(flow)).content.decode()
        assert problem in page
        assert 'id="remarket-confirm-publish"' not in page
        publisher_client.post(publish_url(flow))
        flow.refresh_from_db()
        assert flow.status == FlowStatus.DRAFT


def test_pausing_is_one_click_for_a_builder_and_people_waiting_then_leave(builder_client):
    flow = make_flow()
    ann = Contact.objects.create(email="ann@example.com")
    Enrollment.objects.create(
        flow=flow,
        contact=ann,
        subject_type="cart",
        subject_key="1",
        triggered_at=timezone.now(),
        next_step=flow.steps.get(),
        next_run_at=timezone.now() + timedelta(hours=1),
    )

    assert builder_client.get(pause_url(flow)).status_code == 405  # never on a mere GET
    response = builder_client.post(pause_url(flow), follow=True)

    assert "The 1 person waiting leaves it at the next run." in response.content.decode()
    flow.refresh_from_db()
    assert flow.status == FlowStatus.PAUSED
    run_tick()
    assert Enrollment.objects.get().state == EnrollmentState.EXITED


def test_a_paused_flow_is_resumed_through_the_same_confirmation(publisher_client):
    flow = make_flow(live=False)
    flow.status = FlowStatus.PAUSED
    flow.save()

    page = publisher_client.get(reverse("admin:remarket_flow_change", args=[flow.pk]))

    assert "Resume…" in page.content.decode()


def test_the_pause_action_pauses_every_selected_live_flow(builder_client):
    live = [make_flow(slug=f"live-{n}") for n in range(2)]
    draft = make_flow(slug="draft", live=False)

    builder_client.post(
        reverse("admin:remarket_flow_changelist"),
        {"action": "pause_flows", "_selected_action": [f.pk for f in [*live, draft]]},
    )

    assert sorted(type(draft).objects.values_list("slug", "status").order_by("slug")) == [
        ("draft", "draft"),
        ("live-0", "paused"),
        ("live-1", "paused"),
    ]


def test_a_tampered_id_is_a_polite_404(publisher_client):
    for url in ("/admin/remarket/flow/abc/publish/", "/admin/remarket/flow/999/publish/"):
        assert publisher_client.get(url).status_code == 404
    assert publisher_client.post("/admin/remarket/flow/abc/pause/").status_code == 404
    assert publisher_client.get("/admin/remarket/step/abc/preview/").status_code == 404
