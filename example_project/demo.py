"""Run the demo shop with remarket live: ``make demo`` calls this script.

Migrates the SQLite database in ``var/``, seeds the catalogue (idempotent), sets the
abandoned-cart flow live with minute-scale timings, prints where to go, then runs the web
server, a Celery worker and Celery beat until Ctrl-C stops them all together. The broker is
embedded (files in ``var/broker``), or Redis when REDIS_URL is set.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
PORT = os.environ.get("DEMO_PORT", "8000")
# Demo timings: abandoned after 1 idle minute, then reminders 0, 2 and 4 minutes apart.
IDLE_MINUTES = 1
STEP_DELAYS = {1: timedelta(0), 2: timedelta(minutes=2), 3: timedelta(minutes=4)}
TICK_SECONDS = 20


def prepare() -> None:
    # Run as a script, Python puts example_project/ first on sys.path, where our celery.py
    # would shadow the celery package: import from the repository root instead.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != here)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    os.environ.setdefault("REMARKET_SITE_URL", f"http://{HOST}:{PORT}")
    # No quiet hours or frequency cap (settings.py); the worker and beat inherit it.
    os.environ["REMARKET_DEMO_FAST"] = "1"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_shop")
    call_command("check", fail_level="WARNING")
    # Its "review them and set a flow live" advice is for real shops: go_live() does it here.
    call_command("remarket_starter_flows", stdout=io.StringIO())
    go_live()
    call_command("remarket_install_schedule", every=TICK_SECONDS)


def go_live() -> None:
    """Set the abandoned-cart flow live with demo timings, on every start (idempotent)."""
    from remarket.flows.models import ConsentPolicy, Flow, FlowStatus

    flow = Flow.objects.get(slug="abandoned-cart")
    flow.status = FlowStatus.LIVE
    flow.trigger_settings = {"idle_minutes": IDLE_MINUTES}
    # The checkout's consent box starts unticked: anyone who gives an email gets the
    # reminder, so trying the demo needs no extra click. A real shop decides this itself.
    flow.consent_policy = ConsentPolicy.ANY_EMAIL
    # Trying it again with the same email should work too, not wait a week.
    flow.reentry_cooldown = timedelta(0)
    flow.full_clean()
    flow.save()
    for position, delay in STEP_DELAYS.items():
        flow.steps.filter(position=position).update(delay=delay)
    print(
        f"Flow {flow.slug!r} is live: after {IDLE_MINUTES} idle minute, reminders "
        "0, 2 and 4 minutes apart (demo timings; the other starter flows stay drafts)."
    )


def banner() -> str:
    from django.conf import settings

    url = f"http://{HOST}:{PORT}"
    return "\n".join(
        [
            "",
            "  remarket demo shop",
            f"    shop:   {url}/",
            f"    admin:  {url}/admin/   (log in as admin / admin)",
            "    customer account: alice / alice",
            f"    emails are written to {settings.EMAIL_FILE_PATH}",
            "    Add something to your basket, give your email at checkout, leave: within about"
            f" two minutes a reminder appears in {settings.EMAIL_FILE_PATH}",
            "  Press Ctrl-C to stop.",
            "",
        ]
    )


def wait_for_port(timeout: float = 30.0) -> None:
    """Print the banner only once the shop answers, so the URLs work when shown."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((HOST, int(PORT))) == 0:
                return
        time.sleep(0.2)


# How long each process may take to stop before it is killed.
SHUTDOWN_SECONDS = 30


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(commands: list[tuple[list[str], signal.Signals]]) -> int:
    """Run every command until one exits or this script is stopped, then stop them all.

    Each child gets its own process group, so Ctrl-C reaches only this script, which stops
    each child with the signal it shuts down cleanly on (a Celery worker's warm shutdown is
    SIGTERM: on SIGINT it exits with status 1).
    """
    processes = [subprocess.Popen(cmd, cwd=ROOT, process_group=0) for cmd, _stop in commands]
    try:
        wait_for_port()
        print(banner(), flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not orphan anything
        for process, (_cmd, stop) in zip(processes, commands, strict=True):
            if process.poll() is None:
                process.send_signal(stop)
        for process in processes:
            try:
                # A worker's warm shutdown first finishes the tick it is running.
                process.wait(timeout=SHUTDOWN_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    clean = True
    for process, (cmd, stop) in zip(processes, commands, strict=True):
        if process.returncode not in (0, -stop):
            clean = False
            name = " ".join(Path(part).name for part in cmd[:6] if not part.startswith("-"))
            print(f"demo: {name} ended with status {process.returncode}", file=sys.stderr)
    return 0 if clean else 1


def main() -> int:
    # Ctrl-C, `kill` and a closed terminal all stop the children too. Setting the handler
    # also matters when started with `&` from a script, where SIGINT arrives ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
    prepare()
    manage = [sys.executable, str(ROOT / "manage.py")]
    celery = [sys.executable, "-m", "celery", "-A", "example_project"]
    # One worker: gossip, mingle and heartbeats only talk to other workers, and on the
    # file broker they would leave unread message files behind.
    alone = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return run(
        [
            ([*manage, "runserver", f"{HOST}:{PORT}", "--noreload"], signal.SIGINT),
            ([*celery, "worker", "--pool=solo", "--loglevel=INFO", *alone], signal.SIGTERM),
            # The schedule comes from the database (CELERY_BEAT_SCHEDULER).
            ([*celery, "beat", "--loglevel=INFO"], signal.SIGTERM),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
