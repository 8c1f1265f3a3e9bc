"""``remarket.tracking.middleware.TrackingMiddleware``: cookies and click ids, cheaply.

Place it after ``AuthenticationMiddleware``. Per request it reads two cookies and one
header; it writes only when something changed: a new visitor id, click ids on a landing
page, a withdrawn consent. Static files, media and the admin are skipped outright.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from remarket.conf import conf
from remarket.tracking.context import Tracker
from remarket.tracking.queue import queue_audiences


@lru_cache(maxsize=8)
def _skipped_prefixes(urlconf: str, static: str, media: str, extra: tuple[str, ...]) -> tuple:
    prefixes = [p for p in (static, media) if p and p.startswith("/") and p != "/"]
    with contextlib.suppress(NoReverseMatch):
        prefixes.append(reverse("admin:index", urlconf=urlconf))
    return tuple(prefixes) + extra


def skipped(path: str) -> bool:
    """Whether the middleware leaves this path alone (static, media, admin, SKIP_PATHS)."""
    return path.startswith(
        _skipped_prefixes(
            str(settings.ROOT_URLCONF),
            settings.STATIC_URL or "",
            settings.MEDIA_URL or "",
            conf.SKIP_PATHS,
        )
    )


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
