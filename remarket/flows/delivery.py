"""Tick steps (b), (c) and (e): claim due enrollments, re-check and send, reconcile.

Exactly once (DESIGN decision 4): a claim writes the ``Message`` row as ``sending`` and
commits before the ESP is called; the unique (enrollment, step) constraint refuses a
second row; finishing a message and advancing its enrollment share one transaction.
The sends themselves go out concurrently, in waves (remarket.flows.sender).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.constants import OnConflict
from django.utils import timezone

from remarket.conf import conf
from remarket.exceptions import NotSupported
from remarket.flows.context import email_context
from remarket.flows.models import (
    Enrollment,
    EnrollmentState,
    Flow,
    FlowOptOut,
    Step,
)
from remarket.flows.moves import advance, exit_enrollments
from remarket.flows.rechecks import Decision, decide
from remarket.flows.sender import Job, Sender
from remarket.mail.compose import compose
from remarket.mail.layout import Layouts
from remarket.mail.models import Message, MessageStatus
from remarket.mail.render import RenderError
from remarket.mail.sending import Outcome
from remarket.people.models import Contact
from remarket.shop import CartSnapshot, Coupon, CouponRequest, ShopAdapter

__all__ = ["Counts", "FlowCounts", "claim", "deliver", "exit_enrollments"]


@dataclass
class FlowCounts:
    """What one tick did for one flow."""

    enrolled: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    retried: int = 0
    converted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    exited: Counter[str] = field(default_factory=Counter)


Counts = defaultdict[str, FlowCounts]
log = logging.getLogger(__name__)


@dataclass
class Claim:
    """What one claim took: its messages, and how many due enrollments it looked at."""

    messages: list[Message]
    selected: int


def claim(now: datetime, batch_size: int) -> Claim:
    """Take up to ``batch_size`` due enrollments: their messages become ``sending``.

    On PostgreSQL rows locked by another tick are skipped (SKIP LOCKED); everywhere the
    unique constraint has the last word, so a message is claimed by one tick only. A
    message retried ``MAX_SEND_ATTEMPTS`` times fails instead of being claimed again, and
    an enrollment whose next step already has a finished message moves on, so neither can
    block the queue.
    """
    token = uuid.uuid4().hex
    with transaction.atomic():
        enrollments = list(due_enrollments(now)[:batch_size])
        if not enrollments:
            return Claim([], 0)
        pairs = {(e.pk, e.next_step_id): e for e in enrollments}
        existing = {
            (enrollment_id, step_id): (pk, status, attempts)
            for pk, enrollment_id, step_id, status, attempts in Message.objects.filter(
                enrollment__in=enrollments
            ).values_list("pk", "enrollment_id", "step_id", "status", "attempts")
            if (enrollment_id, step_id) in pairs
        }
        _insert_claimed([e.pk for key, e in pairs.items() if key not in existing], token, now)
        again, spent, finished = [], [], []
        for key, (pk, status, attempts) in existing.items():
            if status != MessageStatus.SCHEDULED:
                finished.append(pairs[key])
            elif attempts >= conf.MAX_SEND_ATTEMPTS:
                spent.append(pk)
                finished.append(pairs[key])
            else:
                again.append(pk)
        Message.objects.filter(pk__in=again, status=MessageStatus.SCHEDULED).update(
            status=MessageStatus.SENDING, claimed_at=now, claim=token, attempts=F("attempts") + 1
        )
        Message.objects.filter(pk__in=spent, status=MessageStatus.SCHEDULED).update(
            status=MessageStatus.FAILED, reason=f"gave up after {conf.MAX_SEND_ATTEMPTS} attempts"
        )
        _move_on(finished, now)
        mine = list(Message.objects.filter(claim=token).only(*CLAIMED_FIELDS))
        for message in mine:
            # The enrollments (and their contacts) read and locked above, not read again.
            enrollment = pairs[(message.enrollment_id, message.step_id)]
            message.enrollment = enrollment
            if message.contact_id == enrollment.contact_id:
                message.contact = enrollment.contact
        Enrollment.objects.filter(pk__in=[m.enrollment_id for m in mine]).update(next_run_at=None)
    return Claim(mine, len(enrollments))


def due_enrollments(now: datetime) -> QuerySet[Enrollment]:
    """Due enrollments, oldest first, locked as read (others' locked rows skipped), each
    with its contact; evaluate it inside ``transaction.atomic()``. The order is the
    ``remarket_enrollment_due`` index's, so a claim of 1,000 reads 1,000 rows however
    long the backlog."""
    due = Enrollment.objects.filter(
        state=EnrollmentState.ACTIVE, next_run_at__lte=now, next_step__isnull=False
    ).order_by("next_run_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due.select_related("contact")


#: What the tick reads of a claimed message; it sets the rest before writing it back.
CLAIMED_FIELDS = (
    "enrollment_id",
    "step_id",
    "contact_id",
    "address",
    "status",
    "attempts",
    "claim",
    "coupon_code",
)


def _insert_claimed(enrollment_ids: list[int], token: str, now: datetime) -> None:
    """Write a ``sending`` message for each enrollment's next step: one INSERT ... SELECT.

    The step, the contact and the address come from the (locked) enrollment rows in the
    database, so no ``Message`` is built in Python (``bulk_create`` prepared ~25 values
    per row, a fifth of a tick's CPU). A row the unique (enrollment, step) constraint
    refuses is skipped, as with ``bulk_create(ignore_conflicts=True)``.
    """
    if not enrollment_ids:
        return
    ops, quote = connection.ops, connection.ops.quote_name
    meta, enrollment, contact = Message._meta, Enrollment._meta, Contact._meta
    picked = {
        "enrollment_id": f"e.{quote(enrollment.pk.column)}",
        "step_id": f"e.{quote(enrollment.get_field('next_step').column)}",
        "contact_id": f"e.{quote(enrollment.get_field('contact').column)}",
        "address": f"c.{quote(contact.get_field('email').column)}",
    }
    fixed = {
        "status": MessageStatus.SENDING,
        "attempts": 1,
        "claim": token,
        "claimed_at": now,
        "created_at": now,
    }
    columns, values, params = [], [], []
    for f in meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(quote(f.column))
        if f.attname in picked:
            values.append(picked[f.attname])
            continue
        value = fixed[f.attname] if f.attname in fixed else f.get_default()
        values.append("%s")
        params.append(f.get_db_prep_save(value, connection))
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {quote(meta.db_table)} "
        f"({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {quote(enrollment.db_table)} e INNER JOIN {quote(contact.db_table)} c "
        f"ON c.{quote(contact.pk.column)} = e.{quote(enrollment.get_field('contact').column)} "
        f"WHERE e.{quote(enrollment.pk.column)} IN ({', '.join(['%s'] * len(enrollment_ids))}) "
        + ops.on_conflict_suffix_sql([], OnConflict.IGNORE, [], [])
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *enrollment_ids])


def _move_on(enrollments: list[Enrollment], now: datetime) -> None:
    """Advance enrollments whose next step is already done (e.g. steps were reordered)."""
    if not enrollments:
        return
    steps = _steps({e.flow_id for e in enrollments})
    done = []
    for enrollment in enrollments:
        flow_steps = steps[enrollment.flow_id]
        current = next((s for s in flow_steps if s.pk == enrollment.next_step_id), None)
        if current is not None:
            done.append((enrollment.pk, current, flow_steps))
    advance(done, now)


def _steps(flow_ids: set[int], *, with_flows: bool = False) -> dict[int, list[Step]]:
    """Each flow's steps in order (with ``with_flows``, each step's flow read alongside)."""
    steps: dict[int, list[Step]] = defaultdict(list)
    query = Step.objects.filter(flow_id__in=flow_ids).order_by("position")
    for step in query.select_related("flow") if with_flows else query:
        steps[step.flow_id].append(step)
    return steps


@dataclass
class Batch:
    """Everything the re-checks need, read once for a whole batch of claimed messages."""

    flows: dict[int, Flow]
    steps: dict[int, list[Step]]
    contacts: dict[int, Contact]
    carts: dict[str, CartSnapshot]
    stats: dict[str, Any]
    opened: set[int]
    capped: set[int]
    opted_out: set[tuple[int, int]]

    @classmethod
    def read(cls, messages: list[Message], now: datetime, adapter: ShopAdapter) -> Batch:
        enrollments = [m.enrollment for m in messages]
        flow_ids = {e.flow_id for e in enrollments}
        steps = _steps(flow_ids, with_flows=True)  # one query for flows and steps
        flows = {s[0].flow_id: s[0].flow for s in steps.values()}
        contacts = {m.contact_id: m.contact for m in messages}  # read by the claim
        cart_keys = [e.subject_key for e in enrollments if e.subject_type == "cart"]
        opened: set[int] = set()
        if any(m.step_id != steps[m.enrollment.flow_id][0].pk for m in messages):
            # Only a later step asks whether the previous email was opened.
            opened = set(
                Message.objects.filter(
                    enrollment__in=enrollments, opened_at__isnull=False
                ).values_list("enrollment_id", flat=True)
            )
        capped: set[int] = set()
        if conf.FREQUENCY_CAP:
            capped = set(
                Message.objects.filter(
                    contact_id__in=contacts, counted_at__gt=now - conf.FREQUENCY_CAP
                )
                .exclude(pk__in=[m.pk for m in messages])
                .exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.FAILED])
                .values_list("contact_id", flat=True)
            )
        return cls(
            flows=flows,
            steps=steps,
            contacts=contacts,
            carts=adapter.get_carts(cart_keys) if cart_keys else {},
            stats=adapter.customer_stats(emails={c.email for c in contacts.values()}),
            opened=opened,
            capped=capped,
            opted_out=set(
                FlowOptOut.objects.filter(
                    flow_id__in=flow_ids, contact_id__in=contacts
                ).values_list("flow_id", "contact_id")
            ),
        )


def deliver(
    messages: list[Message],
    now: datetime,
    adapter: ShopAdapter,
    counts: Counts,
    *,
    dry_run: bool,
    sender: Sender | None = None,
) -> None:
    """Re-check every claimed message and send, skip, defer or exit it.

    Sends go through ``sender``, whose last wave may still be in flight on return (the
    tick drains it at the end); without one, a sender for this batch alone is used.
    """
    if not messages:
        return
    if sender is None:
        with Sender(dry_run=dry_run) as own:
            deliver(messages, now, adapter, counts, dry_run=dry_run, sender=own)
        return
    batch = Batch.read(messages, now, adapter)
    # Highest priority first, so the frequency cap lets the most important flow through.
    messages.sort(key=lambda m: (-batch.flows[m.enrollment.flow_id].priority, m.pk))
    plan: list[tuple[Message, Decision]] = []
    for message in messages:
        enrollment = message.enrollment
        contact = batch.contacts[message.contact_id]
        step = next(s for s in batch.steps[enrollment.flow_id] if s.pk == message.step_id)
        is_first = step.pk == batch.steps[enrollment.flow_id][0].pk
        decision = decide(
            now=now,
            enrollment=enrollment,
            flow=batch.flows[enrollment.flow_id],
            step=step,
            contact=contact,
            stats=batch.stats.get(contact.email),
            cart=batch.carts.get(enrollment.subject_key),
            opened_previous=None if is_first else enrollment.pk in batch.opened,
            capped=contact.pk in batch.capped,
            opted_out=(enrollment.flow_id, contact.pk) in batch.opted_out,
        )
        if decision.action == "send" and conf.FREQUENCY_CAP:
            batch.capped.add(contact.pk)
        plan.append((message, decision))
    jobs = []
    for message, decision in _settle_cap_races(plan, now):
        if decision.action != "send":
            _apply(message, decision, batch, now, counts)
            continue
        flow = batch.flows[message.enrollment.flow_id]
        steps = batch.steps[flow.pk]
        step = next(s for s in steps if s.pk == message.step_id)
        contact = batch.contacts[message.contact_id]
        jobs.append(Job(message, flow, step, steps, contact, counts[flow.slug]))

    layouts = Layouts()  # the layout rendered once per language for this batch

    def prepare(job: Job) -> None:
        _prepare(job, batch, now, adapter=adapter, dry_run=dry_run, layouts=layouts)

    sender.send(jobs, now, prepare)


def _settle_cap_races(
    plan: list[tuple[Message, Decision]], now: datetime
) -> list[tuple[Message, Decision]]:
    """Two ticks may pass the cap for one person at once: the earliest counted wins."""
    sends = [m for m, d in plan if d.action == "send"]
    if not sends or not conf.FREQUENCY_CAP:
        return plan
    counted = timezone.now()  # when this tick counts, not when it started
    Message.objects.filter(pk__in=[m.pk for m in sends]).update(counted_at=counted)
    winners: dict[int, int] = {}
    for contact_id, pk in (
        Message.objects.filter(
            contact_id__in={m.contact_id for m in sends},
            counted_at__gt=counted - conf.FREQUENCY_CAP,
        )
        .exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.FAILED])
        .order_by("counted_at", "pk")
        .values_list("contact_id", "pk")
    ):
        winners.setdefault(contact_id, pk)
    return [
        (
            m,
            Decision("skip", "frequency_cap")
            if d.action == "send" and winners.get(m.contact_id) != m.pk
            else d,
        )
        for m, d in plan
    ]


def _coupon(
    message: Message, step: Step, contact: Contact, adapter: ShopAdapter, now: datetime
) -> Coupon:
    """The step's unique coupon: made once per message, kept across retries."""
    expires = now + timedelta(days=step.coupon_days)
    if message.coupon_code:
        return Coupon(code=message.coupon_code, expires_at=expires)
    amount = (
        {"percent_off": step.coupon_value}
        if step.coupon_kind == "percent"
        else {"amount_off": step.coupon_value}
    )
    coupon = adapter.create_coupon(
        CouponRequest(
            email=contact.email,
            expires_at=expires,
            currency=conf.CURRENCY,
            metadata={"remarket_message": str(message.pk)},
            **amount,
        )
    )
    Message.objects.filter(pk=message.pk).update(coupon_code=coupon.code)
    return coupon


def _apply(
    message: Message, decision: Decision, batch: Batch, now: datetime, counts: Counts
) -> None:
    """Defer, skip or exit one message that is not to be sent."""
    enrollment = message.enrollment
    flow = batch.flows[enrollment.flow_id]
    steps = batch.steps[enrollment.flow_id]
    step = next(s for s in steps if s.pk == message.step_id)
    tally = counts[flow.slug]
    # Only while this tick still owns the row: another tick may have reclaimed it after
    # the lease, and its result must never be overwritten.
    finished = Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claim=message.claim
    )
    with transaction.atomic():
        if decision.action == "defer":
            if finished.update(
                status=MessageStatus.SCHEDULED, reason=decision.reason, counted_at=None
            ):
                Enrollment.objects.filter(pk=enrollment.pk).update(next_run_at=decision.until)
                tally.deferred += 1
            return
        if not finished.update(
            status=MessageStatus.SKIPPED, reason=decision.reason, counted_at=None
        ):
            return
        if decision.action == "exit":
            exit_enrollments([enrollment.pk], decision.reason, now)
            tally.exited[decision.reason] += 1
        else:
            advance([(enrollment.pk, step, steps)], now)
            tally.skipped[decision.reason] += 1


def _prepare(
    job: Job,
    batch: Batch,
    now: datetime,
    *,
    adapter: ShopAdapter,
    dry_run: bool,
    layouts: Layouts,
) -> None:
    """Render one email onto its job; a broken one gets a failed outcome instead."""
    message, step = job.message, job.step
    enrollment = message.enrollment
    try:
        coupon = None
        if step.coupon_kind:
            coupon = (
                Coupon(code="DRYRUN", expires_at=now)
                if dry_run
                else _coupon(message, step, job.contact, adapter, now)
            )
        email = compose(
            subject=step.subject,
            preheader=step.preheader,
            body=step.body,
            context=email_context(
                subject_type=enrollment.subject_type,
                snapshot=enrollment.snapshot,
                contact=job.contact,
                cart=batch.carts.get(enrollment.subject_key),
                step=step,
                adapter=adapter,
                coupon=coupon,
                message_id=message.pk,
            ),
            locale=job.contact.locale,
            message_id=message.pk,
            layouts=layouts,
        )
    except (RenderError, NotSupported) as exc:
        job.outcome = Outcome(MessageStatus.FAILED, str(exc)[:200])
    except Exception as exc:  # a broken coupon factory or link must fail one message only
        log.exception("remarket message %s could not be prepared", message.pk)
        job.outcome = Outcome(MessageStatus.FAILED, f"{type(exc).__name__}: {exc}"[:200])
    else:
        job.subject, job.text, job.html = email.subject, email.text, email.html
        job.headers = email.headers
