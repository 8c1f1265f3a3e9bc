"""The flow builder in a real browser (Debian's Chromium): the issue's must-show scenario."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from remarket.flows.models import Flow, FlowStatus
from tests.admin.conftest import BUILDER_PERMISSIONS, PASSWORD, make_staff
from tests.flows.conftest import make_flow

pytestmark = pytest.mark.django_db(transaction=True)

LINES = "{% for line in cart.lines %}<p>{{ line.name }}</p>"
GOOD = "<p>Hi {{ contact.name }}</p>\n" + LINES + "{% endfor %}"
BROKEN = "<p>Still thinking?</p>\n" + LINES


def log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_a_shop_owner_builds_previews_tests_and_publishes_an_abandoned_cart_flow(
    live_server, page, shop
):
    owner = make_staff(
        "owner", *BUILDER_PERMISSIONS, "publish_flow", "view_flowreport", email="owner@shop.example"
    )
    kettle = shop.product(title="Copper Kettle", price="49.00")
    shop.cart(
        email="ann@example.com",
        name="Ann",
        items=[(kettle, 1)],
        touched=timezone.now() - timedelta(hours=3),
    )
    log_in(page, live_server, owner)

    # Build: a two-step abandoned-cart flow; the second step's template is broken.
    page.goto(f"{live_server.url}{reverse('admin:remarket_flow_add')}")
    page.fill("#id_name", "Abandoned cart")
    page.select_option("#id_trigger", "cart_abandoned")
    assert page.locator("fieldset.trigger-cart_abandoned").is_visible()
    assert not page.locator("fieldset.trigger-customer_lapsed").is_visible()
    page.fill("#id_cart_abandoned__idle_minutes_0", "45")
    page.select_option("#id_cart_abandoned__idle_minutes_1", label="minutes")
    page.fill("#id_steps-0-subject", "Your cart is waiting, {{ contact.name }}")
    page.fill("#id_steps-0-body", GOOD)
    page.fill("#id_steps-1-subject", "Still thinking it over?")
    page.fill("#id_steps-1-body", BROKEN)
    page.fill("#id_steps-1-delay_0", "1")
    page.select_option("#id_steps-1-delay_1", label="days")
    page.click("input[name=_continue]")

    # The template error shows inline, under the broken body, with its line.
    error = page.locator(".field-body .errorlist", has_text="Line 2:")
    error.wait_for()  # the page comes back with the error, visible
    assert "endfor" in error.inner_text()
    assert not Flow.objects.exists()
    page.fill("#id_steps-1-body", BROKEN + "{% endfor %}")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    flow = Flow.objects.get(slug="abandoned-cart")
    assert flow.trigger_settings["idle_minutes"] == 45
    assert [s.delay for s in flow.steps.order_by("position")] == [
        timedelta(hours=1),
        timedelta(days=1),
    ]

    # Preview the first email for the real cart, in the iframe; then send a test.
    page.get_by_role("link", name="Preview and send a test").first.click()
    anns_cart = page.locator("#id_preview-cart option", has_text="ann@example.com")
    page.select_option("#id_preview-cart", anns_cart.get_attribute("value"))
    page.click("#remarket-show-preview")
    frame = page.frame_locator("iframe.remarket-preview-frame")
    assert frame.locator("body").inner_text().count("Copper Kettle") >= 1
    assert page.locator("#remarket-preview-subject").inner_text() == ("Your cart is waiting, Ann")
    page.click("#remarket-send-test")
    page.wait_for_selector(".messagelist .success")
    [test] = mail.outbox  # the anymail test backend, in this very process
    assert test.to == ["owner@shop.example"]
    assert test.subject == "[Test] Your cart is waiting, Ann"
    assert "Copper Kettle" in test.alternatives[0][0]

    # Go live, through the confirmation that says what happens now.
    page.get_by_role("link", name="Abandoned cart").first.click()
    page.click("#remarket-publish")
    assert "About 1 person matches this trigger today." in page.inner_text("#remarket-reach")
    flow.refresh_from_db()
    assert flow.status == FlowStatus.DRAFT  # nothing happens on the confirmation page
    page.click("#remarket-confirm-publish")
    page.wait_for_selector("#remarket-pause")
    flow.refresh_from_db()
    assert flow.status == FlowStatus.LIVE

    # The dashboard draws its chart.
    page.goto(f"{live_server.url}{reverse('admin:remarket_flowreport_changelist')}")
    chart = page.locator("svg.remarket-chart").first
    assert chart.is_visible()
    assert "Abandoned cart" in page.locator("#content").inner_text()


def test_a_user_without_publish_cannot_go_live(live_server, page):
    builder = make_staff("builder", *BUILDER_PERMISSIONS)
    flow = make_flow(live=False)
    log_in(page, live_server, builder)

    page.goto(f"{live_server.url}{reverse('admin:remarket_flow_change', args=[flow.pk])}")
    assert page.locator("#remarket-pause, #remarket-publish").count() == 0
    assert "someone with the permission to publish" in page.inner_text(".remarket-note")

    # Forging the POST from the page (with its valid CSRF token) is refused too.
    with page.expect_navigation():
        page.evaluate(
            """(url) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = url;
                const token = document.querySelector("input[name=csrfmiddlewaretoken]");
                form.appendChild(token.cloneNode());
                document.body.appendChild(form);
                form.submit();
            }""",
            reverse("admin:remarket_flow_publish", args=[flow.pk]),
        )
    assert "403" in page.content() or "Forbidden" in page.content()
    assert "CSRF" not in page.content()
    flow.refresh_from_db()
    assert flow.status == FlowStatus.DRAFT


def test_steps_are_reordered_with_the_arrows(live_server, page):
    owner = make_staff("owner", *BUILDER_PERMISSIONS)
    flow = make_flow(delays=(timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)))
    first, second, third = flow.steps.order_by("position")
    log_in(page, live_server, owner)

    page.goto(f"{live_server.url}{reverse('admin:remarket_flow_change', args=[flow.pk])}")
    assert not page.locator("#id_steps-0-position").is_visible()  # the arrows replace it
    page.locator("#steps-2 .remarket-move-up").click()
    page.locator("#steps-2 .remarket-move-up").click()  # the third step is now first
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    assert list(flow.steps.order_by("position").values_list("pk", flat=True)) == [
        third.pk,
        first.pk,
        second.pk,
    ]
