"""What is re-checked at send time: exits, conditions, the frequency cap, quiet hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from remarket.flows.models import ConsentPolicy, Enrollment, FlowStatus, Step
from remarket.mail.models import Message
from remarket.people.models import Consent, Contact, Suppression

from .conftest import NOON, consenting, make_flow, sent_to, tick

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def waiting(shop, clock):
    """Ann's cart, enrolled at 12:30 in a two-step flow (13:00, then a day later); now 12:59."""
    flow = make_flow(settings={"idle_minutes": 30}, delays=(HOUR, timedelta(days=1)))
    consenting("ann@example.com")
    cart = shop.cart(
        email="ann@example.com", items=[(shop.product(price="20.00"), 1)], touched=NOON
    )
    clock.shift(timedelta(minutes=30))
    assert tick().enrolled == 1
    clock.shift(timedelta(minutes=29))
    tick()
    assert mail.outbox == []
    return flow, cart


def exited(reason):
    enrollment = Enrollment.objects.get()
    assert enrollment.state == "exited"
    assert enrollment.exit_reason == reason
    assert mail.outbox == []


def test_steps_follow_their_delays(waiting, clock):
    clock.shift(timedelta(minutes=1))
    tick()
    assert len(mail.outbox) == 1
    clock.shift(timedelta(days=1) - timedelta(seconds=1))
    tick()
    assert len(mail.outbox) == 1
    clock.shift(timedelta(seconds=1))
    tick()
    assert [m.subject for m in mail.outbox] == [
        "Step 1 for ann@example.com",
        "Step 2 for ann@example.com",
    ]
    assert Enrollment.objects.get().state == "completed"


def test_an_order_placed_one_second_before_the_send_exits(waiting, shop, clock):
    flow, cart = waiting
    clock.shift(timedelta(seconds=59))
    shop.order(cart=cart)
    clock.shift(timedelta(seconds=1))

    report = tick()

    exited("ordered")
    assert report.flows[flow.slug].exited == {"ordered": 1}


def test_an_order_without_the_cart_link_still_exits(waiting, shop, clock):
    clock.shift(timedelta(seconds=30))
    shop.order(email="ann@example.com", items=[(shop.product(), 1)])
    clock.shift(timedelta(seconds=30))

    tick()

    exited("ordered")


def test_an_emptied_cart_exits(waiting, shop, clock):
    _flow, cart = waiting
    shop.empty(cart)
    clock.shift(timedelta(minutes=1))
    tick()
    exited("cart_gone")


def test_unsubscribed_exits(waiting, clock):
    Contact.objects.filter(email="ann@example.com").update(unsubscribed_at=timezone.now())
    clock.shift(timedelta(minutes=1))
    tick()
    exited("unsubscribed")


def test_suppressed_exits(waiting, clock):
    Contact.objects.filter(email="ann@example.com").update(
        suppressed_at=timezone.now(), suppression_reason=Suppression.HARD_BOUNCE
    )
    clock.shift(timedelta(minutes=1))
    tick()
    exited("suppressed")


def test_consent_withdrawn_exits(waiting, clock):
    Contact.objects.filter(email="ann@example.com").update(consent=Consent.WITHDRAWN)
    clock.shift(timedelta(minutes=1))
    tick()
    exited("consent")


def test_a_paused_flow_exits_its_people(waiting, clock):
    flow, _cart = waiting
    flow.status = FlowStatus.PAUSED
    flow.save()
    clock.shift(timedelta(minutes=1))

    report = tick()

    exited("flow_paused")
    assert report.flows[flow.slug].exited == {"flow_paused": 1}


@pytest.mark.parametrize(
    ("policy", "consent", "has_ordered", "sent"),
    [
        (ConsentPolicy.OPTED_IN, Consent.UNKNOWN, True, False),
        (ConsentPolicy.OPTED_IN, Consent.GRANTED, False, True),
        (ConsentPolicy.CUSTOMERS, Consent.UNKNOWN, True, True),
        (ConsentPolicy.CUSTOMERS, Consent.UNKNOWN, False, False),
        (ConsentPolicy.ANY_EMAIL, Consent.UNKNOWN, False, True),
        (ConsentPolicy.ANY_EMAIL, Consent.WITHDRAWN, False, False),
    ],
)
def test_consent_policies(shop, clock, policy, consent, has_ordered, sent):
    make_flow(settings={"idle_minutes": 60}, consent_policy=policy)
    Contact.objects.create(email="c@example.com", consent=consent)
    if has_ordered:
        shop.order(
            email="c@example.com", items=[(shop.product(), 1)], placed=NOON - timedelta(days=30)
        )
    shop.cart(email="c@example.com", touched=NOON)
    clock.shift(HOUR)

    tick()

    assert (sent_to() == ["c@example.com"]) is sent


@pytest.mark.parametrize(
    ("condition", "sent"),
    [
        ({"min_cart_total": "20"}, True),
        ({"min_cart_total": "20.01"}, False),
        ({"min_orders": 1}, False),
        ({"max_orders": 0}, True),
    ],
)
def test_step_conditions_skip_and_move_on(waiting, clock, condition, sent):
    Step.objects.filter(position=1).update(condition=condition)
    clock.shift(timedelta(minutes=1))

    report = tick()

    assert bool(mail.outbox) is sent
    message = Message.objects.get()
    assert message.status == ("sent" if sent else "skipped")
    if not sent:
        assert message.reason == "condition"
        assert next(iter(report.flows.values())).skipped == {"condition": 1}
    enrollment = Enrollment.objects.get()
    assert enrollment.state == "active"
    assert enrollment.next_step.position == 2


def test_not_opened_previous(waiting, clock):
    Step.objects.filter(position=2).update(condition={"not_opened_previous": True})
    clock.shift(timedelta(minutes=1))
    tick()
    Message.objects.update(opened_at=timezone.now())
    clock.shift(timedelta(days=1))

    tick()

    assert len(mail.outbox) == 1
    assert Message.objects.get(step__position=2).reason == "condition"


def test_frequency_cap_lets_the_higher_priority_flow_through(shop, clock):
    make_flow(slug="low", settings={"idle_minutes": 60}, priority=10)
    make_flow(slug="high", settings={"idle_minutes": 60}, priority=90)
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON)
    clock.shift(HOUR)

    report = tick()

    assert len(mail.outbox) == 1
    assert Message.objects.get(status="sent").enrollment.flow.slug == "high"
    assert report.flows["low"].skipped == {"frequency_cap": 1}
    assert Message.objects.get(status="skipped").reason == "frequency_cap"


@pytest.mark.parametrize(
    ("gap", "sent"),
    [(timedelta(hours=16) - timedelta(seconds=1), False), (timedelta(hours=16), True)],
)
def test_the_frequency_cap_window_is_16_hours(shop, clock, settings, gap, sent):
    settings.REMARKET = {**settings.REMARKET, "QUIET_HOURS": None}  # 05:00 UTC is quiet
    make_flow(slug="first", settings={"idle_minutes": 60}, delays=(HOUR,), priority=90)
    make_flow(slug="second", settings={"idle_minutes": 60}, delays=(HOUR + gap,))
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON)
    clock.shift(HOUR)
    tick()
    assert len(mail.outbox) == 1

    clock.shift(gap)
    report = tick()

    assert len(mail.outbox) == (2 if sent else 1)
    assert report.flows["second"].skipped == ({} if sent else {"frequency_cap": 1})


def test_no_frequency_cap_when_disabled(shop, clock, settings):
    settings.REMARKET = {**settings.REMARKET, "FREQUENCY_CAP": None}
    make_flow(slug="a", settings={"idle_minutes": 60})
    make_flow(slug="b", settings={"idle_minutes": 60})
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON)
    clock.shift(HOUR)

    tick()

    assert len(mail.outbox) == 2


def test_quiet_hours_defer_until_morning_in_the_contacts_time_zone(shop, clock):
    make_flow(settings={"idle_minutes": 60}, delays=(HOUR,))
    ann = consenting("ann@example.com")
    ann.timezone = "Asia/Tehran"  # UTC+03:30
    ann.save()
    late = NOON + timedelta(hours=6)  # 18:00 UTC = 21:30 in Tehran
    shop.cart(email="ann@example.com", touched=late - HOUR)
    clock.move_to(late)

    report = tick()

    assert mail.outbox == []
    assert next(iter(report.flows.values())).deferred == 1
    message = Message.objects.get()
    assert (message.status, message.reason) == ("scheduled", "quiet_hours")
    morning = Enrollment.objects.get().next_run_at
    assert morning.isoformat() == "2026-03-03T04:30:00+00:00"  # 08:00 in Tehran
    clock.move_to(morning - timedelta(seconds=1))
    tick()
    assert mail.outbox == []
    clock.move_to(morning)
    tick()
    assert sent_to() == ["ann@example.com"]
    assert Message.objects.get().status == "sent"


def test_quiet_hours_use_the_shops_time_zone_by_default(shop, clock, settings):
    settings.REMARKET = {**settings.REMARKET, "TIME_ZONE": "Asia/Ho_Chi_Minh"}  # UTC+7
    make_flow(settings={"idle_minutes": 60}, delays=(HOUR,))
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON + HOUR)
    clock.move_to(NOON + 2 * HOUR)  # 21:00 in Ho Chi Minh City: quiet

    tick()

    assert mail.outbox == []
    assert Enrollment.objects.get().next_run_at.isoformat() == "2026-03-03T01:00:00+00:00"


def test_quiet_hours_can_be_switched_off(shop, clock, settings):
    settings.REMARKET = {**settings.REMARKET, "QUIET_HOURS": None}
    make_flow(settings={"idle_minutes": 60}, delays=(HOUR,))
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON + 10 * HOUR)
    clock.move_to(NOON + 11 * HOUR)  # 23:00 UTC

    tick()

    assert sent_to() == ["ann@example.com"]
