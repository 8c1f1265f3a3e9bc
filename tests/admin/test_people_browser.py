"""The email as sent, in a real browser: shown in the frame, its scripts never run."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from remarket.mail.models import Message
from tests.people.factories import person

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_stored_email_shows_in_a_sandbox_where_its_script_cannot_run(live_server, page):
    get_user_model().objects.create_superuser("owner", "owner@shop.example", "pw")
    ann = person("ann@example.com")  # its stored HTML carries <script>parent.pwned = 1</script>
    message = Message.objects.filter(contact=ann).order_by("step__position").first()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")

    page.goto(live_server.url + reverse("admin:remarket_contact_change", args=[ann.pk]))
    page.get_by_role("link", name="view the email as sent").last.click()

    page.wait_for_url(f"**/message/{message.pk}/change/")
    frame = page.frame_locator("#sent-email iframe")
    assert frame.locator("p").inner_text() == "Hi Ann Example, your mug"
    assert page.evaluate("typeof window.pwned") == "undefined"
