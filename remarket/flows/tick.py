"""The tick: one pass of the scheduler, the same function for every runner.

``run_tick()`` (a) enrolls newly triggered people into each live flow, (b) claims due
enrollments in batches, (c) re-checks each claimed message and sends it, up to
``REMARKET['SEND_CONCURRENCY']`` at once and within ``MAX_SENDS_PER_MINUTE``, (d) records
conversions and takes buyers out of their flows, (e) reconciles messages left
``sending`` by a crash. ``manage.py remarket_tick`` and ``remarket.tasks.tick`` both call
it; two ticks at once are harmless (DESIGN decisions 3-5).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from remarket.conf import conf
from remarket.flows.delivery import Counts, FlowCounts, claim, deliver, exit_enrollments
from remarket.flows.enroll import enroll_flow
from remarket.flows.models import Cursor, Enrollment, EnrollmentState, ExitReason, Flow, FlowStatus
from remarket.flows.reconcile import reconcile
from remarket.flows.sender import Sender
from remarket.flows.triggers import ORDER_SETTLE_TIME, get_trigger
from remarket.insights.attribution import record_conversions
from remarket.mail.ratelimit import forget_old_windows
from remarket.people.models import Contact
from remarket.shop import ShopAdapter, get_adapter

CONVERSIONS_CURSOR = "conversions"


@dataclass
class TickReport:
    """What one tick did, per flow slug."""

    started_at: datetime
    flows: Counts = field(default_factory=lambda: defaultdict(FlowCounts))
    reconciled: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    dry_run: bool = False

    @property
    def sent(self) -> int:
        return sum(f.sent for f in self.flows.values())

    @property
    def enrolled(self) -> int:
        return sum(f.enrolled for f in self.flows.values())


class _DryRun(Exception):
    """Raised to roll a dry run back."""


def run_tick(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    dry_run: bool = False,
) -> TickReport:
    """One full pass. ``dry_run`` does everything but send, then rolls it all back."""
    report = TickReport(started_at=now or timezone.now(), dry_run=dry_run)
    if not dry_run:
        _run(report, batch_size, max_batches)
        return report
    try:
        with transaction.atomic():
            _run(report, batch_size, max_batches)
            raise _DryRun
    except _DryRun:
        pass
    return report


def _run(report: TickReport, batch_size: int | None, max_batches: int | None) -> None:
    now = report.started_at
    adapter = get_adapter()
    reconcile(now, report.reconciled)
    forget_old_windows()
    for flow in Flow.objects.filter(status=FlowStatus.LIVE):
        report.flows[flow.slug].enrolled += enroll_flow(flow, now, adapter)
    record_orders(now, adapter, report.flows)
    _exit_paused(now, report.flows)
    size = batch_size or conf.BATCH_SIZE
    # One sender for every batch: the last wave of one is on the wire while the next
    # batch is claimed and read.
    with Sender(dry_run=report.dry_run) as sender:
        while max_batches is None or report.batches < max_batches:
            taken = claim(now, size)
            if not taken.selected:
                break
            report.batches += 1
            deliver(
                taken.messages, now, adapter, report.flows, dry_run=report.dry_run, sender=sender
            )
            if taken.selected < size or sender.capped:
                break


def record_orders(now: datetime, adapter: ShopAdapter, counts: Counts) -> None:
    """Tick step (d): orders since the last pass exit their flows and become conversions."""
    cursor = Cursor.objects.filter(name=CONVERSIONS_CURSOR).first()
    end = now - ORDER_SETTLE_TIME
    start = cursor.position if cursor else end - conf.CLICK_ATTRIBUTION_WINDOW
    slugs = dict(Flow.objects.values_list("pk", "slug"))  # not one query per conversion
    for batch in adapter.orders_placed_since(start, until=end):
        by_email: dict[str, list] = defaultdict(list)
        for order in batch:
            if order.email:
                by_email[order.email].append(order)
        contacts = {c.email: c for c in Contact.objects.filter(email__in=by_email)}
        leaving: dict[str, list[int]] = defaultdict(list)
        involved: set[int] = set()
        for enrollment in Enrollment.objects.filter(
            contact__in=contacts.values(), state=EnrollmentState.ACTIVE
        ).select_related("flow", "contact"):
            after = get_trigger(enrollment.flow.trigger).orders_after(enrollment)
            for order in by_email[enrollment.contact.email]:
                same_cart = enrollment.subject_type == "cart" and (
                    enrollment.subject_key == order.cart_key
                )
                if same_cart or (enrollment.flow.exit_on_order and order.placed_at > after):
                    leaving[enrollment.flow.slug].append(enrollment.pk)
                    involved.add(enrollment.contact_id)
                    break
        for slug, pks in leaving.items():
            counts[slug].exited[ExitReason.ORDERED] += exit_enrollments(
                pks, ExitReason.ORDERED, now
            )
        for conversion in record_conversions(batch, contacts, involved):
            if conversion.flow_id:
                counts[slugs[conversion.flow_id]].converted += 1
    Cursor.objects.update_or_create(name=CONVERSIONS_CURSOR, defaults={"position": end})


def _exit_paused(now: datetime, counts: Counts) -> None:
    """People waiting in a paused or draft flow leave it now, with that reason."""
    waiting: dict[str, list[int]] = defaultdict(list)
    for slug, pk in (
        Enrollment.objects.filter(state=EnrollmentState.ACTIVE)
        .exclude(flow__status=FlowStatus.LIVE)
        .values_list("flow__slug", "pk")
    ):
        waiting[slug].append(pk)
    for slug, pks in waiting.items():
        counts[slug].exited[ExitReason.FLOW_PAUSED] += exit_enrollments(
            pks, ExitReason.FLOW_PAUSED, now
        )
