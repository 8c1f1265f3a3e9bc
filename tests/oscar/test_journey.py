"""A guest's whole journey through a real django-oscar shop, with remarket reading it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from example_oscar.shop import place_order
from remarket.flows.models import Enrollment, EnrollmentState, ExitReason
from remarket.flows.tick import run_tick
from remarket.insights.models import AttributionRule, Conversion
from remarket.shop import get_adapter
from remarket.shop.models import CartEmail
from remarket.shop.snapshots import CouponRequest

from .conftest import add_to_basket, give_email_at_checkout

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")


def test_abandoned_basket_emailed_recovered_with_voucher_and_converted(
    clock, products, flow, django_capture_on_commit_callbacks
):
    guest = Client()
    with django_capture_on_commit_callbacks(execute=True):
        add_to_basket(guest, products["Sencha Superior"], 2)
        add_to_basket(guest, products["Earl Grey"])
        give_email_at_checkout(guest, "Guest@Example.com")
    basket = Basket.objects.get()
    assert basket.owner is None
    assert CartEmail.objects.get(cart_key=str(basket.pk)).email == "guest@example.com"

    # The guest leaves. An hour and a bit later the tick finds the basket idle.
    clock.shift(timedelta(minutes=61))
    report = run_tick()
    assert report.flows["abandoned-basket"].enrolled == 1
    assert report.sent == 1
    [email] = mail.outbox
    assert email.to == ["guest@example.com"]
    assert email.subject == "You left tea in your basket"
    # Oscar's prices through its strategy: 2 x 12.50 + 9.80.
    assert "Sencha Superior x 2;Earl Grey x 1; 34.80 EUR" in email.body
    code = re.search(r"Code (RM-[A-Z0-9]{8})", email.body).group(1)
    link = re.search(r"http://testserver(/remarket/r/[^\s\"<)]+)", email.body).group(1)

    # The link, opened in a browser that never saw the shop, brings the basket back.
    browser = Client()
    response = browser.get(link)
    assert response.status_code == 302
    assert response.url == reverse("basket:summary")
    assert "oscar_open_basket" in response.cookies
    page = browser.get(response.url)
    assert page.context["basket"].pk == basket.pk
    assert "Sencha Superior" in page.content.decode()

    # The voucher from the email is accepted by Oscar's own voucher view.
    response = browser.post(reverse("basket:vouchers-add"), {"code": code.lower()})
    assert response.status_code == 302
    basket.refresh_from_db()
    assert [v.code for v in basket.vouchers.all()] == [code]
    order = place_order(basket, email="guest@example.com")
    assert order.total_incl_tax == Decimal("31.32")  # 34.80 less 10 %
    assert order.basket_id == basket.pk

    # The next tick sees the order: the guest leaves the flow, the sale is credited.
    clock.shift(timedelta(minutes=2))
    report = run_tick()
    enrollment = Enrollment.objects.get()
    assert (enrollment.state, enrollment.exit_reason) == (
        EnrollmentState.EXITED,
        ExitReason.ORDERED,
    )
    conversion = Conversion.objects.get()
    assert conversion.order_key == str(order.pk)
    assert (conversion.value, conversion.currency) == (order.total_incl_tax, "EUR")
    assert conversion.rule == AttributionRule.COUPON
    assert conversion.flow == flow
    assert report.flows["abandoned-basket"].converted == 1
    assert get_adapter().cart_state(str(basket.pk)) == "ordered"


def test_voucher_is_single_use_and_expires(clock, products):
    coupon = get_adapter().create_coupon(
        CouponRequest(
            email="a@example.com",
            expires_at=timezone.now() + timedelta(days=3),
            amount_off=Decimal("5"),
            currency="EUR",
        )
    )
    assert coupon.description == "5 EUR off"
    first = Client()
    add_to_basket(first, products["Earl Grey"], 2)
    first.post(reverse("basket:vouchers-add"), {"code": coupon.code})
    order = place_order(Basket.objects.get(), email="a@example.com")
    assert order.total_incl_tax == Decimal("14.60")  # 19.60 less 5

    # Used once: Oscar refuses it for anyone else.
    second = Client()
    add_to_basket(second, products["Earl Grey"])
    response = second.post(reverse("basket:vouchers-add"), {"code": coupon.code}, follow=True)
    assert "has already been used" in response.content.decode()
    assert not Basket.objects.get(status=Basket.OPEN).vouchers.exists()

    # And once expired, it is refused as well.
    late = get_adapter().create_coupon(
        CouponRequest(
            email="b@example.com",
            expires_at=timezone.now() + timedelta(days=3),
            percent_off=Decimal("10"),
        )
    )
    clock.shift(timedelta(days=4))
    response = second.post(reverse("basket:vouchers-add"), {"code": late.code}, follow=True)
    assert "has expired" in response.content.decode()
