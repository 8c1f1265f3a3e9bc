"""`make demo` end to end: a visitor leaves a basket and the reminder email lands on disk.

Runs example_project/demo.py as `make demo` does (web server, Celery worker and beat on
the embedded file broker), acts as a visitor over HTTP, then waits for the abandoned-cart
email in the mail folder. Slow by nature, about 80-100 s: the demo flow waits for one
idle minute and beat ticks every 20 s.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.client
import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VISITOR = "demo-visitor@example.com"
SUBJECT = "You left something in your cart"  # first step of the abandoned-cart starter
PRODUCT = ("gooseneck-kettle", "Gooseneck Kettle, 1 l")  # from the seeded catalogue
# Django's file-based email backend ends every message with this line.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float, every: float = 0.5):
    """Poll ``condition()`` until it returns something truthy; ``None`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    return None


def emails_to(mail_dir: Path, address: str) -> list[EmailMessage]:
    """Every complete message to ``address`` in the mail folder."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        # The part after the last separator is empty, or a message still being written.
        for raw in path.read_bytes().split(SEPARATOR)[:-1]:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if message["To"] == address:
                found.append(message)
    return found


def demo_processes(var_dir: Path) -> list[int]:
    """PIDs of the demo and everything it started: they all carry its REMARKET_DEMO_VAR."""
    marker = f"REMARKET_DEMO_VAR={var_dir}".encode()
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                pids.append(int(environ.parent.name))
        except (OSError, ValueError):  # exited meanwhile, or not ours to read
            continue
    return pids


class Visitor:
    """A browser with cookies, posting forms with Django's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.url, response.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> tuple[str, str]:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        with self.opener.open(self.base + path, data=data, timeout=20) as response:
            return response.url, response.read().decode()  # after following the redirect


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds processes in /proc")
def test_a_visitor_who_leaves_a_basket_gets_the_reminder_email(tmp_path):
    var_dir, port = tmp_path / "var", free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "REMARKET_DEMO_VAR": str(var_dir),
        "DEMO_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "REMARKET_DEMO_DB", "REMARKET_SITE_URL"):
        env.pop(name, None)  # the embedded broker, a fresh database, links to this server
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log:
        demo = subprocess.Popen(
            [sys.executable, str(ROOT / "example_project" / "demo.py")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log_text() -> str:
        return log_path.read_text(errors="replace")

    try:
        wait_for(lambda: "Press Ctrl-C to stop." in log_text() or demo.poll() is not None, 120)
        assert "Press Ctrl-C to stop." in log_text(), log_text()
        assert "a reminder appears in" in log_text()
        assert len(demo_processes(var_dir)) >= 4, log_text()  # demo, web, worker, beat

        visitor = Visitor(f"http://127.0.0.1:{port}")
        slug, name = PRODUCT
        visitor.get(f"/p/{slug}/")  # sets the CSRF cookie
        url, page = visitor.post(f"/basket/add/{slug}/", {"qty": "1"})
        assert url.endswith("/basket/")
        assert name in page
        url, _page = visitor.post("/checkout/", {"name": "Demo Visitor", "email": VISITOR})
        assert url.endswith("/checkout/review/")  # step 1 accepted; the order is never placed
        left_at = time.monotonic()

        found = wait_for(lambda: emails_to(var_dir / "mail", VISITOR), 150, every=1)
        waited = time.monotonic() - left_at
        assert found, f"no email to {VISITOR} after {waited:.0f} s\n{log_text()}"
        print(f"reminder on disk {waited:.0f} s after leaving the basket")
        (reminder,) = found
        assert reminder["Subject"] == SUBJECT
        assert reminder["From"] == "Remarket Coffee <hello@coffee.example>"
        html = reminder.get_body(preferencelist=("html",)).get_content()
        assert name in html
        # Product links go through remarket's click redirect, which leads to the product.
        tracked = html.split(f'href="http://127.0.0.1:{port}/remarket/c/')[1].split('"')[0]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/remarket/c/{tracked}")
        response = conn.getresponse()
        assert response.status == 302
        assert response.getheader("Location") == f"http://127.0.0.1:{port}/p/{slug}/"
        conn.close()
        assert name in reminder.get_body(preferencelist=("plain",)).get_content()
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=30)
        finally:
            leftovers = demo_processes(var_dir)
            for pid in leftovers:  # never leave a worker running after the test
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    assert demo.returncode == 0, log_text()
    assert leftovers == [], f"still running after Ctrl-C: {leftovers}"
