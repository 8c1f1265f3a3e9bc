"""The tracking state of one request (``request.remarket``), built lazily and cheaply.

Reading it costs no query: consent comes from a cookie and a header, the visitor id from
another cookie. Writes (cookies, click ids) happen once, when the middleware finishes.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from remarket.conf import conf
from remarket.tracking import identity
from remarket.tracking.consent import DENIED, GRANTED, Consent, resolve
from remarket.tracking.events import ConsentState

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

FBP, FBC = "_fbp", "_fbc"
# What a Meta click id looks like; anything else (huge, dotted) stays out of the cookie.
FBCLID = re.compile(r"[A-Za-z0-9_-]{1,500}")


@lru_cache(maxsize=16)
def _networks(ranges: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(r, strict=False) for r in ranges)


def is_internal(address: str, ranges: tuple[str, ...]) -> bool:
    """Whether ``address`` falls in one of the CIDR ``ranges`` (bad addresses: no)."""
    if not ranges:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(ranges))


class Tracker:
    """What remarket knows and may do for one request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._minted = ""
        self._choice: tuple[str, str] | None = None
        self.known_contact: int | None = None
        self.stored: set[str] = set()
        """Activity kinds stored in this request and not yet checked against audiences."""

    @cached_property
    def consent(self) -> Consent:
        return resolve(self.request)

    @property
    def marketing(self) -> bool:
        """Whether retargeting (cookie, pixels, events) may run for this request."""
        return self.consent.marketing

    @cached_property
    def _cookie_id(self) -> str | None:
        return identity.valid_visitor_id(self.request.COOKIES.get(conf.COOKIE_NAME))

    @property
    def known_visitor_key(self) -> str | None:
        """The id in this browser's visitor cookie, never a new one; ``None`` without consent."""
        return self._cookie_id if self.marketing else None

    def visitor_key(self) -> str | None:
        """The visitor id, minted on first need; ``None`` without consent."""
        if not self.marketing:
            return None
        if self._cookie_id:
            return self._cookie_id
        if not self._minted:
            self._minted = identity.new_visitor_id()
        return self._minted

    def contact_id(self) -> int | None:
        """The contact this browser was identified as (login or checkout email)."""
        if self.known_contact is None and hasattr(self.request, "session"):
            self.known_contact = self.request.session.get(identity.SESSION_CONTACT)
        return self.known_contact

    @cached_property
    def suppressed(self) -> bool:
        """No pixels for staff (unless TRACK_STAFF) or internal addresses."""
        user = getattr(self.request, "user", None)
        if not conf.TRACK_STAFF and user is not None and getattr(user, "is_staff", False):
            return True
        return is_internal(self.request.META.get("REMOTE_ADDR", ""), conf.INTERNAL_IPS)

    def choose(self, granted: bool, receipt: str) -> None:
        """Apply a choice made in this request (the consent endpoint, shop code)."""
        self._choice = (GRANTED if granted else DENIED, receipt)
        current = self.consent
        state = ConsentState.granted() if granted and not current.gpc else ConsentState.denied()
        self.__dict__["consent"] = Consent(state, decided=True, gpc=current.gpc, receipt=receipt)

    def write_cookies(self, response: HttpResponse) -> None:
        """Set or delete remarket's cookies on the way out; idempotent."""
        cookies = self.request.COOKIES
        if not self._choice and not self.marketing and not cookies:
            return  # the common case of a first visit before consent: nothing to do
        if self._choice:
            # Strictly necessary: remembers the choice itself, readable by the server only.
            value = f"{self._choice[0]}.{self._choice[1]}"
            response.set_cookie(conf.CONSENT_COOKIE_NAME, value, httponly=True, **self._options())
        if not self.marketing:
            for name in (conf.COOKIE_NAME, FBP, FBC):
                if cookies.get(name):
                    response.delete_cookie(name, domain=conf.COOKIE_DOMAIN, samesite="Lax")
            return
        if self.visitor_key() == self._minted and self._minted:
            response.set_cookie(conf.COOKIE_NAME, self._minted, httponly=True, **self._options())
        if not _meta_enabled():
            return
        # Meta's pixel reads these, so they cannot be HttpOnly.
        fbclid = self.request.GET.get("fbclid", "") if self._landing() else ""
        if not FBCLID.fullmatch(fbclid):
            fbclid = ""  # not a click id Meta issues: never copied into a cookie
        if fbclid and identity.fbc_click_id(cookies.get(FBC)) != fbclid:
            response.set_cookie(FBC, identity.make_fbc(fbclid), **self._options())
        if not identity.valid_fb_cookie(cookies.get(FBP)):
            response.set_cookie(FBP, identity.make_fbp(), **self._options())

    def _options(self) -> dict[str, Any]:
        return {
            "max_age": int(conf.COOKIE_AGE.total_seconds()),
            "domain": conf.COOKIE_DOMAIN,
            "secure": self.request.is_secure(),
            "samesite": "Lax",
        }

    def _landing(self) -> bool:
        """A GET with a query string (read from META: parsing GET costs more)."""
        return self.request.method == "GET" and bool(self.request.META.get("QUERY_STRING"))

    def capture_clicks(self) -> None:
        """Keep the click ids and campaign tags a consenting visitor landed with."""
        if not self._landing() or not self.marketing:
            return
        found = identity.capture(self.request.GET)
        key = self.visitor_key()
        if found and key:
            identity.remember_clicks(key, found, self.request.path)


def _meta_enabled() -> bool:
    from remarket.tracking.providers import enabled_providers

    return any(provider.key == "meta" for provider in enabled_providers())


def get_tracker(request: HttpRequest) -> Tracker:
    """``request.remarket``, created on first use when the middleware did not run."""
    tracker = getattr(request, "remarket", None)
    if not isinstance(tracker, Tracker):
        tracker = Tracker(request)
        request.remarket = tracker
    return tracker
