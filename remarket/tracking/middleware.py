"""``remarket.tracking.middleware.TrackingMiddleware``: cookies and click ids, cheaply.

Place it after ``AuthenticationMiddleware``. Per request it reads two cookies and one
header; it writes only when something changed: a new visitor id, click ids on a landing
page, a withdrawn consent. Static files, media and the admin are skipped outright.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from remarket.conf import conf
from remarket.tracking.context import Tracker
from remarket.tracking.queue import queue_audiences


def _skipped_prefixes() -> tuple[str, ...]:
    prefixes = [p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p and p.startswith("/")]
    prefixes = [p for p in prefixes if p != "/"]
    with contextlib.suppress(NoReverseMatch):
        prefixes.append(reverse("admin:index", urlconf=settings.ROOT_URLCONF))
    return (*prefixes, *conf.SKIP_PATHS)


# Built once per settings: a request pays one startswith, not four settings lookups.
_prefixes: tuple[str, ...] | None = None
_PREFIX_SETTINGS = {"ROOT_URLCONF", "STATIC_URL", "MEDIA_URL", "REMARKET"}


def _forget_prefixes(*, setting: str, **kwargs: Any) -> None:
    global _prefixes
    if setting in _PREFIX_SETTINGS:
        _prefixes = None


setting_changed.connect(_forget_prefixes, dispatch_uid="remarket.tracking.skipped")


def skipped(path: str) -> bool:
    """Whether the middleware leaves this path alone (static, media, admin, SKIP_PATHS)."""
    global _prefixes
    if _prefixes is None:
        _prefixes = _skipped_prefixes()
    return path.startswith(_prefixes)


class TrackingMiddleware:
    """Sets ``request.remarket`` and, on the way out, remarket's cookies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if skipped(request.path_info):
            return self.get_response(request)
        tracker = Tracker(request)
        request.remarket = tracker
        response = self.get_response(request)
        if tracker.marketing:
            tracker.capture_clicks()
            # Events stored after the page rendered (or before a redirect) may complete an
            # audience; the next page announces it.
            queue_audiences(request)
        tracker.write_cookies(response)
        return response
