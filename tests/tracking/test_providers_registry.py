"""REMARKET['PROVIDERS'] -> provider instances, custom providers, and the CSP sources table."""

from __future__ import annotations

import pytest

from remarket.exceptions import RemarketConfigurationError
from remarket.tracking.events import Call, Event
from remarket.tracking.providers import Provider, csp_sources, enabled_providers, provider_class
from remarket.tracking.providers.meta import MetaPixel
from remarket.tracking.providers.snap import SnapPixel


class ShopPixel(Provider):
    """A site's own provider, loaded by dotted path."""

    key = "shop"
    label = "Shop pixel"
    csp = {"script-src": ("https://pixel.shop.example",), "img-src": ("https://www.facebook.com",)}
    id_formats = {"account": (r"[a-z]+", "coffee")}
    required = ("account",)

    def setup(self) -> list[Call]:
        return [Call("shopPixel", ("init", self.options["account"]))]

    def event(self, event: Event) -> list[Call]:
        return [Call("shopPixel", ("track", event.name, {"id": event.id}))]

    def audience(self, name: str, event_id: str) -> list[Call]:
        return [Call("shopPixel", ("audience", name))]


class Unfinished(Provider):
    key = "unfinished"


def with_providers(settings, providers):
    settings.REMARKET = {**settings.REMARKET, "PROVIDERS": providers}


def test_no_providers_by_default(settings):
    settings.REMARKET = {key: v for key, v in settings.REMARKET.items() if key != "PROVIDERS"}
    assert enabled_providers() == []


def test_enabled_providers_follow_the_setting_in_order(settings):
    with_providers(
        settings,
        {
            "snap": {"pixel_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
            "meta": {"pixel_id": "123456789012345"},
            "tests.tracking.test_providers_registry.ShopPixel": {"account": "coffee"},
        },
    )
    providers = enabled_providers()
    assert [type(p) for p in providers] == [SnapPixel, MetaPixel, ShopPixel]
    assert providers[2].setup() == [Call("shopPixel", ("init", "coffee"))]
    assert enabled_providers() is providers, "unchanged settings reuse the instances"

    with_providers(settings, {"meta": {"pixel_id": "999999999999999"}})
    (meta,) = enabled_providers()
    assert meta.setup()[0] == Call("fbq", ("init", "999999999999999"))


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("facebook", "not a provider remarket knows"),
        ("myshop.pixels.Nope", "cannot be imported"),
        ("decimal.Decimal", "not a Provider subclass"),
    ],
)
def test_a_wrong_key_is_a_configuration_error(key, problem):
    with pytest.raises(RemarketConfigurationError, match=problem):
        provider_class(key)


def test_an_unfinished_provider_names_the_missing_hook():
    with pytest.raises(NotImplementedError, match="Unfinished must implement setup"):
        Unfinished({}).setup()


def test_csp_sources_merge_every_provider_without_repeats(settings):
    with_providers(
        settings,
        {
            "meta": {"pixel_id": "123456789012345"},
            "tests.tracking.test_providers_registry.ShopPixel": {"account": "coffee"},
            "pinterest": {
                "tag_id": "2612345678901",
                "script_url": "https://cdn.shop.example/core.js",
            },
        },
    )
    assert csp_sources() == {
        "script-src": (
            "https://connect.facebook.net",
            "https://pixel.shop.example",
            "https://s.pinimg.com",
            "https://cdn.shop.example",
        ),
        "img-src": ("https://www.facebook.com", "https://ct.pinterest.com"),
        "connect-src": (
            "https://www.facebook.com",
            "https://connect.facebook.net",
            "https://ct.pinterest.com",
        ),
    }


def test_a_local_stand_in_needs_no_extra_source():
    meta = MetaPixel({"pixel_id": "123456789012345", "script_url": "/static/fbevents.js"})
    assert csp_sources([meta])["script-src"] == ("https://connect.facebook.net",)
