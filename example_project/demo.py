"""Run the demo shop with remarket live: ``make demo`` calls this script.

Migrates the SQLite database in ``var/``, seeds the catalogue (idempotent), prints where
to go, then runs every demo process until Ctrl-C stops them all together.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
PORT = os.environ.get("DEMO_PORT", "8000")


def prepare() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    os.environ.setdefault("REMARKET_SITE_URL", f"http://{HOST}:{PORT}")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_shop")
    call_command("check", fail_level="WARNING")


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


def main() -> int:
    prepare()
    manage = [sys.executable, str(ROOT / "manage.py")]
    commands = [
        [*manage, "runserver", f"{HOST}:{PORT}", "--noreload"],
    ]
    processes = [subprocess.Popen(cmd, cwd=ROOT) for cmd in commands]
    wait_for_port()
    print(banner(), flush=True)
    try:
        while all(p.poll() is None for p in processes):
            try:
                processes[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    failed = [p for p in processes if p.returncode not in (0, -signal.SIGINT, None)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
