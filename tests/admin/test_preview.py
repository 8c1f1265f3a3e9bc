"""The step editor's live preview and "send me a test"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from remarket.mail.models import Message
from remarket.shop.keys import key_of
from tests.admin.conftest import client_for, make_staff
from tests.flows.conftest import make_flow

pytestmark = pytest.mark.django_db
BODY = "<p>Hi {{ contact.name }}</p>{% for line in cart.lines %}<p>{{ line.name }}</p>{% endfor %}"


@pytest.fixture
def step(shop):
    step = make_flow(live=False).steps.get()
    step.subject, step.body = "Your cart, {{ contact.name|default:'friend' }}", BODY
    step.save()
    return step


@pytest.fixture
def cart(shop):
    kettle = shop.product(title="Copper Kettle", price="49.00")
    return shop.cart(
        email="ann@example.com",
        name="Ann",
        items=[(kettle, 1)],
        touched=timezone.now() - timedelta(hours=3),
    )


def urls(step):
    return (
        reverse("admin:remarket_step_change", args=[step.pk]),
        reverse("admin:remarket_step_preview", args=[step.pk]),
        reverse("admin:remarket_step_send_test", args=[step.pk]),
    )


def test_the_editor_offers_the_shops_recent_carts_and_frames_the_preview(
    builder_client, step, cart
):
    editor, preview, _send = urls(step)
    key = key_of(cart)

    page = builder_client.get(editor, {"preview-cart": key}).content.decode()

    assert f'<option value="{key}" selected>ann@example.com: 1 items, 49.00' in page
    assert f'src="{preview}?preview-cart={key}"' in page
    assert 'sandbox=""' in page
    assert 'id="remarket-preview-subject">Your cart, Ann<' in page


def test_the_preview_renders_the_email_for_a_real_cart_and_contact(builder_client, step, cart):
    _editor, preview, _send = urls(step)

    response = builder_client.get(
        preview, {"preview-cart": key_of(cart), "preview-contact": "ann@example.com"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<p>Copper Kettle</p>" in html
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert Message.objects.count() == 0


def test_the_preview_switches_language(builder_client, step, cart):
    _editor, preview, _send = urls(step)

    html = builder_client.get(
        preview, {"preview-cart": key_of(cart), "preview-language": "fa"}
    ).content.decode()

    assert '<html lang="fa" dir="rtl">' in html


def test_a_cart_that_is_gone_is_said_politely(builder_client, step):
    editor, preview, _send = urls(step)

    response = builder_client.get(preview, {"preview-cart": "999999"})
    page = builder_client.get(editor, {"preview-cart": "999999"}).content.decode()

    assert response.status_code == 400
    assert 'id="remarket-preview-problem"' in page
    assert "<iframe" not in page


def test_send_me_a_test_goes_to_the_staff_users_own_address(builder, builder_client, step, cart):
    editor, _preview, send = urls(step)

    response = builder_client.post(send, {"preview-cart": key_of(cart)})

    assert response["Location"] == f"{editor}?preview-cart={key_of(cart)}"
    [email] = mail.outbox
    assert email.to == [builder.email]
    assert email.subject == "[Test] Your cart, Ann"
    assert "Copper Kettle" in email.alternatives[0][0]
    assert Message.objects.count() == 0


def test_a_staff_user_without_an_address_is_told_to_add_one(step):
    user = make_staff("noaddress", "change_flow")
    user.email = ""
    user.save()

    response = client_for(user).post(urls(step)[2], follow=True)

    assert "Your user has no email address" in response.content.decode()
    assert mail.outbox == []


def test_a_viewer_may_preview_but_not_send(step, cart):
    viewer = client_for(make_staff("viewer", "view_flow"))
    editor, preview, send = urls(step)

    assert viewer.get(preview, {"preview-cart": key_of(cart)}).status_code == 200
    assert 'id="remarket-send-test"' not in viewer.get(editor).content.decode()
    assert viewer.post(send).status_code == 403
    assert mail.outbox == []


def test_a_preview_for_a_real_customer_carries_no_link_that_acts_for_them(
    builder_client, step, cart
):
    from remarket.mail.links import preferences_url, unsubscribe_url
    from remarket.people.models import Contact

    ann = Contact.objects.create(email="ann@example.com", name="Ann")
    _editor, preview, _send = urls(step)

    response = builder_client.get(preview, {"preview-contact": ann.email})
    html = response.content.decode()

    assert "Hi Ann" in html
    assert unsubscribe_url(ann.pk, None) not in html
    assert preferences_url(ann.pk) not in html
    assert unsubscribe_url(0, None) in html
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_viewer_previews_the_sample_not_a_real_customer(step, cart):
    from remarket.people.models import Contact

    Contact.objects.create(email="ann@example.com", name="Ann")
    viewer = client_for(make_staff("viewer", "view_flow", "view_step"))
    _editor, preview, _send = urls(step)

    html = viewer.get(preview, {"preview-cart": key_of(cart)}).content.decode()

    assert "Copper Kettle" not in html
    assert "ann@example.com" not in html
