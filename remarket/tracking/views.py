"""The consent endpoint (the banner's form), the engagement beacon and the loader's stubs."""

from __future__ import annotations

import json

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from remarket.people.visitors import ConsentChannel
from remarket.tracking.consent import banner_enabled, record_choice
from remarket.tracking.context import get_tracker
from remarket.tracking.events import Event
from remarket.tracking.page import stubs_js
from remarket.tracking.queue import store_activity

#: One beacon reports at most this many seconds (a tab left open overnight is not interest).
MAX_SECONDS = 1800
# The beacon's body is about 20 bytes; anything far bigger is not ours.
MAX_BEACON_BYTES = 256


def _safe_next(request: HttpRequest) -> str:
    """Where to go back to: the posted ``next`` if it is on this site, else the home page."""
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else "/"


@require_POST
def consent(request: HttpRequest) -> HttpResponse:
    """Record the banner's choice (``choice=accept`` or ``reject``) and go back.

    CSRF-protected like any form; works without JavaScript. Answers 400 to anything else,
    and 404 when the site uses its own consent manager instead of the built-in banner.
    """
    if not banner_enabled():
        return HttpResponse(status=404)
    choice = request.POST.get("choice")
    if choice not in {"accept", "reject"}:
        return HttpResponseBadRequest("choice must be accept or reject", content_type="text/plain")
    response = HttpResponseRedirect(_safe_next(request))
    record_choice(request, response, granted=choice == "accept", source=ConsentChannel.BANNER)
    return response


@csrf_exempt  # The visitor cookie is SameSite=Lax: a cross-site post carries none.
@require_POST
def collect(request: HttpRequest) -> HttpResponse:
    """The engagement beacon: ``{"seconds": n}`` spent on a page, for a consenting visitor.

    Only a visitor who already has remarket's cookie counts: the beacon never mints one.
    """
    if len(request.body) > MAX_BEACON_BYTES:
        return HttpResponse("beacon too large", status=413, content_type="text/plain")
    try:
        seconds = json.loads(request.body or b"{}").get("seconds")
    except (ValueError, AttributeError, RecursionError):
        seconds = None
    if type(seconds) is not int:  # not bool, float or text: the beacon sends whole seconds
        return HttpResponseBadRequest('expected {"seconds": n}', content_type="text/plain")
    if not seconds > 0:
        return HttpResponseBadRequest("seconds must be positive", content_type="text/plain")
    tracker = get_tracker(request)
    if tracker.known_visitor_key:
        event = Event(name="engagement", id="", params={})
        store_activity(request, event, extra={"seconds": min(seconds, MAX_SECONDS)})
    return HttpResponse(status=204)


@require_GET
def stubs(request: HttpRequest) -> HttpResponse:
    """The providers' constant queue stubs, for the no-inline loader."""
    response = HttpResponse(stubs_js(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
