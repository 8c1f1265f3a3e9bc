"""Signed links in emails: cart recovery, tracked clicks, unsubscribe, preferences.

Every link carries a token signed with ``SECRET_KEY`` and a salt of its own, so a token
made for one purpose never opens another, and nothing in a link can be changed without
breaking it. Recovery and click links expire (``REMARKET['LINK_MAX_AGE']``); unsubscribe
and preferences links never do: an old email must always let a person leave.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import zlib
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme

from remarket.conf import conf

SALT = "remarket.links."


class BadLink(Exception):
    """A token that was tampered with, cut short, expired or made for another purpose."""


def make_token(purpose: str, data: dict[str, Any]) -> str:
    """Exactly ``signing.dumps(data, salt=SALT + purpose, compress=True)``, cheaper.

    ``signing.dumps`` builds a signer and derives its HMAC key from ``SECRET_KEY`` for
    every token, and an email carries three to six of them. Here the key (and the HMAC
    state keyed with it) is derived once per purpose and secret; the token is the same
    string, so ``signing.loads`` (:func:`read_token`) reads it. Tested against Django's.
    The one difference: a payload of up to ``SHORT`` bytes is never compressed (zlib's
    six bytes of framing leave nothing to gain, and trying costs more than the HMAC);
    ``signing.loads`` reads both forms.
    """
    raw = json.dumps(data, separators=(",", ":")).encode("latin-1")  # JSONSerializer
    value = _b64(raw)
    if len(raw) > SHORT:
        compressed = zlib.compress(raw)
        if len(compressed) < len(raw) - 1:
            value = "." + _b64(compressed)
    value = f"{value}:{_timestamp(int(time.time()))}"  # TimestampSigner
    mac = _keyed(purpose, settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return f"{value}:{_b64(mac.digest())}"


#: JSON payloads up to this many bytes are signed uncompressed.
SHORT = 64


@lru_cache(maxsize=2)
def _timestamp(seconds: int) -> str:
    """The base-62 timestamp: the same for every token made within one second."""
    return signing.b62_encode(seconds)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).strip(b"=").decode()


@lru_cache(maxsize=32)
def _keyed(purpose: str, secret: str | bytes) -> Any:
    """An HMAC-SHA256 keyed as ``Signer(salt=SALT + purpose)`` keys it (``salted_hmac``)."""
    key = hashlib.sha256(force_bytes(SALT + purpose + "signer") + force_bytes(secret)).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def read_token(purpose: str, token: str, *, expires: bool) -> dict[str, Any]:
    max_age = conf.LINK_MAX_AGE if expires else None
    try:
        data = signing.loads(token, salt=SALT + purpose, max_age=max_age)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise BadLink(str(exc)) from exc
    if not isinstance(data, dict):
        raise BadLink("not a remarket link")
    return data


def absolute(path: str) -> str:
    return urljoin(conf.SITE_URL + "/", path)


#: Stands for the token in a reversed URL; signed tokens are URL-safe, so they need no quoting.
_SLOT = "remarketTOKEN"


@lru_cache(maxsize=64)
def _route(name: str, site_url: str, urlconf: Any, prefix: str) -> str:
    """The absolute URL of ``name`` with a slot for the token: reversed once, not per link."""
    return urljoin(site_url + "/", reverse(name, args=[_SLOT], urlconf=urlconf))


def _link(name: str, token: str) -> str:
    urlconf = get_urlconf() or settings.ROOT_URLCONF  # keys the cache: tests swap URLconfs
    return _route(name, conf.SITE_URL, urlconf, get_script_prefix()).replace(_SLOT, token)


def recovery_url(message_id: int, cart_key: str) -> str:
    return _link("remarket:recover", make_token("recover", {"m": message_id, "k": cart_key}))


def click_url(message_id: int, target: str) -> str:
    return _link("remarket:click", make_token("click", {"m": message_id, "u": target}))


def unsubscribe_url(contact_id: int, message_id: int | None = None) -> str:
    token = make_token("unsubscribe", {"c": contact_id, "m": message_id})
    return _link("remarket:unsubscribe", token)


def preferences_url(contact_id: int) -> str:
    return _link("remarket:preferences", make_token("preferences", {"c": contact_id}))


def shop_hosts() -> set[str]:
    """Hosts a tracked link may lead to: the storefront's and ``LINK_HOSTS``."""
    return {urlsplit(conf.SITE_URL).netloc, *conf.LINK_HOSTS} - {""}


def is_shop_url(url: str) -> bool:
    """Only the shop's own pages: no open redirect through remarket's links."""
    return _allowed(url, frozenset(shop_hosts()), conf.SITE_URL.startswith("https:"))


@lru_cache(maxsize=1024)
def _allowed(url: str, hosts: frozenset[str], require_https: bool) -> bool:
    """Cached: every email of a step carries the same few links to the shop."""
    return url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=require_https)


_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def track_links(html: str, message_id: int, *, skip: set[str]) -> str:
    """Send every link to the shop through the click redirect (except ``skip``)."""
    site, hosts = conf.SITE_URL, frozenset(shop_hosts())

    def rewrite(match: re.Match[str]) -> str:
        prefix, quote, url = match.groups()
        target = url.replace("&amp;", "&")
        tracked = "" if target in skip else _tracked(target, site, hosts)
        if not tracked:
            return match.group(0)  # other sites stay untracked: we could not redirect there
        return f"{prefix}{quote}{click_url(message_id, tracked)}{quote}"

    return _HREF.sub(rewrite, html)


@lru_cache(maxsize=1024)
def _tracked(target: str, site: str, hosts: frozenset[str]) -> str:
    """The absolute URL a link is tracked as, or ``""`` if it does not lead to the shop.

    Cached: every email of a step carries the same few links.
    """
    if not target.startswith(("http://", "https://", "/")):
        return ""
    url = urljoin(site + "/", target)
    return url if _allowed(url, hosts, site.startswith("https:")) else ""
