"""The example shop's pixels in Chromium, against local stand-ins of the vendor scripts.

The stand-ins (example_project/shop/static/shop/standins/) take over the vendors' queues
like the real scripts do and record every call in ``window.__calls``, so these tests
assert on what the page actually called, in the order each vendor received it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from example_project.shop.models import Category, Product
from remarket.people.activity import Activity

pytestmark = pytest.mark.django_db(transaction=True)

EVIL = "</script><script>window.pwned=1</script>"
SEPARATOR = "Line\u2028Separator\u2029Mug"


@pytest.fixture
def products() -> dict[str, Product]:
    mugs = Category.objects.create(label="Mugs", slug="mugs")

    def make(slug: str, title: str) -> Product:
        return Product.objects.create(title=title, slug=slug, category=mugs, price=Decimal("16"))

    return {
        "mug": make("sand-mug", "Sand Mug"),
        "evil": make("evil", EVIL),
        "sep": make("sep", SEPARATOR),
    }


def calls(page: Any, vendor: str) -> list[list[Any]]:
    return page.evaluate(
        "v => (window.__calls || []).filter(c => c.vendor === v).map(c => c.args)", vendor
    )


def wait_for_calls(page: Any, vendor: str, name: str) -> list[list[Any]]:
    page.wait_for_function(
        "([v, n]) => (window.__calls || []).some(c => c.vendor === v && c.args.includes(n))",
        arg=[vendor, name],
    )
    return calls(page, vendor)


def accept(page: Any) -> None:
    banner = page.get_by_role("region", name="Cookies for advertising")
    banner.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()


def cookie_names(page: Any) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def test_nothing_before_consent_then_everything_in_order(live_server, page, products):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    url = f"{live_server.url}/p/sand-mug/"
    page.goto(url)

    assert page.evaluate("typeof window.__calls") == "undefined"
    assert page.evaluate("typeof window.fbq + typeof window.gtag") == "undefinedundefined"
    assert not [u for u in requested if u.endswith(".js") or ".js?" in u]  # no script at all
    assert "remarket_id" not in cookie_names(page)
    assert not Activity.objects.exists()

    accept(page)
    assert page.url == url  # back where the visitor was

    meta = wait_for_calls(page, "meta", "ViewContent")
    google = wait_for_calls(page, "google", "view_item")
    denied = dict.fromkeys(
        ("ad_storage", "ad_user_data", "ad_personalization", "analytics_storage"), "denied"
    )
    granted = dict.fromkeys(denied, "granted")
    assert [c[:2] for c in meta] == [
        ["consent", "revoke"],
        ["consent", "grant"],
        ["init", "123456789012345"],
        ["track", "PageView"],
        ["track", "ViewContent"],
    ]
    assert google[0] == ["consent", "default", denied]
    assert google[1] == ["consent", "update", granted]
    assert google[2][0] == "js"
    assert google[3:5] == [["config", "AW-123456789"], ["config", "G-ABC123DEF4"]]
    assert google[5][:2] == ["event", "view_item"]
    view = Activity.objects.get(kind="view_item")
    assert meta[4][3] == {"eventID": view.data["event_id"]}
    remarket_cookie = next(c for c in page.context.cookies() if c["name"] == "remarket_id")
    assert view.visitor_id == remarket_cookie["value"]
    assert remarket_cookie["httpOnly"] is True
    assert remarket_cookie["sameSite"] == "Lax"


def test_add_to_cart_fires_after_the_redirect_with_one_id(live_server, page, products):
    page.goto(f"{live_server.url}/p/sand-mug/")
    accept(page)
    page.get_by_role("button", name="Add to basket").click()
    page.wait_for_url(f"{live_server.url}/basket/")

    meta = wait_for_calls(page, "meta", "AddToCart")
    google = wait_for_calls(page, "google", "add_to_cart")
    event_id = Activity.objects.get(kind="add_to_cart").data["event_id"]
    add = next(c for c in meta if c[1] == "AddToCart")
    assert add[3] == {"eventID": event_id}
    assert add[2]["content_ids"] == [str(products["mug"].pk)]
    assert next(c for c in google if c[1] == "add_to_cart")[2]["value"] == 16


def test_a_purchase_shares_the_order_id_across_providers(live_server, page, products):
    page.goto(f"{live_server.url}/p/sand-mug/")
    accept(page)
    page.get_by_role("button", name="Add to basket").click()
    page.wait_for_url(f"{live_server.url}/basket/")
    page.goto(f"{live_server.url}/checkout/")
    page.locator("#id_email").fill("ann@example.com")
    page.locator("#id_name").fill("Ann")
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(f"{live_server.url}/orders/**")

    meta = wait_for_calls(page, "meta", "Purchase")
    google = wait_for_calls(page, "google", "purchase")
    order_ref = page.url.rstrip("/").rsplit("/", 1)[1]
    assert next(c for c in meta if c[1] == "Purchase")[3] == {"eventID": order_ref}
    assert next(c for c in google if c[1] == "purchase")[2]["transaction_id"] == order_ref
    assert Activity.objects.get(kind="purchase").contact.email == "ann@example.com"


def test_global_privacy_control_blocks_everything(live_server, browser, products):
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/p/sand-mug/")
        assert page.get_by_role("region", name="Cookies for advertising").count() == 0
        page.get_by_role("button", name="Add to basket").click()
        page.wait_for_url(f"{live_server.url}/basket/")

        assert page.evaluate("typeof window.__calls") == "undefined"
        assert "remarket_id" not in {c["name"] for c in context.cookies()}
        assert not Activity.objects.exists()
    finally:
        context.close()


@pytest.mark.parametrize("slug", ["evil", "sep"])
def test_hostile_product_names_run_no_code(live_server, page, products, slug):
    page.goto(f"{live_server.url}/p/{slug}/")
    accept(page)

    meta = wait_for_calls(page, "meta", "ViewContent")
    assert page.evaluate("typeof window.pwned") == "undefined"
    view = next(c for c in meta if c[1] == "ViewContent")
    assert view[2]["content_name"] == products[slug].title
