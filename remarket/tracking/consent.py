"""Consent for retargeting: one state per request, from the shop's chosen source.

``REMARKET["CONSENT"]`` picks the source:

* ``"required"`` (the default): nothing marketing-related until the visitor opts in on
  the banner (or the shop records a choice through :func:`record_choice`);
* ``"implied"``: on until the visitor opts out;
* a dotted path to ``f(request) -> ConsentState | bool | None``: the site's own consent
  manager decides (``None``: no decision yet, which counts as denied).

A browser sending ``Sec-GPC: 1`` is always treated as opted out.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from remarket.conf import conf
from remarket.tracking.events import ConsentState

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

REQUIRED = "required"
IMPLIED = "implied"
GRANTED, DENIED = "granted", "denied"
_CHOICE = re.compile(r"(granted|denied)\.([A-Za-z0-9_-]{1,32})")

__all__ = ["DENIED", "GRANTED", "IMPLIED", "REQUIRED", "Consent", "record_choice", "resolve"]


@dataclass(frozen=True)
class Consent:
    """The consent that applies to one request."""

    state: ConsentState
    decided: bool
    """Whether a choice exists (the banner is not shown again)."""
    gpc: bool
    """Whether the browser sent ``Sec-GPC: 1``."""
    receipt: str = ""
    """The id of the stored choice, when the built-in banner recorded one."""

    @property
    def marketing(self) -> bool:
        """Whether retargeting may run: ad storage is granted."""
        return self.state.ad_storage


def sends_gpc(request: HttpRequest) -> bool:
    """Whether the request carries the Global Privacy Control opt-out signal."""
    # META, not request.headers: building the headers mapping costs more than the rest.
    return request.META.get("HTTP_SEC_GPC", "").strip() == "1"


def stored_choice(request: HttpRequest) -> tuple[str, str]:
    """The (choice, receipt) in the consent cookie, or ``("", "")``."""
    match = _CHOICE.fullmatch(request.COOKIES.get(conf.CONSENT_COOKIE_NAME, ""))
    return (match[1], match[2]) if match else ("", "")


@lru_cache(maxsize=8)
def _load_callable(path: str) -> Callable[[HttpRequest], Any]:
    return import_string(path)


def resolve(request: HttpRequest) -> Consent:
    """The consent for this request: GPC first, then the configured source."""
    gpc = sends_gpc(request)
    mode = conf.CONSENT
    choice, receipt = stored_choice(request)
    if mode == REQUIRED:
        state = ConsentState.granted() if choice == GRANTED else ConsentState.denied()
        decided = bool(choice)
    elif mode == IMPLIED:
        state = ConsentState.denied() if choice == DENIED else ConsentState.granted()
        decided = bool(choice)
    else:
        answer = _load_callable(mode)(request)
        if isinstance(answer, ConsentState):
            state = answer
        else:
            state = ConsentState.granted() if answer is True else ConsentState.denied()
        # The site's own consent manager shows its own banner.
        decided, receipt = True, ""
    if gpc:
        return Consent(ConsentState.denied(), decided=True, gpc=True, receipt=receipt)
    return Consent(state, decided=decided, gpc=False, receipt=receipt)


def banner_enabled() -> bool:
    """Whether the built-in banner applies (not when a site's own CMP decides)."""
    return conf.CONSENT in {REQUIRED, IMPLIED}


def record_choice(
    request: HttpRequest, response: HttpResponse, *, granted: bool, source: str = "api"
) -> Any:
    """Remember a visitor's choice in the consent cookie and log it; returns the record.

    Granting mints the visitor cookie at once (so the log names the visitor); refusing
    deletes remarket's marketing cookies. The consent cookie itself is strictly necessary:
    it holds only the choice and the receipt id of its log entry.
    """
    from remarket.people.visitors import ConsentChoice, ConsentRecord
    from remarket.tracking.context import get_tracker

    tracker = get_tracker(request)
    receipt = secrets.token_urlsafe(12)
    choice = ConsentChoice.GRANTED if granted else ConsentChoice.DENIED
    tracker.choose(granted, receipt)
    visitor_key = tracker.visitor_key() or ""
    record = ConsentRecord.objects.create(
        receipt=receipt,
        visitor_key=visitor_key,
        contact_id=tracker.contact_id(),
        choice=choice,
        source=source,
        gpc=sends_gpc(request),
    )
    tracker.write_cookies(response)
    return record
