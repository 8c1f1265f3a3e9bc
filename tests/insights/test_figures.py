"""The figures of flows and steps (remarket.insights.figures): what they count, and that
they cost the same few queries for 10 or 1,000 flows and messages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from remarket.flows.models import EnrollmentState, ExitReason
from remarket.insights.figures import dashboard_report, flow_report
from remarket.mail.models import MessageStatus
from remarket.people.models import Contact
from tests.insights.data import NOON, enroll, flow_with_steps, many, message, order

pytestmark = pytest.mark.django_db
BOTH_DATABASES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cart_flow(settings: Any, clock: Any) -> Any:
    """A two-step flow whose every figure is known."""
    settings.REMARKET = {**settings.REMARKET, "CURRENCY": "USD"}
    flow = flow_with_steps("cart")
    first, second = flow.steps.order_by("position")
    people = [Contact.objects.create(email=f"p{n}@example.com") for n in range(8)]
    e = [enroll(flow, person) for person in people[:4]]
    e += [enroll(flow, person, state=EnrollmentState.COMPLETED) for person in people[4:6]]
    e += [enroll(flow, people[6], state=EnrollmentState.EXITED, exit_reason=ExitReason.ORDERED)]
    e[0].next_step = e[1].next_step = second
    e[0].save()
    e[1].save()
    at = NOON - timedelta(hours=2)
    clicked = message(e[0], first, delivered_at=at, opened_at=at, clicked_at=at)
    message(e[1], first, delivered_at=at, opened_at=at)
    message(e[4], first, bounced_at=at)
    message(e[5], first, status=MessageStatus.SKIPPED, reason="frequency_cap")
    message(e[6], first, status=MessageStatus.SKIPPED, reason=ExitReason.ORDERED)
    message(e[2], first, status=MessageStatus.SCHEDULED, reason="quiet_hours")
    message(e[3], first, status=MessageStatus.SCHEDULED, reason="retry after attempt 1: 503")
    late = message(
        e[4], second, delivered_at=at, unsubscribed_at=at, complained_at=at, opened_at=at
    )
    message(e[5], second, status=MessageStatus.FAILED, reason="template error")
    order(clicked, "10.00", "USD")
    order(clicked, "5.50", "USD")
    order(late, "30.00", "EUR")
    order(None, "99.00", "USD")  # nobody's: not counted
    other = flow_with_steps("win-back", steps=1)
    return flow, other


@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_every_figure_of_a_flow_and_its_steps(cart_flow: Any, database: str) -> None:
    flow, other = cart_flow
    report = dashboard_report()

    assert [row.flow for row in report.flows] == [flow, other]  # ordering: priority, name
    figures = report.flows[0].figures
    assert (figures.enrolled, figures.active) == (7, 4)
    assert (figures.sent, figures.failed, figures.deferred) == (4, 1, 1)
    assert dict(figures.skipped) == {"frequency_cap": 1, "ordered": 1}
    assert figures.skipped_by_reason == [("frequency cap", 1), ("placed an order", 1)]
    assert (figures.delivered, figures.opened, figures.clicked) == (3, 3, 1)
    assert (figures.unsubscribed, figures.bounced, figures.complained) == (1, 1, 1)
    assert figures.recipients == 4  # one per email sent, as ESPs count them
    assert figures.converted == 3
    # Never added across currencies; the shop's currency (USD here) first.
    assert figures.money == [("USD", Decimal("15.50")), ("EUR", Decimal("30.00"))]
    assert figures.conversion_percent == 75
    assert figures.revenue_per_recipient == [("USD", Decimal("3.88")), ("EUR", Decimal("7.50"))]
    assert figures.opened_percent == 75

    first, second = (row.figures for row in report.flows[0].steps)
    assert (first.enrolled, first.active, first.sent, first.deferred) == (7, 0, 3, 1)
    assert (first.converted, first.money) == (2, [("USD", Decimal("15.50"))])
    assert first.revenue_per_recipient == [("USD", Decimal("5.17"))]
    assert (second.enrolled, second.active, second.sent, second.failed) == (2, 2, 1, 1)
    assert (second.unsubscribed, second.complained, second.converted) == (1, 1, 1)
    assert second.conversion_percent == 100

    assert report.flows[1].figures.enrolled == 0
    assert report.flows[1].figures.conversion_percent is None
    assert report.total.sent == 4
    assert report.total.recipients == 4
    assert report.total.money == figures.money


def test_one_flow_report_leaves_the_others_out(cart_flow: Any) -> None:
    flow, other = cart_flow
    message(enroll(other, Contact.objects.create(email="x@example.com")), other.steps.get())

    report = flow_report(flow)

    assert [row.flow for row in report.flows] == [flow]
    assert report.flows[0].figures.sent == 4
    assert sum(day.sends for day in report.days) == 4
    assert flow_report(other).flows[0].figures.sent == 1


@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_the_last_30_days_day_by_day(cart_flow: Any, database: str) -> None:
    flow, _ = cart_flow
    step = flow.steps.get(position=1)
    contact = Contact.objects.create(email="old@example.com")
    ten_days_ago = message(
        enroll(flow, contact), step, sent_at=NOON - timedelta(days=10), clicked_at=NOON
    )
    message(enroll(flow, contact), step, sent_at=NOON - timedelta(days=30))  # too old
    order(ten_days_ago, "7.00", "USD", placed_at=NOON - timedelta(days=9))

    days = dashboard_report().days

    assert len(days) == 30
    assert (days[0].day, days[-1].day) == ((NOON - timedelta(days=29)).date(), NOON.date())
    by_day = {day.day: day for day in days}
    assert by_day[NOON.date()].sends == 4
    assert by_day[NOON.date()].clicks == 2  # the cart_flow click and this one's
    assert by_day[(NOON - timedelta(days=10)).date()].sends == 1
    assert sum(day.sends for day in days) == 5
    nine = by_day[(NOON - timedelta(days=9)).date()]
    assert (nine.conversions, nine.revenue) == (1, {"USD": Decimal("7.00")})
    today = by_day[NOON.date()]
    assert today.revenue == {"USD": Decimal("15.50"), "EUR": Decimal("30.00")}


def test_days_follow_the_admin_time_zone(settings: Any, clock: Any) -> None:
    settings.TIME_ZONE = "Asia/Tehran"  # UTC+3:30: 22:00 UTC is already tomorrow there
    flow = flow_with_steps("tz", steps=1)
    late = NOON.replace(hour=22)
    message(
        enroll(flow, Contact.objects.create(email="tz@example.com")),
        flow.steps.get(),
        sent_at=late - timedelta(days=1),
    )

    days = dashboard_report().days

    assert days[-1].day == NOON.date()
    assert days[-1].sends == 1


@pytest.mark.parametrize("size", [10, 1_000])
def test_the_dashboard_costs_a_fixed_number_of_queries(
    size: int, clock: Any, django_assert_max_num_queries: Any
) -> None:
    many(flows=size, messages=size)

    with django_assert_max_num_queries(9):
        report = dashboard_report()

    assert len(report.flows) == size
    assert report.total.sent == size
    assert sum(len(row.steps) for row in report.flows) == size


@pytest.mark.parametrize("size", [10, 1_000])
def test_a_flow_report_costs_a_fixed_number_of_queries(
    size: int, clock: Any, django_assert_max_num_queries: Any
) -> None:
    many(flows=10, messages=size)
    flow = flow_with_steps("big", steps=size // 10)

    with django_assert_max_num_queries(8):
        report = flow_report(flow)

    assert len(report.flows[0].steps) == size // 10
