"""Concurrent sending through anymail's real Postmark backend, against tests/esp_simulator.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import Max
from django.db.models.functions import TruncMinute
from django.utils import timezone

from remarket.flows.models import Enrollment
from remarket.flows.sender import RATE_LIMITED
from remarket.flows.tick import TickReport, run_tick
from remarket.mail.models import Message
from remarket.mail.ratelimit import SendWindow
from tests.esp_simulator import TOKEN, esp_simulator
from tests.flows.conftest import NOON
from tests.flows.test_concurrency import ROOT, worker_env
from tests.seeding import seed_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def esp(settings):
    """A simulator answering at once; anymail's Postmark backend pointed at it."""
    with esp_simulator() as simulator:
        for name, value in simulator.settings().items():
            setattr(settings, name, value)
        yield simulator


@pytest.fixture
def sending(settings):
    settings.REMARKET = {**settings.REMARKET, "QUIET_HOURS": None, "SEND_CONCURRENCY": 8}


def test_every_message_reaches_the_esp_once_with_its_own_id_and_unsubscribe_header(esp, sending):
    seed_due(60)

    report = run_tick(batch_size=25)

    accepted = esp.record()["accepted"]
    by_message = {a["remarket_message"]: a for a in accepted}
    messages = list(Message.objects.all())
    assert report.sent == 60 == len(accepted) == len(by_message)
    for message in messages:
        seen = by_message[str(message.pk)]
        assert (message.status, message.esp_name) == ("sent", "Postmark")
        assert message.esp_message_id == seen["message_id"]
        assert seen["to"] == message.address
        assert seen["list_unsubscribe"].startswith("<http://127.0.0.1:8000/")
    assert len({a["list_unsubscribe"] for a in accepted}) == 60  # one link per person


def test_a_proxy_in_the_environment_still_carries_every_email(esp, sending, settings, monkeypatch):
    # requests reads the environment once per connection now, not per email (speed):
    # the proxy it names must still be used. The simulator plays the proxy, and the ESP's
    # host does not even resolve, so an email that went around the proxy would fail.
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_API_URL": "http://postmark.invalid/"}
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, esp.url)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    seed_due(12)

    report = run_tick()

    accepted = esp.record()["accepted"]
    assert report.sent == 12 == len({a["remarket_message"] for a in accepted})
    assert {a["proxied_for"] for a in accepted} == {"postmark.invalid"}
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.postgres  # SQLite splits big statements by its parameter limit
def test_a_wave_costs_the_same_few_queries_whatever_its_size(
    sending, settings, django_assert_max_num_queries
):
    settings.REMARKET = {**settings.REMARKET, "SEND_CONCURRENCY": 50, "SEND_WAVE": 100}
    seed_due(400)
    costs = []
    for size in (100, 300):  # one wave, then three
        with django_assert_max_num_queries(60) as captured:
            report = run_tick(batch_size=size, max_batches=1)
        assert report.sent == size
        costs.append(len(captured))

    assert len(mail.outbox) == 400 == len({m.to[0] for m in mail.outbox})
    # Per wave: hand over, lock, write messages, move enrollments on, and the savepoint
    # pair the test's transaction adds; before waves it was 3 statements per message.
    assert costs[1] - costs[0] <= 2 * 6, costs


def test_the_per_minute_cap_sends_what_it_allows_and_queues_the_rest(sending, settings):
    settings.REMARKET = {**settings.REMARKET, "MAX_SENDS_PER_MINUTE": 5, "SEND_CONCURRENCY": 2}
    import time_machine

    with time_machine.travel(NOON, tick=False) as clock:
        seed_due(12)
        report = run_tick()
        assert (report.sent, len(mail.outbox)) == (5, 5)
        waiting = Message.objects.filter(status="scheduled")
        assert waiting.count() == 7
        assert set(waiting.values_list("reason", "attempts")) == {(RATE_LIMITED, 0)}
        waits = Enrollment.objects.filter(state="active").values_list("next_run_at", flat=True)
        assert set(waits) == {NOON + timedelta(minutes=1)}
        assert run_tick().sent == 0  # the same minute: nothing more

        for expected in (5, 2):
            clock.shift(timedelta(minutes=1))
            assert run_tick().sent == expected

    assert len(mail.outbox) == 12 == len({m.to[0] for m in mail.outbox})
    assert list(SendWindow.objects.order_by("start").values_list("handed", flat=True)) == [5, 5, 2]


def tick_until_done(limit: int = 20) -> list[TickReport]:
    """Tick, jumping to the last retry each time, until nobody waits (backoff is minutes)."""
    reports, now = [], timezone.now()
    for _ in range(limit):
        reports.append(run_tick(now=now))
        due = Enrollment.objects.filter(state="active").aggregate(at=Max("next_run_at"))["at"]
        if due is None:
            return reports
        now = max(now, due)
    raise AssertionError(f"still {Enrollment.objects.filter(state='active').count()} waiting")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_30_percent_failures_every_message_is_accepted_exactly_once(sending, settings):
    settings.REMARKET = {**settings.REMARKET, "MAX_SEND_ATTEMPTS": 12}
    seed_due(400)

    with esp_simulator(latency_ms=5, fail_rate=0.3, seed=8) as esp:
        for name, value in esp.settings().items():
            setattr(settings, name, value)
        reports = tick_until_done()
        record = esp.record()

    accepted = Counter(a["remarket_message"] for a in record["accepted"])
    sent = dict(Message.objects.values_list("pk", "esp_message_id"))
    assert len(sent) == 400
    assert accepted == Counter({str(pk): 1 for pk in sent})  # each once, none lost
    assert {a["message_id"] for a in record["accepted"]} == set(sent.values())
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert set(Enrollment.objects.values_list("state", flat=True)) == {"completed"}
    refused = sum(record["refused"].values())
    assert refused > 50  # the faults really happened...
    assert sum(r.flows["win-back"].retried for r in reports) == refused  # ...and were retried
    assert Message.objects.filter(attempts__gt=1).count() > 50


def esp_workers(count: int, tmp_path, esp, **remarket: int) -> None:
    env = worker_env(tmp_path / "unused-outbox.txt")
    env |= {"REMARKET_TEST_ESP_URL": esp.url, "REMARKET_TEST_ESP_TOKEN": TOKEN}
    env |= {f"REMARKET_TEST_{key}": str(value) for key, value in remarket.items()}
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.tick_worker", "100"], cwd=ROOT, env=env)
        for _ in range(count)
    ]
    for worker in workers:
        assert worker.wait(timeout=300) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_at_once_against_a_failing_esp_never_double_send(sending, settings, tmp_path):
    settings.REMARKET = {**settings.REMARKET, "MAX_SEND_ATTEMPTS": 12}
    seed_due(1_500)

    with esp_simulator(latency_ms=10, fail_rate=0.2, seed=5) as esp:
        esp_workers(3, tmp_path, esp, SEND_CONCURRENCY=16, MAX_SEND_ATTEMPTS=12)
        for name, value in esp.settings().items():
            setattr(settings, name, value)
        tick_until_done()  # the retries the workers scheduled
        accepted = esp.accepted()

    pks = set(Message.objects.values_list("pk", flat=True))
    assert len(pks) == 1_500
    assert accepted == Counter({str(pk): 1 for pk in pks})
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_per_minute_cap_holds_across_workers(sending, tmp_path):
    seed_due(600)

    with esp_simulator() as esp:
        esp_workers(3, tmp_path, esp, SEND_CONCURRENCY=16, MAX_SENDS_PER_MINUTE=150)
        accepted = esp.accepted()

    per_minute = Counter(
        Message.objects.filter(handed_at__isnull=False)
        .annotate(minute=TruncMinute("handed_at"))
        .values_list("minute", flat=True)
    )
    assert max(per_minute.values()) <= 150
    windows = dict(SendWindow.objects.values_list("start", "handed"))
    assert windows == per_minute  # every permit taken was used by a send
    assert sum(accepted.values()) == len(accepted) == sum(windows.values())
    assert 150 <= len(accepted) <= 150 * len(windows)  # a run may straddle a minute
    # The rest wait: claimed ones were given back untried, the others never claimed.
    assert Enrollment.objects.filter(state="active").count() + len(accepted) == 600
    waiting = Message.objects.filter(status="scheduled")
    assert waiting.exists()
    assert set(waiting.values_list("reason", "attempts")) == {(RATE_LIMITED, 0)}
    given_back = Enrollment.objects.filter(messages__status="scheduled")
    for at in given_back.values_list("next_run_at", flat=True):
        assert at - timedelta(minutes=1) in windows  # due when the next minute begins


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_writer_thread_writes_the_outcomes_and_closes_its_connection(sending):
    seed_due(120)
    opened_in = []

    def opened(sender, connection, **kwargs):
        opened_in.append(threading.current_thread().name)

    others = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with connection.cursor() as cursor:
        cursor.execute(others)
        (before,) = cursor.fetchone()
    connection_created.connect(opened)
    try:
        report = run_tick(batch_size=50)  # three batches, written while the next renders
    finally:
        connection_created.disconnect(opened)

    assert report.sent == 120 == len(mail.outbox)
    assert Message.objects.filter(status="sent").count() == 120
    assert set(Enrollment.objects.values_list("state", flat=True)) == {"completed"}
    assert [name.split("_")[0] for name in opened_in] == ["remarket-write"]
    with connection.cursor() as cursor:
        cursor.execute(others)
        assert cursor.fetchone() == (before,)  # the writer's connection did not outlive it
