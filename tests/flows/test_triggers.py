"""Every trigger, at its boundaries, with time travel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from remarket.flows.models import Enrollment, Flow, Trigger
from remarket.flows.triggers import get_trigger
from remarket.people.activity import Activity

from .conftest import NOON, consenting, make_flow, sent_to, tick

pytestmark = pytest.mark.django_db


def test_a_cart_idle_exactly_n_minutes_is_enrolled_and_mailed(shop, clock):
    make_flow(settings={"idle_minutes": 60}, delays=(timedelta(hours=1),))
    consenting("ann@example.com")
    beans = shop.product(title="Beans")
    shop.cart(email="Ann@Example.com", items=[(beans, 2)], touched=NOON)

    clock.shift(timedelta(minutes=59, seconds=59))
    assert tick().enrolled == 0
    clock.shift(timedelta(seconds=1))
    report = tick()

    assert report.enrolled == 1
    assert sent_to() == ["ann@example.com"]
    assert mail.outbox[0].subject == "Step 1 for ann@example.com"
    assert "Beans;" in mail.outbox[0].alternatives[0][0]
    enrollment = Enrollment.objects.get()
    assert enrollment.state == "completed"
    assert enrollment.triggered_at == NOON


def test_a_cart_below_the_minimum_value_is_not_enrolled(shop, clock):
    make_flow(settings={"idle_minutes": 30, "min_value": "25"})
    cheap, dear = shop.product(price="10.00"), shop.product(price="30.00")
    shop.cart(email="cheap@example.com", items=[(cheap, 2)], touched=NOON)
    shop.cart(email="dear@example.com", items=[(dear, 1)], touched=NOON)

    clock.shift(timedelta(minutes=30))
    tick()

    assert list(Enrollment.objects.values_list("contact__email", flat=True)) == ["dear@example.com"]


def test_each_cart_is_scanned_once_and_enrolled_once(shop, clock, django_assert_max_num_queries):
    make_flow(settings={"idle_minutes": 10}, delays=(timedelta(days=1),))
    shop.cart(email="a@example.com", touched=NOON)
    clock.shift(timedelta(minutes=10))
    assert tick().enrolled == 1
    clock.shift(timedelta(minutes=1))

    assert tick().enrolled == 0
    assert Enrollment.objects.count() == 1


def test_an_order_enrolls_the_buyer_and_the_step_waits_from_the_order_time(shop, clock):
    flow = make_flow(Trigger.ORDER_PLACED, delays=(timedelta(days=7),))
    consenting("buyer@example.com")
    shop.order(email="buyer@example.com", items=[(shop.product(), 1)], placed=NOON)

    clock.shift(timedelta(minutes=2))
    assert tick().enrolled == 1
    clock.move_to(NOON + timedelta(days=7) - timedelta(seconds=1))
    tick()
    assert mail.outbox == []
    clock.move_to(NOON + timedelta(days=7))
    tick()

    assert sent_to() == ["buyer@example.com"]
    assert Enrollment.objects.get(flow=flow).state == "completed"


def test_a_lapsed_customer_is_enrolled_once_per_lapse(shop, clock):
    make_flow(Trigger.CUSTOMER_LAPSED, settings={"days": 60}, delays=(timedelta(0),))
    consenting("old@example.com")
    product = shop.product()
    shop.order(email="old@example.com", items=[(product, 1)], placed=NOON)

    clock.move_to(NOON + timedelta(days=60) - timedelta(seconds=1))
    assert tick().enrolled == 0
    clock.move_to(NOON + timedelta(days=60, seconds=1))
    assert tick().enrolled == 1
    clock.shift(timedelta(days=1))
    assert tick().enrolled == 0
    assert sent_to() == ["old@example.com"]

    # They come back, buy, and lapse again: a new lapse, a new enrollment.
    shop.order(email="old@example.com", items=[(product, 1)], placed=NOON + timedelta(days=70))
    clock.move_to(NOON + timedelta(days=130, seconds=1))
    assert tick().enrolled == 1
    assert Enrollment.objects.count() == 2


def _view(contact, at, product_id="7", **data):
    return Activity.objects.create(
        contact=contact, kind="view_item", product_id=product_id, data=data, created_at=at
    )


def test_a_viewed_product_without_cart_starts_browse_abandonment(shop, clock):
    make_flow(Trigger.PRODUCT_VIEWED, settings={"idle_minutes": 240}, delays=(timedelta(0),))
    ann = consenting("ann@example.com")
    bob = consenting("bob@example.com")
    _view(ann, NOON, "7", name="Gooseneck kettle")
    _view(bob, NOON, "8", name="Mug")
    Activity.objects.create(contact=bob, kind="add_to_cart", product_id="8", created_at=NOON)

    clock.shift(timedelta(hours=4))
    report = tick()

    assert report.enrolled == 1
    enrollment = Enrollment.objects.get()
    assert enrollment.contact == ann
    assert enrollment.snapshot["products"] == [{"product_id": "7", "name": "Gooseneck kettle"}]
    assert sent_to() == ["ann@example.com"]


def test_a_draft_flow_enrolls_nobody(shop, clock):
    make_flow(settings={"idle_minutes": 1}, live=False)
    shop.cart(email="a@example.com", touched=NOON)
    clock.shift(timedelta(hours=1))

    assert tick().enrolled == 0


def test_reentry_cooldown(shop, clock):
    make_flow(
        settings={"idle_minutes": 10},
        delays=(timedelta(0),),
        reentry_cooldown=timedelta(days=7),
    )
    consenting("a@example.com")
    shop.cart(email="a@example.com", touched=NOON)
    clock.shift(timedelta(minutes=10))
    tick()
    shop.cart(email="a@example.com", touched=NOON + timedelta(days=1))
    clock.move_to(NOON + timedelta(days=1, minutes=10))
    assert tick().enrolled == 0

    shop.cart(email="a@example.com", touched=NOON + timedelta(days=8))
    clock.move_to(NOON + timedelta(days=8, minutes=10))
    assert tick().enrolled == 1


@pytest.mark.parametrize(
    ("trigger", "raw", "error"),
    [
        (Trigger.CART_ABANDONED, {"idle_minutes": 0}, "idle_minutes: 0 must be at least 1"),
        (Trigger.CART_ABANDONED, {"idle": 5}, "Unknown trigger setting idle"),
        (Trigger.CART_ABANDONED, {"min_value": "abc"}, "min_value: 'abc' is not a number"),
        (Trigger.CUSTOMER_LAPSED, {"days": "sixty"}, "days: 'sixty' is not a whole number"),
        (Trigger.ORDER_PLACED, [], "must be a JSON object"),
    ],
)
def test_trigger_settings_are_validated_per_type(trigger, raw, error):
    flow = Flow(name="x", slug="x", trigger=trigger, trigger_settings=raw)

    with pytest.raises(ValidationError, match=error):
        flow.full_clean()


def test_trigger_settings_get_their_defaults():
    assert get_trigger(Trigger.CART_ABANDONED).validate({}) == {
        "idle_minutes": 60,
        "min_value": None,
        "max_age_days": 7,
    }
