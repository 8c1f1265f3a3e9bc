"""The engagement beacon in Chromium: time on a page becomes activity, then an audience.

After consent, a visitor who stays on a page and leaves it sends the seconds the page
was visible (``navigator.sendBeacon`` on ``pagehide``) to remarket's collect endpoint;
an "engaged at least S seconds" audience then fires its named event on the next page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session

from remarket.people.activity import Activity
from remarket.tracking.models import AudienceMatch, AudienceRule
from remarket.tracking.queue import SESSION_QUEUE
from tests.tracking.test_browser import accept, products, wait_for_calls  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(found: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout} s for {what}")


def queued_audiences() -> list[str]:
    """Audience names waiting in any session for the visitor's next page."""
    return [
        entry["audience"]
        for session in Session.objects.all()
        for entry in session.get_decoded().get(SESSION_QUEUE, ())
        if "audience" in entry
    ]


def test_time_on_a_page_joins_an_engaged_audience(live_server, page: Any, products):  # noqa: F811
    AudienceRule.objects.create(name="engaged-2s", kind="engaged", min_seconds=2, days=1)
    url = f"{live_server.url}/p/sand-mug/"
    page.goto(url)
    accept(page)
    wait_for_calls(page, "meta", "ViewContent")  # consent given, the beacon script loaded

    page.wait_for_timeout(2500)  # the visitor reads the page
    page.goto("about:blank")  # leaving it: pagehide sends the beacon

    engagement = wait_for(Activity.objects.filter(kind="engagement").first, "the beacon")
    cookies = {c["name"]: c["value"] for c in page.context.cookies(live_server.url)}
    assert engagement.visitor_id == cookies["remarket_id"]
    assert 2 <= engagement.data["seconds"] <= 10
    # The beacon's own request found the match and queued it for the next page.
    assert wait_for(queued_audiences, "the queued audience") == ["engaged-2s"]

    page.goto(url)
    meta = wait_for_calls(page, "meta", "remarket_audience")
    audience = [call[:3] for call in meta if "remarket_audience" in call]
    assert audience == [["trackCustom", "remarket_audience", {"audience": "engaged-2s"}]]
    google = wait_for_calls(page, "google", "remarket_audience")
    assert ["event", "remarket_audience", {"audience": "engaged-2s"}] in google
    assert AudienceMatch.objects.get().rule.name == "engaged-2s"
