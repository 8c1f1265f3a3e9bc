"""Cheaper emails, same bytes: the layout filled per person, link tokens signed fast."""

from __future__ import annotations

import itertools
import json
import types
import zlib

import pytest
from django.core import signing

from remarket.mail import layout, links
from remarket.mail.compose import compose
from remarket.mail.layout import Layouts, render_layout
from remarket.mail.links import (
    SALT,
    SHORT,
    BadLink,
    make_token,
    preferences_url,
    read_token,
    recovery_url,
    unsubscribe_url,
)

render = render_layout

BODY = (
    "<p>Hi {{ contact.name }},</p>"
    '<p><a href="{{ site_url }}/kettle?a=1&b=2">Kettle</a> <a href="{{ links.cart_url }}">'
    'Cart</a> <a href="https://elsewhere.example/">elsewhere</a></p>'
)


@pytest.fixture(autouse=True)
def _one_second(monkeypatch):
    """Signed links carry the second they were made: both renders must share it."""
    second = types.SimpleNamespace(time=lambda: 1_800_000_000.0)
    monkeypatch.setattr(signing, "time", second)
    monkeypatch.setattr(links, "time", second)


def context(n: int, *, cart: bool) -> dict:
    links = {
        "cart_url": recovery_url(n, f"cart-{n}") if cart else "",
        "unsubscribe_url": unsubscribe_url(n, n),
        "preferences_url": preferences_url(n),
        "shop_url": "https://shop.example",
    }
    name = ["Ann", "<Bob & 'Eve'>", 'Zoë "Z"', ""][n % 4]
    return {
        "contact": {"email": f"p{n}@example.com", "name": name},
        "links": links,
        "shop_name": "Bench & Co",
        "site_url": "https://shop.example",
    }


def emails(layouts: Layouts | None, preheaders: list[str]) -> list:
    """The same dozens of emails: languages, empty and full values, awkward characters."""
    cases = itertools.product(["", "fa", "vi-VN"], preheaders, [True, False], range(4))
    return [
        compose(
            subject="{{ contact.name }}, & your <cart>",
            preheader=preheader,
            body=BODY,
            context=context(n, cart=cart),
            locale=locale,
            message_id=n + 1,
            layouts=layouts,
        )
        for locale, preheader, cart, n in cases
    ]


def test_the_default_layout_filled_per_person_is_the_full_render(settings, monkeypatch):
    settings.REMARKET = {**settings.REMARKET, "SHOP_NAME": "Bench & Co"}
    preheaders = ["", "Saved for you, {{ contact.name }}"]
    full = emails(None, preheaders)
    renders = []
    monkeypatch.setattr(layout, "render_layout", lambda c: renders.append(c) or render(c))

    fast = emails(Layouts(), preheaders)

    assert len(fast) == 48
    assert fast == full
    assert 'dir="rtl"' in fast[16].html
    assert "Bench &amp; Co" in fast[0].html
    # 3 languages x empty or full preheader x with or without a cart: 12 layouts, each
    # rendered twice with markers and once to check the first email; 36 emails filled.
    assert len(renders) == 12 * 3


@pytest.mark.parametrize(
    "layout",
    [
        # a value transformed, tested, or left unescaped: pieces must not change a byte
        "<title>{{ subject|upper }}</title>{{ body }}",
        "{% if preheader %}<p>{{ preheader }}</p>{% else %}none{% endif %}{{ body }}",
        "<a href='{{ links.cart_url|safe }}'>c</a>{{ body|force_escape }}{{ subject|length }}",
        "{% load i18n %}{% blocktranslate with s=subject %}About {{ s }}{% endblocktranslate %}"
        '{{ body }}<a href="{{ links.unsubscribe_url }}">{{ shop_name|default:site_url }}</a>',
    ],
)
def test_a_projects_own_layout_gives_the_same_email_either_way(settings, tmp_path, layout):
    (tmp_path / "remarket" / "email").mkdir(parents=True)
    (tmp_path / "remarket" / "email" / "base.html").write_text(layout)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    preheaders = ["", "Hi {{ contact.name }}"]

    assert emails(Layouts(), preheaders) == emails(None, preheaders)


@pytest.mark.parametrize(
    ("purpose", "data"),
    [
        ("unsubscribe", {"c": 7, "m": None}),
        ("preferences", {"c": 123456789}),
        ("recover", {"m": 42, "k": "cart-\u00e9-" + "x" * 40}),
        ("click", {"m": 42, "u": "https://shop.example/" + "products/kettle/" * 8}),  # compressed
    ],
)
def test_a_link_token_is_the_one_django_signing_makes(settings, purpose, data):
    settings.SECRET_KEY = "another secret for this test"

    token = make_token(purpose, data)

    assert token == signing.dumps(data, salt=SALT + purpose, compress=True)
    assert read_token(purpose, token, expires=False) == data
    with pytest.raises(BadLink):
        read_token("other", token, expires=False)


def test_a_short_token_is_left_uncompressed_and_django_still_reads_it(settings):
    # 64 bytes of JSON that zlib could shorten: make_token does not try (links.SHORT).
    data = {"u": "a" * 56}
    assert len(json.dumps(data, separators=(",", ":"))) <= SHORT
    assert len(zlib.compress(json.dumps(data, separators=(",", ":")).encode())) < 40

    token = make_token("click", data)

    assert not token.startswith(".")  # Django's mark of a compressed payload
    assert signing.loads(token, salt=SALT + "click") == data
    assert read_token("click", token, expires=True) == data
