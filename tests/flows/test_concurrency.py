"""Exactly once on real PostgreSQL: parallel ticks, a tick killed mid-batch, Celery + Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from remarket.flows.models import Enrollment
from remarket.mail.models import Message
from tests.seeding import seed_due

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def worker_env(outbox: Path, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "PYTHONPATH": str(ROOT),
        "REMARKET_TEST_PG_NAME": db["NAME"],
        "REMARKET_TEST_PG_HOST": db["HOST"],
        "REMARKET_TEST_PG_PORT": str(db["PORT"]),
        "REMARKET_TEST_PG_USER": db["USER"],
        "REMARKET_TEST_OUTBOX": str(outbox),
        **extra,
    }


def recorded(outbox: Path) -> Counter[str]:
    if not outbox.exists():
        return Counter()
    return Counter(line.split()[0] for line in outbox.read_text().splitlines() if line)


@pytest.fixture
def no_quiet_hours(settings):
    settings.REMARKET = {**settings.REMARKET, "QUIET_HOURS": None}


def test_four_ticks_at_once_send_every_message_exactly_once(tmp_path, no_quiet_hours):
    seed_due(5_000)
    outbox = tmp_path / "outbox.txt"
    env = worker_env(outbox)

    ticks = [
        subprocess.Popen([sys.executable, "-m", "tests.tick_worker", "200"], cwd=ROOT, env=env)
        for _ in range(4)
    ]
    for process in ticks:
        assert process.wait(timeout=300) == 0

    sends = recorded(outbox)
    assert len(sends) == 5_000
    assert max(sends.values()) == 1
    assert Message.objects.filter(status="sent").count() == 5_000
    assert Message.objects.exclude(status="sent").count() == 0
    assert set(Enrollment.objects.values_list("state", flat=True)) == {"completed"}


@pytest.mark.parametrize(("concurrency", "wave"), [(1, 1), (8, 24)])
def test_a_tick_killed_mid_batch_then_a_normal_tick(
    tmp_path, settings, no_quiet_hours, concurrency, wave
):
    seed_due(600)
    outbox = tmp_path / "outbox.txt"
    env = worker_env(
        outbox,
        REMARKET_TEST_SEND_DELAY="0.01",
        REMARKET_TEST_SEND_CONCURRENCY=str(concurrency),
        REMARKET_TEST_SEND_WAVE=str(wave),
    )
    doomed = subprocess.Popen([sys.executable, "-m", "tests.tick_worker", "100"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 120
    while sum(recorded(outbox).values()) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    assert Message.objects.filter(status="sending").exists()  # it really died mid-batch

    settings.REMARKET = {**settings.REMARKET, "SEND_LEASE": timedelta(0)}
    settings.EMAIL_BACKEND = "tests.recording_backend.EmailBackend"
    settings.REMARKET_TEST_OUTBOX = str(outbox)
    from remarket.flows.tick import run_tick

    report = run_tick()

    sends = recorded(outbox)
    assert max(sends.values()) == 1  # nothing was sent twice
    statuses = Counter(Message.objects.values_list("status", flat=True))
    assert statuses["sending"] == 0
    assert statuses["sent"] + statuses["review"] == 600
    # At most the wave the kill interrupted: the messages that may have been on the wire.
    assert statuses["review"] <= wave
    assert report.reconciled["retried"] >= 1
    # Everyone sent is recorded; the one in review may or may not have left.
    sent_ids = {
        str(pk) for pk in Message.objects.filter(status="sent").values_list("pk", flat=True)
    }
    assert sent_ids <= set(sends)
    assert not Enrollment.objects.filter(state="active").exists()  # nobody stuck


@pytest.mark.redis
def test_beat_and_a_celery_worker_on_redis_run_the_tick(tmp_path, redis_url, no_quiet_hours):
    seed_due(20)
    outbox = tmp_path / "outbox.txt"
    from django.core.management import call_command

    call_command("remarket_install_schedule", "--every", "1", stdout=open(os.devnull, "w"))  # noqa: SIM115
    env = worker_env(outbox, REMARKET_TEST_BROKER=redis_url)
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker"),
            *("--beat", "--pool=solo", "--concurrency=1", "--loglevel=WARNING"),
            f"--schedule={tmp_path / 'beat-schedule'}",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 90
        while sum(recorded(outbox).values()) < 20 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)

    sends = recorded(outbox)
    assert len(sends) == 20
    assert max(sends.values()) == 1
    assert Message.objects.filter(status="sent").count() == 20
