"""`make demo` runs example_project/demo.py: it must come up and say where to go."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from example_project import demo as demo_script
from remarket.flows.models import ConsentPolicy, Flow, FlowStatus

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_migrates_seeds_serves_and_prints_its_urls(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "REMARKET_DEMO_VAR": str(tmp_path),
        "DEMO_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    demo = subprocess.Popen(
        [sys.executable, str(ROOT / "example_project" / "demo.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}/admin/" in text, text
        assert "admin / admin" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            home = response.read().decode()
        assert response.status == 200
        assert "Gooseneck Kettle" in home  # seeded catalogue
        assert (tmp_path / "demo.sqlite3").exists()
        # Beat and the worker run the tick (every 20 s in the demo). Waiting for it also
        # means both are past their start-up before Ctrl-C, as when a person stops it.
        while time.monotonic() < deadline + 60:
            line = demo.stdout.readline()
            output.append(line)
            if not line or ("remarket.tasks.tick[" in line and " succeeded in " in line):
                break
        assert " succeeded in " in output[-1], "".join(output[-40:])
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest[-20000:]


@pytest.mark.django_db
def test_every_start_sets_the_abandoned_cart_flow_live_with_demo_timings():
    call_command("remarket_starter_flows", stdout=io.StringIO())
    # As a shop owner might have left it in the admin between two demo runs.
    Flow.objects.filter(slug="abandoned-cart").update(
        status=FlowStatus.PAUSED, trigger_settings={"idle_minutes": 60, "min_value": "500"}
    )
    demo_script.go_live()
    demo_script.go_live()
    flow = Flow.objects.get(slug="abandoned-cart")
    assert flow.status == FlowStatus.LIVE
    assert flow.trigger_settings == {"idle_minutes": 1, "min_value": None, "max_age_days": 7}
    assert flow.consent_policy == ConsentPolicy.ANY_EMAIL
    assert flow.reentry_cooldown == timedelta(0)
    delays = [step.delay for step in flow.steps.order_by("position")]
    assert delays == [timedelta(0), timedelta(minutes=2), timedelta(minutes=4)]
    assert Flow.objects.exclude(slug="abandoned-cart").filter(status=FlowStatus.LIVE).count() == 0
