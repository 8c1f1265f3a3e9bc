"""Consent: the banner, its endpoint, the log, the three modes and Global Privacy Control."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import remarket
from remarket.people.visitors import ConsentRecord
from remarket.tracking.events import ConsentState

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tracking.site")]


def partial_consent(request):
    """A site's own consent manager: measurement yes, ads no (unless a cookie says so)."""
    if request.COOKIES.get("cmp") == "all":
        return True
    if request.COOKIES.get("cmp") == "none":
        return None
    return ConsentState(False, False, False, True)


def test_the_banner_is_an_accessible_form_that_works_without_javascript(client):
    html = client.get("/page/?q=1").content.decode()

    assert 'role="region" aria-labelledby="remarket-banner-title"' in html
    assert '<h2 id="remarket-banner-title"' in html
    assert 'method="post" action="/remarket/consent/">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/page/?q=1">' in html
    assert '<button type="submit" name="choice" value="accept">Accept</button>' in html
    assert '<button type="submit" name="choice" value="reject">Reject</button>' in html
    assert "/static/remarket/tracking/banner.css" in html


def test_the_banner_mirrors_for_right_to_left_languages():
    """Only logical properties: under dir="rtl" the banner mirrors with no extra rule."""
    css = (Path(remarket.__file__).parent / "static/remarket/tracking/banner.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    assert "inset-inline" in css
    assert "padding-inline" in css
    assert not re.search(r"\b(left|right)\s*:|-(left|right)\b|text-align:\s*(left|right)", css)
    assert ":focus-visible" in css  # a visible keyboard focus


def test_accepting_logs_the_choice_and_hides_the_banner(client):
    response = client.post("/remarket/consent/", {"choice": "accept", "next": "/page/"})

    assert response.status_code == 302
    assert response["Location"] == "/page/"
    record = ConsentRecord.objects.get()
    assert (record.choice, record.source, record.gpc) == ("granted", "banner", False)
    assert record.visitor_key == client.cookies["remarket_id"].value
    assert client.cookies["remarket_consent"].value == f"granted.{record.receipt}"
    assert client.cookies["remarket_consent"]["httponly"] is True
    assert "remarket-banner" not in client.get("/page/").content.decode()


def test_rejecting_logs_without_a_visitor_id_and_removes_cookies(client):
    client.post("/remarket/consent/", {"choice": "accept"})
    response = client.post("/remarket/consent/", {"choice": "reject"})

    assert response.cookies["remarket_id"]["max-age"] == 0
    denied = ConsentRecord.objects.filter(choice="denied").get()
    assert denied.visitor_key == ""
    assert client.cookies["remarket_consent"].value == f"denied.{denied.receipt}"
    assert [r.choice for r in ConsentRecord.objects.order_by("created_at", "pk")] == [
        "granted",
        "denied",
    ]
    assert "remarket-banner" not in client.get("/page/").content.decode()


def test_the_endpoint_needs_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/remarket/consent/", {"choice": "accept"}).status_code == 403
    assert not ConsentRecord.objects.exists()


def test_the_endpoint_refuses_nonsense_and_get(client):
    assert client.post("/remarket/consent/", {"choice": "maybe"}).status_code == 400
    assert client.get("/remarket/consent/").status_code == 405
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "\\\\evil"]
)
def test_no_open_redirect(client, target):
    response = client.post("/remarket/consent/", {"choice": "accept", "next": target})
    assert response["Location"] == "/"


def test_gpc_hides_the_banner_and_wins_over_an_accept(client):
    gpc = {"Sec-GPC": "1"}
    assert "remarket-banner" not in client.get("/page/", headers=gpc).content.decode()

    client.post("/remarket/consent/", {"choice": "accept"}, headers=gpc)

    assert "remarket_id" not in client.cookies
    assert ConsentRecord.objects.get().gpc is True


def test_implied_mode_tracks_until_the_visitor_opts_out(client, settings):
    settings.REMARKET = {**settings.REMARKET, "CONSENT": "implied"}
    first = client.get("/page/")
    assert "remarket_id" in first.cookies
    assert "remarket-banner" in first.content.decode()  # offers the way out

    client.post("/remarket/consent/", {"choice": "reject"})
    assert "remarket_id" not in client.get("/bare/").cookies
    assert client.cookies["remarket_id"].value == ""


def test_a_sites_own_consent_manager_decides(client, settings):
    settings.REMARKET = {
        **settings.REMARKET,
        "CONSENT": "tests.tracking.test_consent.partial_consent",
    }
    page = client.get("/page/")
    assert "remarket-banner" not in page.content.decode()  # the CMP has its own banner
    assert "remarket_id" not in page.cookies  # ad storage denied
    assert client.post("/remarket/consent/", {"choice": "accept"}).status_code == 404

    client.cookies["cmp"] = "all"
    assert "remarket_id" in client.get("/bare/").cookies
    client.cookies["cmp"] = "none"
    assert client.get("/bare/").cookies["remarket_id"]["max-age"] == 0
