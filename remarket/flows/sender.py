"""Tick step (c), the sending half: many ESP round trips in flight, exactly once still.

Claimed messages that passed their re-checks go out in *waves* of up to
``REMARKET['SEND_WAVE']`` messages, ``REMARKET['SEND_CONCURRENCY']`` of them on the wire
at once:

1. the wave takes permits from the global per-minute cap (remarket.mail.ratelimit);
2. it is rendered on the tick's thread, while the previous wave is still on the wire;
3. the previous wave is finished (see 5), then this one is handed over in one statement,
   committed before any ESP call (remarket.mail.sending.hand_over);
4. each message is posted by a pool thread with that thread's own anymail connection;
   these threads never touch the database;
5. when the wave's answers are in, one transaction writes them: only rows still
   ``sending`` (or ``review``) under this tick's claim are locked and written, and their
   enrollments move on, grouped by step. On PostgreSQL (any database but SQLite) this is
   done by one *writer* thread on a connection of its own, as soon as the answers are
   in, while the tick's thread renders the next wave; on SQLite, or when the tick runs
   inside a transaction (a dry run, a test), the tick's thread does it.

So at most one wave is handed over and unfinished at any moment: a crash leaves at most
``SEND_WAVE`` messages for reconcile() to put in review, the ones that may have been on
the wire, and never re-sends one blindly. A wave costs four statements whatever its size.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import get_connection
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F

from remarket.conf import conf
from remarket.flows.models import Enrollment, EnrollmentState, ExitReason, Flow, Step
from remarket.flows.moves import advance, exit_enrollments, update_each
from remarket.mail import transport
from remarket.mail.models import Message, MessageStatus
from remarket.mail.ratelimit import next_window, take_permits
from remarket.mail.sending import (
    BAD_ADDRESS,
    NOT_HANDED,
    RETRY,
    STOPPED,
    Outcome,
    hand_over,
    post_message,
)
from remarket.people.history import ChangeSource
from remarket.people.models import Contact, Suppression
from remarket.people.services import suppress

log = logging.getLogger(__name__)
RATE_LIMITED = "waiting for REMARKET['MAX_SENDS_PER_MINUTE']"


@dataclass
class Job:
    """One message on its way: what it needs to be sent and finished, then its outcome."""

    message: Message
    flow: Flow
    step: Step
    steps: list[Step]
    contact: Contact
    tally: Any  # the flow's FlowCounts
    subject: str = ""
    text: str = ""
    html: str = ""
    headers: dict[str, str] | None = None
    outcome: Outcome | None = None
    future: Future[Outcome] | None = None
    #: What finish() made of it, counted on the tick's thread: "sent", "failed",
    #: "retried", "exited" or "" (another tick owns the row now).
    counted_as: str = ""


@dataclass
class Wave:
    """Jobs handed over together, finished together, at the tick's ``now``."""

    jobs: list[Job]
    now: datetime
    #: The writer thread's work on this wave: waiting for its answers, then finish().
    written: Future[None] | None = None


class Sender:
    """Sends jobs in waves with a pool of threads; use as a context manager.

    One sender can serve several batches of a tick: the last wave of a batch stays in
    flight while the next batch is claimed and read.
    """

    def __init__(
        self, *, concurrency: int | None = None, wave: int | None = None, dry_run: bool = False
    ) -> None:
        self.concurrency = concurrency or conf.SEND_CONCURRENCY
        #: Messages per wave: several times the threads, so the database sees few
        #: statements per email; the threads take them SEND_CONCURRENCY at a time.
        self.wave = wave or conf.SEND_WAVE
        self.dry_run = dry_run
        #: The per-minute cap is used up: the tick stops claiming.
        self.capped = False
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="remarket-send")
        #: Where the database allows it, a wave's outcomes are written by this thread, on
        #: its own connection, while the tick's thread renders the next wave.
        self._writer = (
            ThreadPoolExecutor(1, thread_name_prefix="remarket-write")
            if not dry_run and _can_write_aside()
            else None
        )
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._in_flight: Wave | None = None

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                self.drain()
        finally:
            self.close()

    def send(self, jobs: list[Job], now: datetime, prepare: Callable[[Job], None]) -> None:
        """Send ``jobs`` wave by wave; ``prepare(job)`` renders one (sets text or outcome)."""
        for start in range(0, len(jobs), self.wave):
            wave = jobs[start : start + self.wave]
            granted = self._permits(len(wave))
            if granted < len(wave):
                self.capped = True
                release(wave[granted:] + jobs[start + self.wave :])
                wave = wave[:granted]
            for job in wave:
                prepare(job)
            self._finish_in_flight()
            self._launch(Wave(wave, now))
            if self.capped:
                return

    def _permits(self, wanted: int) -> int:
        """A dry run takes none (it sends nothing); once the cap is used up, no more."""
        if self.dry_run:
            return wanted
        return 0 if self.capped else take_permits(wanted)

    def drain(self) -> None:
        """Wait for the wave in flight and write its outcomes."""
        self._finish_in_flight()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._writer is not None:
            self._writer.submit(connections.close_all)  # the writer thread's connection
            self._writer.shutdown(wait=True)
        for connection in self._connections:
            connection.close()

    def _launch(self, wave: Wave) -> None:
        ready = [job for job in wave.jobs if job.outcome is None]
        if self.dry_run:
            for job in ready:
                job.outcome = Outcome(MessageStatus.SENT, "dry run")
        else:
            handed, stopped = hand_over([job.message for job in ready])
            handed_pks = {m.pk for m in handed}
            stopped_pks = {m.pk for m in stopped}
            for job in ready:
                if job.message.pk in handed_pks:
                    job.future = self._pool.submit(self._post, job)
                else:
                    job.outcome = STOPPED if job.message.pk in stopped_pks else NOT_HANDED
        if self._writer is not None:
            wave.written = self._writer.submit(_write_wave, wave)
        self._in_flight = wave

    def _finish_in_flight(self) -> None:
        """Wave N is written before wave N+1 is handed over: one unfinished wave at most."""
        wave, self._in_flight = self._in_flight, None
        if wave is None:
            return
        if wave.written is not None:
            wave.written.result()  # an error writing it is raised here, on the tick's thread
        else:
            _write_wave(wave)
        count(wave.jobs)

    def _post(self, job: Job) -> Outcome:
        """In a pool thread: no database, this thread's own ESP connection."""
        try:
            return post_message(
                job.message,
                subject=job.subject,
                text=job.text,
                html=job.html,
                from_email=job.flow.from_email or conf.FROM_EMAIL,
                tags=["remarket", f"flow:{job.flow.slug}", f"step:{job.step.position}"],
                headers=job.headers,
                reply_to=job.flow.reply_to or conf.REPLY_TO,
                connection=self._connection(),
            )
        except Exception as exc:  # e.g. the backend cannot be loaded: fail this message only
            log.exception("remarket message %s could not be posted", job.message.pk)
            return Outcome(MessageStatus.FAILED, f"{type(exc).__name__}: {exc}"[:200])

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection()
            connection.open()  # kept open: one HTTP session (TCP + TLS) per thread
            transport.tune(connection)  # environment read once, requests prepared directly
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection


def _can_write_aside() -> bool:
    """A second connection may write while the tick's reads and renders: not on SQLite
    (one writer at a time), and not inside a transaction (a dry run, a test), whose rows
    another connection cannot see."""
    connection = connections[DEFAULT_DB_ALIAS]
    return connection.vendor != "sqlite" and not connection.in_atomic_block


def _write_wave(wave: Wave) -> None:
    """Wait for a wave's answers, then write them (on the writer thread, or inline)."""
    for job in wave.jobs:
        if job.future is not None:
            job.outcome = job.future.result()  # _post never raises
    finish(wave.jobs, wave.now)


def count(jobs: list[Job]) -> None:
    """Add what finish() made of each job to its flow's tally, on the tick's thread."""
    for job in jobs:
        if job.counted_as == "exited":
            job.tally.exited[ExitReason.UNSUBSCRIBED] += 1
        elif job.counted_as:
            setattr(job.tally, job.counted_as, getattr(job.tally, job.counted_as) + 1)


def backoff(attempt: int) -> timedelta:
    """1, 2, 4 ... minutes (at most 6 hours), with jitter so retries do not stampede."""
    seconds = min(60 * 2 ** max(attempt - 1, 0), 6 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.5))


def finish(jobs: list[Job], now: datetime) -> None:
    """Write a wave's outcomes in one transaction, onto the rows this tick still owns."""
    jobs = [job for job in jobs if job.outcome is not NOT_HANDED]  # another tick owns those
    if not jobs:
        return
    (token,) = {job.message.claim for job in jobs}
    with transaction.atomic():
        # Lock the rows still ours; another tick that reclaimed one after the lease changed
        # its claim, and its result must never be overwritten.
        owned = dict(
            Message.objects.filter(pk__in=[job.message.pk for job in jobs], claim=token)
            .select_for_update()
            .values_list("pk", "status")
        )
        final, retry, stopped = [], [], []
        for job in jobs:
            outcome, status = job.outcome, owned.get(job.message.pk)
            assert outcome is not None
            if outcome is STOPPED or outcome.status == RETRY:
                if status != MessageStatus.SENDING:
                    continue
                if outcome is STOPPED:
                    stopped.append(job)
                elif job.message.attempts < conf.MAX_SEND_ATTEMPTS:
                    retry.append(job)
                else:
                    reason = f"gave up after {job.message.attempts} attempts: {outcome.reason}"
                    job.outcome = Outcome(MessageStatus.FAILED, reason[:200])
                    final.append(job)
            elif status in (MessageStatus.SENDING, MessageStatus.REVIEW):
                final.append(job)  # a review row may be settled: it did leave, or not
        _write_final(token, final, now)
        _write_retries(token, retry, now)
        _write_stopped(token, stopped, now)


def _write_final(token: str, jobs: list[Job], now: datetime) -> None:
    rows = []
    for job in jobs:
        outcome, message = job.outcome, job.message
        assert outcome is not None
        message.status = MessageStatus.FAILED if outcome.status == BAD_ADDRESS else outcome.status
        message.reason = outcome.reason
        message.sent_at = outcome.at
        message.subject, message.body_text, message.body_html = job.subject, job.text, job.html
        message.esp_name, message.esp_message_id = outcome.esp_name, outcome.esp_message_id
        rows.append(message)
        if outcome.status == BAD_ADDRESS:
            suppress(job.contact, Suppression.INVALID, now, source=ChangeSource.SENDING)
        job.counted_as = "sent" if outcome.sent else "failed"
    fields = ["status", "reason", "sent_at", "subject", "body_text", "body_html"]
    update_each(rows, [*fields, "esp_name", "esp_message_id"], claim=token)
    advance([(job.message.enrollment_id, job.step, job.steps) for job in jobs], now)


def _write_retries(token: str, jobs: list[Job], now: datetime) -> None:
    if not jobs:
        return
    enrollments = []
    for job in jobs:
        message = job.message
        assert job.outcome is not None
        message.status = MessageStatus.SCHEDULED
        message.reason = f"retry after attempt {message.attempts}: {job.outcome.reason}"[:200]
        message.handed_at = message.counted_at = None
        message.enrollment.next_run_at = now + backoff(message.attempts)
        enrollments.append(message.enrollment)
        job.counted_as = "retried"
    fields = ["status", "reason", "handed_at", "counted_at"]
    update_each([job.message for job in jobs], fields, claim=token)
    update_each(enrollments, ["next_run_at"], state=EnrollmentState.ACTIVE)


def _write_stopped(token: str, jobs: list[Job], now: datetime) -> None:
    if not jobs:
        return
    Message.objects.filter(pk__in=[job.message.pk for job in jobs], claim=token).update(
        status=MessageStatus.SKIPPED, reason=STOPPED.reason
    )
    exit_enrollments([job.message.enrollment_id for job in jobs], ExitReason.UNSUBSCRIBED, now)
    for job in jobs:
        job.counted_as = "exited"


def release(jobs: list[Job]) -> None:
    """Give claimed messages back to the queue for the next minute (the cap is used up).

    They were never handed over, so this is no attempt: ``attempts`` goes back down.
    """
    if not jobs:
        return
    (token,) = {job.message.claim for job in jobs}
    until = next_window()
    with transaction.atomic():
        mine = list(
            Message.objects.filter(
                pk__in=[job.message.pk for job in jobs], claim=token, status=MessageStatus.SENDING
            )
            .select_for_update()
            .values_list("pk", "enrollment_id")
        )
        Message.objects.filter(pk__in=[pk for pk, _ in mine]).update(
            status=MessageStatus.SCHEDULED,
            reason=RATE_LIMITED,
            attempts=F("attempts") - 1,
            counted_at=None,
        )
        Enrollment.objects.filter(pk__in=[e for _, e in mine]).update(next_run_at=until)
    by_pk = {job.message.pk: job for job in jobs}
    for pk, _enrollment in mine:
        by_pk[pk].tally.deferred += 1
