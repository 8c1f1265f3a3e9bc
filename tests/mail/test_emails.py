"""The email a person receives, read as they would, and the links in it followed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from remarket.flows.models import Enrollment, Step
from remarket.mail.models import Message
from remarket.people.models import Contact
from tests.flows.conftest import NOON, consenting, make_flow, tick

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)

BODY = (
    "<p>Hi {{ contact.name }},</p>"
    '{% for line in cart.lines %}<p><img src="{{ line.image_url }}" alt="">'
    '<a href="{{ line.product_url }}">{{ line.name }}</a> {{ line.quantity }} x '
    "{{ line.unit_price }} {{ cart.currency }}</p>{% endfor %}"
    '<p>{{ cart.total }}</p><p><a href="{{ links.cart_url }}">Back to my cart</a></p>'
    '<p><a href="https://elsewhere.example/x">elsewhere</a></p>'
)


@pytest.fixture
def sent(shop, clock):
    """Ann (Persian-speaking or not) left a two-line cart and got the first email."""

    def send(locale: str = ""):
        flow = make_flow(settings={"idle_minutes": 60}, delays=(HOUR, timedelta(days=1)))
        Step.objects.filter(flow=flow).update(
            subject="{{ contact.name }}, your cart", preheader="Saved for you", body=BODY
        )
        ann = consenting("ann@example.com")
        Contact.objects.filter(pk=ann.pk).update(name="Ann", locale=locale)
        kettle = shop.product(title="Kettle", price="49.00")
        kettle.picture.name = "products/kettle.svg"
        kettle.save()
        mug = shop.product(title="Mug", price="12.50")
        cart = shop.cart(email="ann@example.com", items=[(kettle, 1), (mug, 2)], touched=NOON)
        clock.shift(HOUR)
        tick()
        assert len(mail.outbox) == 1
        return mail.outbox[0], cart

    return send


def test_the_email_has_subject_preheader_lines_images_prices_and_headers(sent):
    email, _cart = sent()
    html = email.alternatives[0][0]

    assert email.subject == "Ann, your cart"
    assert "Saved for you" in html
    assert "Kettle" in html
    assert "Mug" in html
    assert "2 x 12.50 EUR" in html
    assert "74.00" in html
    assert 'src="http://127.0.0.1:8000/media/products/kettle.svg"' in html
    assert '<html lang="en" dir="ltr">' in html
    assert "style=" in html  # CSS inlined for mail clients
    unsubscribe = Message.objects.get().contact
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/remarket/u/")
    assert unsubscribe.email == "ann@example.com"
    # The text part reads on its own, with the recovery link spelled out.
    assert "Hi Ann," in email.body
    assert "Back to my cart (http://127.0.0.1:8000/remarket/r/" in email.body
    assert "<" not in email.body.replace("<http", "")


def test_links_to_the_shop_are_tracked_and_others_are_left_alone(sent):
    email, _cart = sent()
    html = email.alternatives[0][0]

    assert 'href="https://elsewhere.example/x"' in html
    assert 'href="http://127.0.0.1:8000/p/' not in html  # no shop link left untracked
    assert html.count("/remarket/c/") >= 2  # both product links
    assert "/remarket/r/" in html


def test_the_recovery_link_puts_the_cart_back_in_a_fresh_browser(sent, shop):
    email, cart = sent()
    link = email.body.split("Back to my cart (")[1].split(")")[0]
    browser = Client()

    response = browser.get(link.replace("http://127.0.0.1:8000", ""))

    assert response.status_code == 302
    assert response.url == "http://127.0.0.1:8000/basket/"
    page = browser.get("/basket/").content.decode()
    assert "Kettle" in page
    assert "Mug" in page
    assert browser.session["basket_id"] == cart.pk
    assert Message.objects.get().clicked_at is not None


def test_a_tracked_click_is_counted_and_redirects_to_the_product(sent):
    email, _cart = sent()
    html = email.alternatives[0][0]
    tracked = html.split('href="http://127.0.0.1:8000/remarket/c/')[1].split('"')[0]

    response = Client().get(f"/remarket/c/{tracked}")

    assert response.status_code == 302
    assert response.url.startswith("http://127.0.0.1:8000/p/")
    assert Message.objects.get().clicked_at is not None


@pytest.mark.parametrize("kind", ["r", "c", "u", "p"])
def test_a_tampered_link_gets_a_polite_400_and_changes_nothing(sent, kind):
    email, _cart = sent()
    token = email.extra_headers["List-Unsubscribe"].split("/u/")[1].rstrip("/>")

    response = Client().get(f"/remarket/{kind}/{token[:-3]}xyz/")

    assert response.status_code == 400
    assert b"This link does not work" in response.content
    assert b"Traceback" not in response.content
    message = Message.objects.get()
    assert message.clicked_at is None
    assert message.contact.unsubscribed_at is None


def test_a_link_made_for_another_purpose_does_not_open(sent):
    email, _cart = sent()
    unsubscribe_token = email.extra_headers["List-Unsubscribe"].split("/u/")[1].rstrip("/>")

    assert Client().get(f"/remarket/r/{unsubscribe_token}/").status_code == 400


def test_an_expired_recovery_link_is_refused(sent, clock):
    email, _cart = sent()
    link = email.body.split("Back to my cart (")[1].split(")")[0]
    clock.shift(timedelta(days=31))

    response = Client().get(link.replace("http://127.0.0.1:8000", ""))

    assert response.status_code == 400


def test_a_click_link_cannot_redirect_off_site(settings):
    from remarket.mail.links import click_url

    settings.REMARKET = {**settings.REMARKET, "SITE_URL": "https://shop.example"}
    forged = click_url(1, "https://evil.example/phish")

    response = Client().get(forged.replace("https://shop.example", ""))

    assert response.status_code == 400


def test_one_click_unsubscribe_needs_no_session_or_csrf(sent, clock):
    email, _cart = sent()
    path = email.extra_headers["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:8000", "")
    robot = Client(enforce_csrf_checks=True)

    assert robot.get(path).status_code == 200  # the confirmation page...
    assert Contact.objects.get().unsubscribed_at is None  # ...changes nothing
    response = robot.post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.unsubscribed_at is not None
    assert Message.objects.get().unsubscribed_at is not None
    clock.shift(timedelta(days=1))
    tick()
    assert len(mail.outbox) == 1  # the next step never goes out
    assert Enrollment.objects.get().exit_reason == "unsubscribed"


def test_the_preferences_page_leaves_one_flow(sent, clock):
    email, _cart = sent()
    html = email.alternatives[0][0]
    path = html.split('href="http://127.0.0.1:8000/remarket/p/')[1].split('"')[0]
    browser = Client()

    page = browser.get(f"/remarket/p/{path}")
    assert page.status_code == 200
    response = browser.post(f"/remarket/p/{path}", {"all_marketing": "on"})  # no flow ticked

    assert response.status_code == 200
    assert b"Your choices are saved." in response.content
    assert Contact.objects.get().unsubscribed_at is None
    clock.shift(timedelta(days=1))
    tick()
    assert len(mail.outbox) == 1
    assert Enrollment.objects.get().exit_reason == "unsubscribed"


def test_a_persian_contact_gets_a_right_to_left_persian_email(sent):
    email, _cart = sent(locale="fa")
    html = email.alternatives[0][0]

    assert '<html lang="fa" dir="rtl">' in html
    assert "لغو اشتراک" in html  # "Unsubscribe" in the footer


def test_a_vietnamese_contact_gets_a_vietnamese_email(sent):
    email, _cart = sent(locale="vi")
    html = email.alternatives[0][0]

    assert '<html lang="vi" dir="ltr">' in html
    assert "Hủy đăng ký" in html


def test_a_message_row_keeps_the_email_as_sent(sent):
    email, _cart = sent()
    message = Message.objects.get()

    assert message.subject == email.subject
    assert message.body_text == email.body
    assert message.body_html == email.alternatives[0][0]


def test_replies_go_to_the_flows_reply_to_else_the_default(shop, clock, settings):
    settings.REMARKET = {**settings.REMARKET, "REPLY_TO": "help@shop.example"}
    first = make_flow(slug="a", settings={"idle_minutes": 60}, reply_to="cart@shop.example")
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON)
    clock.shift(HOUR)
    tick()
    assert mail.outbox[0].reply_to == ["cart@shop.example"]
    first.status = "paused"
    first.save()
    make_flow(slug="b", settings={"idle_minutes": 60}, delays=(timedelta(days=1),))
    shop.cart(email="ann@example.com", touched=NOON + HOUR)
    clock.shift(timedelta(days=2))
    tick()
    assert mail.outbox[-1].reply_to == ["help@shop.example"]
