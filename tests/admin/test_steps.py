"""The step editor: the variables its trigger offers, inline errors, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from remarket.admin.variables import variables_for
from remarket.admin.widgets import DurationWidget, describe_duration, split_duration
from remarket.flows.context import email_context
from remarket.flows.models import Step, Trigger
from remarket.people.models import Contact
from remarket.shop import get_adapter
from tests.admin.conftest import client_for, make_staff
from tests.flows.conftest import make_flow

pytestmark = pytest.mark.django_db


def editor_url(step: Step) -> str:
    return reverse("admin:remarket_step_change", args=[step.pk])


def editor_data(step: Step, **values: str) -> dict[str, str]:
    return {
        "delay_0": "1",
        "delay_1": "3600",
        "subject": step.subject,
        "preheader": step.preheader,
        "body": step.body,
        "condition": "{}",
        "coupon_kind": "",
        "coupon_value": "",
        "coupon_days": "3",
        **values,
    }


@pytest.mark.parametrize(
    ("trigger", "offered", "not_offered"),
    [
        (Trigger.CART_ABANDONED, "cart.lines", "order.lines"),
        (Trigger.ORDER_PLACED, "order.lines", "cart.lines"),
        (Trigger.CUSTOMER_LAPSED, "last_order_at", "cart.total"),
        (Trigger.PRODUCT_VIEWED, "products", "links.cart_url"),
    ],
)
def test_the_help_panel_lists_the_variables_of_the_flows_trigger(
    builder_client, trigger, offered, not_offered
):
    step = make_flow(trigger).steps.get()

    page = builder_client.get(editor_url(step)).content.decode()

    assert f"<code>{{{{ {offered} }}}}</code>" in page
    assert f"<code>{{{{ {not_offered} }}}}</code>" not in page
    assert "<code>{{ contact.name }}</code>" in page


@pytest.mark.parametrize("trigger", Trigger.values)
def test_every_listed_variable_exists_in_the_email_context(shop, trigger):
    step = make_flow(trigger).steps.get()
    step.body = "{{ recommendations }}"
    context = email_context(
        subject_type={"cart_abandoned": "cart"}.get(trigger, "order"),
        snapshot={},
        contact=Contact(email="ann@example.com"),
        cart=None,
        step=step,
        adapter=get_adapter(),
        coupon=None,
        message_id=None,
    )

    for name, _text in variables_for(trigger):
        root, _dot, attribute = name.partition(".")
        assert root in context, name
        if isinstance(context[root], dict) and attribute:
            assert attribute in context[root], name


def test_a_template_error_shows_under_its_field_with_the_line(builder_client):
    step = make_flow().steps.get()
    body = "<p>Hi</p>\n<p>{{ contact.name|nosuchfilter }}</p>"

    response = builder_client.post(editor_url(step), editor_data(step, body=body))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: Invalid filter: &#x27;nosuchfilter&#x27;" in page
    step.refresh_from_db()
    assert "nosuchfilter" not in step.body


def test_saving_a_step_goes_back_to_its_flow(builder_client):
    step = make_flow().steps.get()

    response = builder_client.post(
        editor_url(step), editor_data(step, subject="Hello {{ contact.name }}", delay_0="2")
    )

    assert response["Location"] == reverse("admin:remarket_flow_change", args=[step.flow_id])
    step.refresh_from_db()
    assert (step.subject, step.delay) == ("Hello {{ contact.name }}", timedelta(hours=2))


def test_steps_are_not_listed_alone_and_follow_the_flow_permissions(builder_client):
    step = make_flow().steps.get()
    index = builder_client.get(reverse("admin:index")).content.decode()

    assert "/admin/remarket/flow/" in index
    assert "/admin/remarket/step/" not in index
    assert builder_client.get(reverse("admin:remarket_step_changelist")).status_code == 302
    viewer = client_for(make_staff("viewer", "view_flow"))
    assert viewer.get(editor_url(step)).status_code == 200
    assert viewer.post(editor_url(step), editor_data(step, subject="x")).status_code == 403
    nobody = client_for(make_staff("nobody"))
    assert nobody.get(editor_url(step)).status_code == 403


def test_durations_are_shown_and_read_in_human_units():
    widget = DurationWidget()

    assert split_duration(timedelta(days=2)) == ("2", 86400)
    assert split_duration(timedelta(minutes=90)) == ("90", 60)
    assert describe_duration(timedelta(hours=1)) == "1 hour"
    assert widget.value_from_datadict({"d_0": "1.5", "d_1": "3600"}, {}, "d") == timedelta(
        minutes=90
    )
    assert widget.value_from_datadict({"d_0": "", "d_1": "60"}, {}, "d") is None
    assert widget.value_from_datadict({"d_0": "2", "d_1": "7"}, {}, "d") == "2 7"  # refused
