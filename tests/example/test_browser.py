"""The example shop in a real browser: the browser fixtures work end to end."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_shopper_adds_a_product_to_the_basket(live_server, page, catalogue):
    page.goto(f"{live_server.url}{catalogue['beans'].get_absolute_url()}")
    page.get_by_role("button", name="Add to basket").click()

    page.wait_for_url(f"{live_server.url}/basket/")
    assert "House Blend Beans" in page.locator("main").inner_text()
