"""Audiences end to end: a consenting visitor's pages put them in an audience, once, and
the next page tells every provider under one event id."""

from __future__ import annotations

import re

import pytest

from remarket.tracking.models import AudienceMatch, AudienceRule

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tracking.site")]

PROVIDERS = {
    "google": {"ads_id": "AW-123456789"},
    "meta": {"pixel_id": "123456789012345"},
    "tiktok": {"pixel_id": "C4A1B2C3D4E5F6G7H8I9"},
}
META_AUDIENCE = re.compile(
    r'fbq\("trackCustom","remarket_audience",\{"audience":"([^"]+)"\},\{"eventID":"(\w+)"\}\);'
)


@pytest.fixture(autouse=True)
def providers(settings):
    settings.REMARKET = {**settings.REMARKET, "PROVIDERS": PROVIDERS}


def accept(client):
    assert (
        client.post("/remarket/consent/", {"choice": "accept", "next": "/bare/"}).status_code == 302
    )


def audiences_on(html: str) -> list[tuple[str, str]]:
    return META_AUDIENCE.findall(html)


def test_the_third_visit_joins_the_audience_once(client):
    AudienceRule.objects.create(
        name="offer-page-3x", kind="url_visits", url_pattern="/page/", min_count=3
    )
    accept(client)
    assert audiences_on(client.get("/page/").content.decode()) == []
    assert audiences_on(client.get("/page/").content.decode()) == []

    html = client.get("/page/").content.decode()
    ((name, event_id),) = audiences_on(html)
    assert name == "offer-page-3x"
    assert 'gtag("event","remarket_audience",{"audience":"offer-page-3x"});' in html
    tiktok = '{"audience":"offer-page-3x"},{"event_id":"' + event_id + '"}'
    assert f'ttq.track("remarket_audience",{tiktok});' in html
    assert audiences_on(client.get("/page/").content.decode()) == []
    assert AudienceMatch.objects.get().rule.name == "offer-page-3x"


def test_an_add_to_cart_then_redirect_joins_cart_abandoners_on_the_next_page(client):
    AudienceRule.objects.create(name="cart-no-buy", kind="cart_without_purchase", days=3)
    accept(client)
    html = client.get("/add/", follow=True).content.decode()
    assert [name for name, _ in audiences_on(html)] == ["cart-no-buy"]


def test_no_consent_no_audience(client):
    AudienceRule.objects.create(name="any-page", kind="url_visits", url_pattern="/")
    for _ in range(3):
        assert audiences_on(client.get("/page/").content.decode()) == []
    assert not AudienceMatch.objects.exists()
