"""The dashboard in Debian's Chromium: the chart draws in the admin's colours, light and
dark, and stays inside the page in the Persian (RTL) admin."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from remarket.people.models import Contact
from tests.insights.data import enroll, flow_with_steps, message, order

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("REMARKET_SCREENSHOTS")  # a directory, to look at the pages


@pytest.fixture
def shop_with_figures() -> None:
    User.objects.create_superuser("boss", "boss@example.com", "secret-pw")
    flow = flow_with_steps("abandoned-cart")
    first = flow.steps.get(position=1)
    for n in range(5):
        person = Contact.objects.create(email=f"p{n}@example.com")
        sent = message(enroll(flow, person), first, sent_at=timezone.now() - timedelta(days=n))
        if n % 2:
            order(sent, "25.00", "EUR", placed_at=timezone.now() - timedelta(days=n))


def open_dashboard(browser: Any, live_server: Any, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/remarket/flowreport/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "secret-pw")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/remarket/flowreport/")
    return page


def bar_colour(page: Any) -> str:
    return page.eval_on_selector(
        ".remarket-panel-sends .remarket-bar", "e => getComputedStyle(e).fill"
    )


@pytest.mark.parametrize(
    ("scheme", "colour"),
    [("light", "rgb(65, 120, 147)"), ("dark", "rgb(129, 212, 250)")],  # the admin's --link-fg
)
def test_the_chart_takes_the_admin_colours(
    browser: Any, live_server: Any, shop_with_figures: None, scheme: str, colour: str
) -> None:
    page = open_dashboard(browser, live_server, color_scheme=scheme)

    chart = page.get_by_role("img", name="Emails sent")
    assert chart.is_visible()
    # Five emails on five days: five bars drawn, as tall as their day's count.
    heights = page.eval_on_selector_all(
        ".remarket-panel-sends .remarket-bar", "bars => bars.map(b => b.getBBox().height)"
    )
    assert len([h for h in heights if h > 0]) == 5
    assert bar_colour(page) == colour
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/dashboard-{scheme}.png", full_page=True)
    page.context.close()


def test_in_the_persian_admin_the_chart_stays_in_the_page(
    browser: Any, live_server: Any, shop_with_figures: None
) -> None:
    page = open_dashboard(
        browser, live_server, locale="fa-IR", viewport={"width": 1024, "height": 800}
    )

    assert page.get_attribute("html", "dir") == "rtl"
    with translation.override("fa"):  # the chart is named in the page's language
        name = translation.gettext("Emails sent")
    assert name != "Emails sent"
    box = page.get_by_role("img", name=name).bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 1024
    # The wide figures table scrolls in its own box; the page itself does not.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/dashboard-fa.png", full_page=True)
    page.context.close()
