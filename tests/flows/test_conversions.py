"""Tick step (d): orders exit flows and are credited to the message that earned them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from remarket.flows.models import Cursor, Enrollment, Trigger
from remarket.insights.models import Conversion
from remarket.mail.models import Message

from .conftest import NOON, consenting, make_flow, tick

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def mailed(shop, clock):
    """Ann got the first abandoned-cart email at 13:00; a second step waits a day."""
    flow = make_flow(settings={"idle_minutes": 60}, delays=(HOUR, timedelta(days=1)))
    consenting("ann@example.com")
    cart = shop.cart(
        email="ann@example.com", items=[(shop.product(price="40.00"), 2)], touched=NOON
    )
    clock.shift(HOUR)
    tick()
    return flow, cart, Message.objects.get()


def test_an_order_after_a_click_is_credited_to_the_clicked_message(mailed, shop, clock):
    flow, cart, message = mailed
    Message.objects.filter(pk=message.pk).update(clicked_at=NOON + 2 * HOUR)
    order = shop.order(cart=cart, placed=NOON + 3 * HOUR)
    clock.move_to(NOON + 3 * HOUR + timedelta(minutes=2))

    report = tick()

    conversion = Conversion.objects.get()
    assert conversion.order_key == str(order.pk)
    assert (conversion.value, conversion.currency) == (Decimal("80.00"), "EUR")
    assert (conversion.message, conversion.flow, conversion.rule) == (message, flow, "click")
    assert report.flows[flow.slug].converted == 1
    assert report.flows[flow.slug].exited == {"ordered": 1}
    assert Enrollment.objects.get().exit_reason == "ordered"


def test_a_click_older_than_five_days_does_not_count(mailed, shop, clock):
    _flow, cart, message = mailed
    Message.objects.filter(pk=message.pk).update(clicked_at=NOON + 2 * HOUR)
    shop.order(cart=cart, placed=NOON + 2 * HOUR + timedelta(days=5, seconds=1))
    clock.move_to(NOON + timedelta(days=6))

    tick()

    conversion = Conversion.objects.get()
    assert (conversion.message, conversion.rule) == (None, "none")


def test_an_open_within_a_day_counts_when_there_is_no_click(mailed, shop, clock):
    _flow, cart, message = mailed
    Message.objects.filter(pk=message.pk).update(opened_at=NOON + 2 * HOUR)
    shop.order(cart=cart, placed=NOON + 2 * HOUR + timedelta(hours=24))
    clock.move_to(NOON + timedelta(days=2))

    tick()

    assert Conversion.objects.get().rule == "open"


def test_an_order_is_recorded_once_however_many_ticks_see_it(mailed, shop, clock):
    _flow, cart, _message = mailed
    shop.order(cart=cart, placed=NOON + 2 * HOUR)
    clock.move_to(NOON + 3 * HOUR)
    tick()
    Cursor.objects.all().delete()  # as if the next tick started from scratch
    tick()

    assert Conversion.objects.count() == 1


def test_orders_of_strangers_are_not_conversions(shop, clock):
    make_flow(settings={"idle_minutes": 60})
    shop.order(email="stranger@example.com", items=[(shop.product(), 1)], placed=NOON)
    clock.shift(HOUR)

    tick()

    assert Conversion.objects.count() == 0


def test_exit_on_order_can_be_switched_off(shop, clock):
    flow = make_flow(Trigger.ORDER_PLACED, delays=(timedelta(days=7),), exit_on_order=False)
    consenting("buyer@example.com")
    product = shop.product()
    shop.order(email="buyer@example.com", items=[(product, 1)], placed=NOON)
    clock.shift(timedelta(minutes=2))
    tick()
    shop.order(email="buyer@example.com", items=[(product, 1)], placed=NOON + HOUR)
    clock.move_to(NOON + timedelta(days=7))

    tick()

    enrollment = Enrollment.objects.get(flow=flow, triggered_at=NOON)
    assert enrollment.state == "completed"


def test_an_order_that_redeems_the_emails_coupon_is_credited_to_it(shop, clock):
    flow = make_flow(settings={"idle_minutes": 60}, delays=(HOUR,))
    from remarket.flows.models import Step

    Step.objects.filter(flow=flow).update(
        coupon_kind="percent", coupon_value=10, body="<p>{{ coupon.code }}</p>"
    )
    consenting("ann@example.com")
    cart = shop.cart(
        email="ann@example.com", items=[(shop.product(price="40.00"), 1)], touched=NOON
    )
    clock.shift(HOUR)
    tick()
    message = Message.objects.get()
    assert message.coupon_code
    assert message.coupon_code in message.body_html
    # Ann pays days later, without clicking, using the code from the email.
    order = shop.order(cart=cart, placed=NOON + timedelta(days=3))
    from example_project.shop.models import Purchase

    Purchase.objects.filter(pk=order.pk).update(coupon_code=message.coupon_code)
    clock.move_to(NOON + timedelta(days=3, minutes=2))

    tick()

    conversion = Conversion.objects.get()
    assert (conversion.message, conversion.rule, conversion.flow) == (message, "coupon", flow)
