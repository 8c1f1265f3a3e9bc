"""What each flow and each step did and earned, from aggregate queries.

:func:`dashboard_report` (every flow) and :func:`flow_report` (one flow) cost the same
fixed number of queries however many flows, steps, enrollments and messages there are:
every figure is a conditional ``COUNT`` / ``SUM`` grouped by step, flow or day, and the
``Meta.indexes`` named ``remarket_*_figures`` / ``*_day`` keep them fast on millions of
messages (benchmarks/dashboard.py).

What the words mean (the dashboard shows the same definitions to the shop owner):

* *enrolled*: people who entered the flow; for a step, people who reached it (a message row).
* *active*: enrollments still running; for a step, those waiting for it.
* *deferred*: emails waiting for the end of the quiet hours right now. The tick puts such
  a message back to ``scheduled`` with the reason ``quiet_hours`` and overwrites both when
  it is finally sent, so a deferral that has already ended leaves no trace to count.
  (The frequency cap skips instead of deferring: it appears among the skips.)
* *delivered, opened, clicked, unsubscribed, bounced, complained*: sent emails with that
  event recorded (each email counts once however many times it was opened).
* *recipients*: the emails sent. A person who got three emails of a flow counts three
  times, as email providers count a flow's recipients; counting distinct people would
  cost a sort of every sent message on each page view.
* *converted / revenue*: orders attributed to the flow or step
  (:mod:`remarket.insights.attribution`), revenue per currency, never added across
  currencies. *Conversion rate* is orders per recipient; *revenue per recipient* is the
  revenue of each currency divided by the recipients.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from remarket.conf import conf
from remarket.flows.models import Enrollment, EnrollmentState, ExitReason, Flow, Step
from remarket.insights.models import Conversion
from remarket.mail.models import Message, MessageStatus

#: How many days the daily series covers, today included.
SERIES_DAYS = 30
#: The reason the tick writes on a message it postponed (remarket.flows.rechecks.decide).
QUIET_HOURS = "quiet_hours"
#: Email events counted from the message's timestamps: figure name -> Message field.
EVENTS = {
    "delivered": "delivered_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
    "unsubscribed": "unsubscribed_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
}
CENT = Decimal("0.01")
#: The plain counts of :class:`Figures`, which add up across steps and flows.
COUNTS = (
    *("enrolled", "active", "sent", "failed", "review", "deferred"),
    *EVENTS,
    "converted",
)


@dataclass
class Figures:
    """The headline figures of one flow, one step, or all flows together."""

    enrolled: int = 0
    active: int = 0
    sent: int = 0
    failed: int = 0
    review: int = 0
    deferred: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    bounced: int = 0
    complained: int = 0
    converted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    revenue: dict[str, Decimal] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def skipped_by_reason(self) -> list[tuple[str, int]]:
        """``(reason in words, count)``, the most frequent first."""
        return [
            (str(skip_reason(reason)), count)
            for reason, count in sorted(self.skipped.items(), key=lambda i: (-i[1], i[0]))
        ]

    @property
    def recipients(self) -> int:
        """Recipients of the emails sent: one per email."""
        return self.sent

    @property
    def conversion_percent(self) -> float | None:
        """Attributed orders per 100 recipients; ``None`` before anyone was emailed."""
        return percent(self.converted, self.recipients)

    @property
    def delivered_percent(self) -> float | None:
        return percent(self.delivered, self.sent)

    @property
    def opened_percent(self) -> float | None:
        return percent(self.opened, self.sent)

    @property
    def clicked_percent(self) -> float | None:
        return percent(self.clicked, self.sent)

    @property
    def money(self) -> list[tuple[str, Decimal]]:
        """``(currency, revenue)``: the shop's currency first, then the others by code."""
        return sorted(self.revenue.items(), key=lambda item: currency_order(item[0]))

    @property
    def revenue_per_recipient(self) -> list[tuple[str, Decimal]]:
        """``(currency, revenue / recipients)`` in the order of :attr:`money`."""
        if not self.recipients:
            return []
        return [
            (currency, (value / self.recipients).quantize(CENT, ROUND_HALF_UP))
            for currency, value in self.money
        ]

    def add(self, other: Figures) -> None:
        """Add ``other``'s counts to these."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped.update(other.skipped)
        for currency, value in other.revenue.items():
            self.revenue[currency] = self.revenue.get(currency, Decimal(0)) + value


def percent(part: int, whole: int) -> float | None:
    """``part`` per 100 of ``whole``; ``None`` when ``whole`` is 0 (nothing to divide)."""
    return 100 * part / whole if whole else None


#: Why a step's email was skipped, in words: the re-checks' reasons and the exit reasons.
SKIP_REASONS = {
    "condition": _("the step's condition did not hold"),
    "frequency_cap": _("frequency cap"),
    **dict(ExitReason.choices),
}


def skip_reason(reason: str) -> str:
    """The reason a message was skipped, in words (the code itself when it is not known)."""
    return SKIP_REASONS.get(reason, reason)


@dataclass
class StepFigures:
    step: Step
    figures: Figures


@dataclass
class FlowFigures:
    flow: Flow
    figures: Figures
    steps: list[StepFigures]
    #: The flow's change page, when the viewer may open it (set by the admin).
    link: str = ""


@dataclass
class Day:
    """One day of the series: emails sent, emails clicked, attributed orders and revenue."""

    day: date
    sends: int = 0
    clicks: int = 0
    conversions: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Report:
    """Figures per flow and step, their total, and the daily series of the last 30 days."""

    flows: list[FlowFigures]
    total: Figures
    days: list[Day]

    @property
    def currencies(self) -> list[str]:
        """Every currency with revenue, in the series or in the totals; the shop's first."""
        found = set(self.total.revenue)
        for day in self.days:
            found.update(day.revenue)
        return sorted(found or {conf.CURRENCY}, key=currency_order)

    @property
    def daily(self) -> list[tuple[Day, list[Decimal]]]:
        """Each day with its revenue in each of :attr:`currencies` (0 where none)."""
        currencies = self.currencies
        return [(day, [day.revenue.get(c, Decimal(0)) for c in currencies]) for day in self.days]

    @property
    def panels(self) -> list[Any]:
        """The charts of :attr:`days` (:func:`remarket.insights.chart.series_panels`)."""
        from remarket.insights.chart import series_panels

        return series_panels(self.days, self.currencies)


def currency_order(currency: str) -> tuple[bool, str]:
    """Sort key: the shop's ``REMARKET["CURRENCY"]`` first, the others by code."""
    return (currency != conf.CURRENCY, currency)


def dashboard_report(*, today: date | None = None) -> Report:
    """Every flow's figures, their steps', the total and the daily series, in 9 queries."""
    return _report(list(Flow.objects.order_by("-priority", "name")), today=today, whole=True)


def flow_report(flow: Flow, *, today: date | None = None) -> Report:
    """One flow's figures, its steps' and its daily series (``report.flows[0]``), in 8
    queries."""
    return _report([flow], today=today, whole=False)


def _report(flows: list[Flow], *, today: date | None, whole: bool) -> Report:
    steps = list(Step.objects.filter(flow__in=flows).order_by("flow_id", "position"))
    step_ids = [step.pk for step in steps]
    # On the whole dashboard no filter at all: every row counts, and a scan of the
    # covering index beats an ``IN`` list of every step.
    messages = Message.objects.all() if whole else Message.objects.filter(step_id__in=step_ids)
    enrollments = Enrollment.objects.all() if whole else Enrollment.objects.filter(flow__in=flows)
    conversions = Conversion.objects.filter(flow__isnull=False)
    if not whole:
        conversions = conversions.filter(flow__in=flows)

    by_step: dict[int, Figures] = {step.pk: Figures() for step in steps}
    by_flow: dict[int, Figures] = {flow.pk: Figures() for flow in flows}
    flow_of = {step.pk: step.flow_id for step in steps}
    _count_messages(messages, by_step)
    _count_waiting(messages, by_step)
    for step_id, figures in by_step.items():
        by_flow[flow_of[step_id]].add(figures)
    for flow in by_flow.values():
        flow.enrolled = 0  # a step's "enrolled" is who reached it: the flow counts entries
        flow.active = 0
    _count_enrollments(enrollments, by_flow, by_step)
    _count_conversions(conversions, by_flow, by_step)

    total = Figures()
    for figures in by_flow.values():
        total.add(figures)
    return Report(
        flows=[
            FlowFigures(
                flow=flow,
                figures=by_flow[flow.pk],
                steps=[StepFigures(s, by_step[s.pk]) for s in steps if s.flow_id == flow.pk],
            )
            for flow in flows
        ],
        total=total,
        days=_series(messages, conversions, today or timezone.localdate()),
    )


def _count_messages(messages: QuerySet[Message], by_step: dict[int, Figures]) -> None:
    """Query: messages per step and status, with their events, in one pass.

    Grouped by the index's own columns (step, status), so PostgreSQL walks the covering
    index in order and never reads the wide message rows; every ``Count`` here and below
    counts a column its index holds (never ``id``) for the same reason.
    """
    events = {name: Count(column) for name, column in EVENTS.items()}  # NULLs not counted
    rows = messages.order_by().values("step_id", "status").annotate(count=Count("step"), **events)
    for row in rows:
        figures = by_step.get(row["step_id"])
        if figures is None:
            continue  # a step of a flow that is not in this report
        figures.enrolled += row["count"]
        if row["status"] in {MessageStatus.FAILED, MessageStatus.REVIEW}:
            setattr(figures, row["status"], row["count"])
        elif row["status"] == MessageStatus.SENT:
            # Providers report events on emails that left, so only sent ones count.
            figures.sent = row["count"]
            for name in EVENTS:
                setattr(figures, name, row[name])


def _count_waiting(messages: QuerySet[Message], by_step: dict[int, Figures]) -> None:
    """Query: skipped emails by reason, and emails deferred by the quiet hours, per step."""
    rows = (
        messages.filter(status__in=[MessageStatus.SKIPPED, MessageStatus.SCHEDULED])
        .order_by()
        .values("step_id", "status", "reason")
        .annotate(count=Count("step"))
    )
    for row in rows:
        figures = by_step.get(row["step_id"])
        if figures is None:
            continue
        if row["status"] == MessageStatus.SKIPPED:
            figures.skipped[row["reason"]] += row["count"]
        elif row["reason"] == QUIET_HOURS:
            figures.deferred += row["count"]


def _count_enrollments(
    enrollments: QuerySet[Enrollment], by_flow: dict[int, Figures], by_step: dict[int, Figures]
) -> None:
    """Query: enrollments per flow, active ones per flow and per step they wait for."""
    rows = (
        enrollments.order_by()
        .values("flow_id", "state", "next_step_id")
        .annotate(count=Count("flow"))
    )
    for row in rows:
        flow = by_flow.get(row["flow_id"])
        if flow is None:
            continue
        flow.enrolled += row["count"]
        if row["state"] == EnrollmentState.ACTIVE:
            flow.active += row["count"]
            if row["next_step_id"] in by_step:
                by_step[row["next_step_id"]].active += row["count"]


def _count_conversions(
    conversions: QuerySet[Conversion], by_flow: dict[int, Figures], by_step: dict[int, Figures]
) -> None:
    """Query: attributed orders and revenue per flow, step and currency."""
    rows = (
        conversions.order_by()
        .values("flow_id", "step_id", "currency")
        .annotate(count=Count("pk"), value=Sum("value"))
    )
    for row in rows:
        targets = [by_flow.get(row["flow_id"]), by_step.get(row["step_id"])]
        for figures in filter(None, targets):
            figures.converted += row["count"]
            money = figures.revenue
            money[row["currency"]] = money.get(row["currency"], Decimal(0)) + row["value"]


def series_start(today: date) -> datetime:
    """The first instant of the series: midnight, ``SERIES_DAYS - 1`` days before today."""
    first = today - timedelta(days=SERIES_DAYS - 1)
    return timezone.make_aware(datetime.combine(first, time.min))


def _series(
    messages: QuerySet[Message], conversions: QuerySet[Conversion], today: date
) -> list[Day]:
    """Three queries: emails sent, emails clicked, orders and revenue, per day."""
    start = series_start(today)
    days = {
        start.date() + timedelta(days=n): Day(start.date() + timedelta(days=n))
        for n in range(SERIES_DAYS)
    }

    def per_day(rows: QuerySet[Any], column: str) -> QuerySet[Any]:
        return rows.order_by().annotate(day=TruncDate(column)).values("day")

    sends = per_day(messages.filter(status=MessageStatus.SENT, sent_at__gte=start), "sent_at")
    for row in sends.annotate(count=Count("sent_at")):
        if row["day"] in days:
            days[row["day"]].sends = row["count"]
    # Only an email that left can be clicked; ``clicked_at`` is the latest click.
    clicks = per_day(messages.filter(clicked_at__gte=start), "clicked_at")
    for row in clicks.annotate(count=Count("clicked_at")):
        if row["day"] in days:
            days[row["day"]].clicks = row["count"]
    orders = per_day(conversions.filter(placed_at__gte=start), "placed_at")
    for row in orders.values("day", "currency").annotate(count=Count("pk"), value=Sum("value")):
        day = days.get(row["day"])
        if day is not None:
            day.conversions += row["count"]
            day.revenue[row["currency"]] = row["value"]
    return list(days.values())
