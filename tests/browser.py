"""Debian's Chromium driven by Playwright, for the browser tests.

DESIGN.md: browser tests use the ``playwright`` Python package driving ``/usr/bin/chromium``
(Debian package ``chromium``), never a browser Playwright downloads. A missing binary skips
the tests that need it, or fails them under CI (tests/servers.py ``missing``).

The fixtures (``browser`` for the session, ``page`` per test) live in tests/conftest.py;
pages talk to pytest-django's ``live_server`` on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.servers import missing

CHROMIUM = Path("/usr/bin/chromium")
# No network chatter, no GPU, no first-run UI: a quiet, repeatable browser on a CI box.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed when the block ends."""
    if not CHROMIUM.exists():
        missing(str(CHROMIUM), "chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread, and Django refuses ORM
    # calls while a loop exists; the tests' ORM calls are synchronous, so allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
