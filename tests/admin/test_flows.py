"""The flow builder: steps inline and in order, delays in human units, trigger settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from remarket.flows.models import Enrollment, Flow, FlowStatus, Step
from remarket.people.models import Contact
from tests.admin.builder import existing_steps, flow_data, step_fields
from tests.admin.conftest import BUILDER_PERMISSIONS, client_for, make_staff
from tests.flows.conftest import make_flow

pytestmark = pytest.mark.django_db
ADD = reverse("admin:remarket_flow_add")
HELLO = "<p>Hi {{ contact.name }}</p>{% for line in cart.lines %}{{ line.name }}{% endfor %}"


def change_url(flow: Flow) -> str:
    return reverse("admin:remarket_flow_change", args=[flow.pk])


def test_a_builder_creates_a_two_step_flow_with_delays_in_human_units(builder_client):
    response = builder_client.post(
        ADD,
        flow_data(
            step_fields(0, subject="Your cart", body=HELLO, delay=(45, "minutes")),
            step_fields(1, subject="Still there?", body=HELLO, delay=(2, "days")),
            idle=(90, "minutes"),
            cooldown=(14, "days"),
            cart_abandoned__min_value="20",
        ),
    )

    assert response.status_code == 302, response.content.decode()
    flow = Flow.objects.get(slug="abandoned-cart")
    assert flow.status == FlowStatus.DRAFT
    assert flow.trigger_settings == {"idle_minutes": 90, "min_value": "20", "max_age_days": 7}
    assert flow.reentry_cooldown == timedelta(days=14)
    steps = list(flow.steps.order_by("position"))
    assert [(s.position, s.subject, s.delay) for s in steps] == [
        (1, "Your cart", timedelta(minutes=45)),
        (2, "Still there?", timedelta(days=2)),
    ]


def test_the_add_page_offers_every_triggers_settings_and_units(builder_client):
    page = builder_client.get(ADD).content.decode()

    assert 'class="module aligned trigger-settings trigger-cart_abandoned"' in page
    assert 'name="customer_lapsed__days"' in page
    assert 'name="steps-1-subject"' in page  # room for two steps from the start
    assert '<option value="86400">days</option>' in page
    assert "{{ cart.lines }}" in page  # the variables panel


def test_a_stored_duration_shows_in_its_largest_whole_unit(builder_client):
    flow = make_flow(delays=(timedelta(hours=36), timedelta(days=2)), live=False)

    page = builder_client.get(change_url(flow)).content.decode()

    assert 'name="steps-0-delay_0" value="36"' in page
    assert '<option value="3600" selected>hours</option>' in page
    assert 'name="steps-1-delay_0" value="2"' in page


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("cart_abandoned__idle_minutes_0", "0", "at least one minute"),
        ("cart_abandoned__idle_minutes_0", "soon", "Enter a valid duration"),
        ("cart_abandoned__min_value", "-5", "greater than or equal to 0"),
        ("cart_abandoned__max_age_days", "", "This field is required"),
    ],
)
def test_trigger_settings_are_validated(builder_client, field, value, error):
    data = flow_data(step_fields(0, subject="Hi", body=HELLO), **{field: value})

    response = builder_client.post(ADD, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Flow.objects.exists()


def test_only_the_chosen_triggers_settings_are_read(builder_client):
    data = flow_data(
        step_fields(0, subject="We miss you", body="<p>Hi</p>"),
        trigger="customer_lapsed",
        customer_lapsed__days="45",
        order_placed__min_value="not a number",
    )

    response = builder_client.post(ADD, data)

    assert response.status_code == 302
    flow = Flow.objects.get()
    assert flow.trigger_settings == {"days": 45, "max_age_days": 30}


def test_a_template_error_shows_inline_with_its_line_and_nothing_is_saved(builder_client):
    broken = "<p>Hi</p>\n{% for line in cart.lines %}\n{{ line.name }}"
    data = flow_data(
        step_fields(0, subject="Your cart", body=HELLO),
        step_fields(1, subject="Still there?", body=broken),
    )

    response = builder_client.post(ADD, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2:" in page
    assert "endfor" in page
    assert not Flow.objects.exists()


def test_steps_are_reordered_without_typing_numbers_twice(builder_client):
    flow = make_flow(delays=(timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)))
    first, second, third = flow.steps.order_by("position")
    rows = existing_steps(flow, **{"0": {"position": "3"}, "1": {"position": "1"}})
    rows[2]["steps-2-position"] = "2"

    response = builder_client.post(
        change_url(flow), flow_data(*rows, initial=3, name=flow.name, slug=flow.slug)
    )

    assert response.status_code == 302, response.content.decode()
    assert list(flow.steps.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        third.pk,
        first.pk,
    ]


def test_deleting_a_step_closes_the_gap(builder_client):
    flow = make_flow(delays=(timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)))
    rows = existing_steps(flow, **{"0": {"DELETE": "on"}})

    response = builder_client.post(
        change_url(flow), flow_data(*rows, initial=3, name=flow.name, slug=flow.slug)
    )

    assert response.status_code == 302, response.content.decode()
    assert list(flow.steps.order_by("position").values_list("position", "delay")) == [
        (1, timedelta(hours=2)),
        (2, timedelta(hours=3)),
    ]


def test_a_step_people_wait_for_cannot_be_deleted_and_the_page_says_why(builder_client):
    flow = make_flow(delays=(timedelta(hours=1), timedelta(hours=2)))
    first = flow.steps.get(position=1)
    ann = Contact.objects.create(email="ann@example.com")
    Enrollment.objects.create(
        flow=flow,
        contact=ann,
        subject_type="cart",
        subject_key="1",
        triggered_at=flow.created_at,
        next_step=first,
    )
    rows = existing_steps(flow, **{"0": {"DELETE": "on"}})

    response = builder_client.post(
        change_url(flow), flow_data(*rows, initial=2, name=flow.name, slug=flow.slug)
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Step 1 cannot be deleted: 1 person is waiting for it." in page
    assert "Pause the flow first" in page
    assert 'id="remarket-pause"' in page  # the pause button it offers is right there
    assert Step.objects.filter(pk=first.pk).exists()


def test_a_live_flow_can_still_be_edited(builder_client):
    flow = make_flow()
    rows = existing_steps(flow, **{"0": {"subject": "New subject for {{ contact.name }}"}})

    response = builder_client.post(
        change_url(flow), flow_data(*rows, initial=1, name=flow.name, slug=flow.slug)
    )

    assert response.status_code == 302
    assert flow.steps.get().subject == "New subject for {{ contact.name }}"
    flow.refresh_from_db()
    assert flow.status == FlowStatus.LIVE  # the form cannot change the status


def test_the_status_is_not_a_form_field(builder_client):
    flow = make_flow(live=False)
    data = flow_data(*existing_steps(flow), initial=1, name=flow.name, slug=flow.slug)

    builder_client.post(change_url(flow), {**data, "status": "live"})

    flow.refresh_from_db()
    assert flow.status == FlowStatus.DRAFT


def test_a_user_without_flow_permissions_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(user)

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, flow_data()).status_code == 403


def test_the_flow_page_shows_its_figures_to_who_may_see_figures(builder_client):
    flow = make_flow()
    reader = client_for(make_staff("reader", *BUILDER_PERMISSIONS, "view_flowreport"))

    assert 'id="remarket-flow-figures"' in reader.get(change_url(flow)).content.decode()
    assert 'id="remarket-flow-figures"' not in builder_client.get(change_url(flow)).content.decode()
