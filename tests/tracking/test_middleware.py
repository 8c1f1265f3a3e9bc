"""The tracking middleware: the visitor cookie, Meta's cookies and click ids, consent first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from remarket.people.activity import Activity
from remarket.people.visitors import Visitor
from remarket.tracking import identity
from remarket.tracking.middleware import skipped

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tracking.site")]

META = {"meta": {"pixel_id": "123456789012345"}}
FBP = re.compile(r"fb\.1\.\d{13}\.\d{1,10}")


@pytest.fixture
def with_meta(settings):
    settings.REMARKET = {**settings.REMARKET, "PROVIDERS": META}


def accept(client: Client, **extra) -> None:
    response = client.post("/remarket/consent/", {"choice": "accept", "next": "/bare/"}, **extra)
    assert response.status_code == 302


def test_required_mode_sets_nothing_before_consent(client, with_meta):
    response = client.get("/page/?fbclid=AbC-123&gclid=g1&utm_source=news")

    assert response.status_code == 200
    assert set(response.cookies) == {"csrftoken"}  # the banner's form, nothing else
    assert "<script" not in response.content.decode()
    assert not Visitor.objects.exists()
    assert not Activity.objects.exists()


def test_accepting_sets_an_opaque_lax_httponly_cookie(client):
    accept(client)
    cookie = client.cookies["remarket_id"]

    assert identity.VISITOR_ID.fullmatch(cookie.value)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain http in this test
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    assert Visitor.objects.count() == 0  # nothing to keep yet: no row, no query per page


def test_cookies_are_secure_on_https_and_age_is_configurable(client, settings):
    settings.REMARKET = {**settings.REMARKET, "COOKIE_AGE": timedelta(days=90)}
    accept(client, secure=True)

    assert client.cookies["remarket_id"]["secure"] is True
    assert int(client.cookies["remarket_id"]["max-age"]) == 90 * 24 * 3600


def test_landing_with_click_ids_after_consent(client, with_meta):
    accept(client)
    client.get("/bare/?fbclid=IwAR0xYz_Case-Kept&gclid=Cj0K&msclkid=m5&utm_source=news&x=1")

    fbc = client.cookies["_fbc"].value
    assert re.fullmatch(r"fb\.1\.\d{13}\.IwAR0xYz_Case-Kept", fbc)
    assert FBP.fullmatch(client.cookies["_fbp"].value)
    assert client.cookies["_fbc"]["httponly"] == ""  # the pixel reads them
    visitor = Visitor.objects.get(key=client.cookies["remarket_id"].value)
    assert {k: v for k, v in visitor.click_ids.items() if k != "at"} == {
        "fbclid": "IwAR0xYz_Case-Kept",
        "gclid": "Cj0K",
        "msclkid": "m5",
        "utm_source": "news",
    }
    assert visitor.landing_path == "/bare/"


def test_fbc_is_replaced_only_by_a_new_click(client, with_meta):
    accept(client)
    client.get("/bare/?fbclid=first")
    first = client.cookies["_fbc"].value
    fbp = client.cookies["_fbp"].value

    again = client.get("/bare/?fbclid=first")
    assert "_fbc" not in again.cookies
    assert "_fbp" not in again.cookies
    client.get("/bare/?fbclid=second")

    assert client.cookies["_fbc"].value.endswith(".second")
    assert client.cookies["_fbc"].value != first
    assert client.cookies["_fbp"].value == fbp


def test_five_part_fb_cookies_pass_through(client, with_meta):
    accept(client)
    client.cookies["_fbp"] = "fb.1.1596403881668.1116446470.AQ"
    response = client.get("/bare/")
    assert "_fbp" not in response.cookies


def test_no_meta_cookies_without_the_meta_provider(client, settings):
    settings.REMARKET = {**settings.REMARKET, "PROVIDERS": {}}
    accept(client)
    client.get("/bare/?fbclid=abc")
    assert "_fbc" not in client.cookies
    assert "_fbp" not in client.cookies


def test_gpc_switches_everything_off_and_removes_marketing_cookies(client, with_meta):
    accept(client)
    client.get("/bare/?fbclid=abc")
    response = client.get("/page/", headers={"Sec-GPC": "1"})

    for name in ("remarket_id", "_fbp", "_fbc"):
        assert response.cookies[name]["max-age"] == 0, name
    assert "<script" not in response.content.decode()


def test_a_forged_visitor_cookie_is_replaced(client):
    accept(client)
    client.cookies["remarket_id"] = "<script>alert(1)</script>"
    response = client.get("/bare/")
    assert identity.VISITOR_ID.fullmatch(response.cookies["remarket_id"].value)


def test_static_media_and_admin_are_skipped(settings):
    assert skipped("/static/shop/shop.css")
    assert skipped("/admin/login/")
    assert not skipped("/page/")
    settings.REMARKET = {**settings.REMARKET, "SKIP_PATHS": ["/api/"]}
    assert skipped("/api/orders")


def test_no_cookie_on_admin_pages_even_with_consent(client, settings):
    settings.REMARKET = {**settings.REMARKET, "CONSENT": "implied"}
    assert "remarket_id" not in client.get("/admin/login/").cookies
    assert "remarket_id" in client.get("/bare/").cookies


def test_a_known_visitor_costs_no_query(client, django_assert_num_queries):
    accept(client)
    client.get("/bare/")  # the first page after consent
    with django_assert_num_queries(0):
        response = client.get("/bare/")
    assert response.status_code == 200


def test_fb_cookie_formats():
    assert identity.make_fbp(1596403881668).startswith("fb.1.1596403881668.")
    assert FBP.fullmatch(identity.make_fbp())
    assert identity.make_fbc("IwAR-x_Y", 1596403881668) == "fb.1.1596403881668.IwAR-x_Y"
    assert identity.fbc_click_id("fb.1.1596403881668.IwAR-x_Y") == "IwAR-x_Y"
    assert identity.fbc_click_id("fb.1.1596403881668.IwAR-x_Y.AQ") == "IwAR-x_Y"
    assert identity.fbc_click_id("nonsense") == ""


@pytest.mark.parametrize("fbclid", ["x" * 501, "Iw.AR<script>", "a b"])
def test_a_click_id_meta_would_not_issue_never_reaches_the_fbc_cookie(client, with_meta, fbclid):
    accept(client)

    response = client.get("/bare/", {"fbclid": fbclid})

    assert "_fbc" not in response.cookies
    assert "_fbp" in client.cookies  # the browser id still comes
