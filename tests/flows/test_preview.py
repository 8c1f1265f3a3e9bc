from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from remarket.flows.models import Step, Trigger
from remarket.flows.preview import preview, send_test
from remarket.mail.models import Message
from remarket.people.models import Contact
from remarket.shop.keys import key_of

from .conftest import make_flow

pytestmark = pytest.mark.django_db

BODY = "<p>{% for line in cart.lines %}{{ line.name }};{% endfor %}{{ order.total }}</p>"


def test_preview_for_a_real_cart_and_contact(shop):
    flow = make_flow()
    step = Step.objects.get(flow=flow)
    step.body, step.subject = BODY, "For {{ contact.name }}"
    beans = shop.product(title="Beans")
    cart = shop.cart(email="ann@example.com", items=[(beans, 2)])
    ann = Contact.objects.create(email="ann@example.com", name="Ann", locale="vi")

    email = preview(step, contact=ann, cart_key=key_of(cart))

    assert email.subject == "For Ann"
    assert "Beans;" in email.html
    assert email.language == "vi"
    assert Message.objects.count() == 0


def test_preview_without_a_choice_uses_the_shops_latest_order(shop):
    flow = make_flow(Trigger.ORDER_PLACED)
    step = Step.objects.get(flow=flow)
    step.body = BODY
    shop.order(email="x@example.com", items=[(shop.product(title="Kettle", price="49.00"), 1)])

    email = preview(step, language="fa")

    assert "49.00" in email.html
    assert '<html lang="fa" dir="rtl">' in email.html


def test_a_sample_cart_for_a_cart_flow(shop):
    step = Step.objects.get(flow=make_flow())
    step.body = BODY
    shop.order(email="x@example.com", items=[(shop.product(title="Mug"), 3)])

    assert "Mug;" in preview(step).html


def test_a_test_send_is_marked_and_not_counted(shop):
    step = Step.objects.get(flow=make_flow())

    send_test(step, "owner@example.com")

    [email] = mail.outbox
    assert email.to == ["owner@example.com"]
    assert email.subject.startswith("[Test] ")
    assert email.tags == ["remarket-test"]
    assert Message.objects.count() == 0


def test_a_template_that_does_not_compile_is_refused_with_its_line(shop):
    step = Step.objects.get(flow=make_flow())
    step.body = "<p>Hello</p>\n<p>{% for line in cart.lines %}</p>\n<p>no endfor</p>"
    step.subject = "{% if %}Hi"

    with pytest.raises(ValidationError) as refused:
        step.full_clean()

    errors = refused.value.message_dict
    assert errors["body"][0].startswith("Line 2: ")
    assert "endfor" in errors["body"][0]
    assert "subject" in errors


def test_a_good_template_passes(shop):
    step = Step.objects.get(flow=make_flow())
    step.body = "<p>{% for line in cart.lines %}{{ line.name|upper }}{% endfor %}</p>"
    step.full_clean()
