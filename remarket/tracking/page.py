"""What ``{% remarket_head %}`` and ``{% remarket_event %}`` put on a page.

Order, as Consent Mode and every vendor require: the queue stubs, consent defaults
(denied) and the visitor's actual consent, each provider's setup, the vendor scripts,
then queued events and audience matches. In ``NO_INLINE`` mode the same calls travel in a
JSON data block that one static loader replays, so the page has no inline code at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from remarket.conf import conf
from remarket.tracking import render
from remarket.tracking.audiences import active_rules
from remarket.tracking.context import get_tracker
from remarket.tracking.events import Call, ConsentState, Event
from remarket.tracking.queue import build_event, check_audiences, decode, store_activity, take_queue

if TYPE_CHECKING:
    from django.http import HttpRequest

    from remarket.tracking.providers.base import Provider

#: Set once so a visitor has a session for the engagement beacon to queue matches in.
SESSION_BEACON = "_remarket_beacon"


def _providers() -> list[Provider]:
    from remarket.tracking.providers import enabled_providers

    return enabled_providers()


def active(request: HttpRequest | None) -> bool:
    """Whether this request may carry pixels: consent given, not staff, not internal."""
    if request is None:
        return False
    tracker = get_tracker(request)
    return tracker.marketing and not tracker.suppressed


def head_calls(providers: list[Provider], state: ConsentState) -> list[Call]:
    """Consent defaults, the actual consent, then setup, for every provider."""
    calls: list[Call] = []
    for provider in providers:
        calls += provider.consent(ConsentState.denied(), default=True)
    for provider in providers:
        calls += provider.consent(state, default=False)
    for provider in providers:
        calls += provider.setup()
    return calls


def event_calls(providers: list[Provider], events: list[Event]) -> list[Call]:
    return [call for event in events for provider in providers for call in provider.event(event)]


def audience_calls(providers: list[Provider], matches: list[tuple[str, str]]) -> list[Call]:
    return [
        call
        for name, event_id in matches
        for provider in providers
        for call in provider.audience(name, event_id)
    ]


def _collect_url() -> str:
    try:
        return reverse("remarket:collect")
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class _Constant:
    """The parts of the head tag that only the settings and the consent state decide."""

    providers: list[Provider]
    code: str
    """The stubs and the consent and setup calls, as JavaScript."""
    calls: list[list[Any]]
    """The same calls for the no-inline data block."""
    scripts: list[str]
    stubs_url: str
    loader: str
    beacon: str
    """The beacon's ``<script`` start tag, escaped, up to where a nonce would go."""
    collect: str


# Keyed by consent state; dropped whenever a setting changes (tests, override_settings).
_constants: dict[ConsentState, _Constant] = {}


def _forget_constants(**kwargs: Any) -> None:
    _constants.clear()


setting_changed.connect(_forget_constants, dispatch_uid="remarket.tracking.page")


def _constant(providers: list[Provider], state: ConsentState) -> _Constant:
    found = _constants.get(state)
    if found is not None and found.providers is providers:
        return found
    calls = head_calls(providers, state)
    collect = _collect_url()
    found = _Constant(
        providers=providers,
        code="\n".join(filter(None, [*(p.stub() for p in providers), render.calls_js(calls)])),
        calls=render.calls_data(calls),
        scripts=[url for url in (p.script_url() for p in providers) if url],
        stubs_url=reverse("remarket:stubs") if providers else "",
        loader=static("remarket/tracking/loader.js"),
        beacon=format_html(
            '<script defer src="{}" data-collect="{}"',
            static("remarket/tracking/engagement.js"),
            collect,
        ),
        collect=collect,
    )
    _constants[state] = found
    return found


def _session_for_beacon(request: HttpRequest) -> None:
    """Give the visitor a session before the engagement beacon leaves with the page.

    The beacon's request finds "time on site" matches and queues them in the session for
    the next page; a session created by the beacon's response would be lost, as the page
    that could take its cookie is gone.
    """
    session = getattr(request, "session", None)
    if session is not None and session.session_key is None and SESSION_BEACON not in session:
        session[SESSION_BEACON] = 1


def head(request: HttpRequest | None, context: Any = None) -> SafeString:
    """The whole ``{% remarket_head %}`` output ("" without consent, for staff...)."""
    if request is None:
        return mark_safe("")
    tracker = get_tracker(request)
    if not tracker.marketing:
        return mark_safe("")
    rules = active_rules()
    # A page view is stored only when a page-visit audience counts this path (the rules are
    # cached per process, so deciding costs no query); it counts even where no pixel shows.
    if rules.wants_page_view(request.path):
        store_activity(request, build_event("page_view"))
    if "engagement" in rules.kinds_read:
        _session_for_beacon(request)
    entries = take_queue(request)
    matches = [(e["audience"], e["id"]) for e in entries if "audience" in e]
    matches += check_audiences(request)
    if tracker.suppressed:
        return mark_safe("")
    providers = _providers()
    constant = _constant(providers, tracker.consent.state)
    events = [decode(e["event"]) for e in entries if "event" in e]
    calls = [*event_calls(providers, events), *audience_calls(providers, matches)]
    nonce = render.get_nonce(request, context)
    # The engagement beacon (seconds on the page, for "spent S seconds" audiences).
    beacon = (
        mark_safe(f"{constant.beacon}{render.nonce_attr(nonce)}></script>")
        if constant.collect
        else mark_safe("")
    )
    if conf.NO_INLINE:
        data = {
            "stubs": constant.stubs_url,
            "scripts": constant.scripts,
            "calls": [*constant.calls, *render.calls_data(calls)],
        }
        block = render.data_block(data, element_id="remarket-data")
        return block + render.script_tags([constant.loader], nonce, attrs="defer") + beacon
    code = "\n".join(filter(None, [constant.code, render.calls_js(calls)]))
    return render.inline_script(code, nonce) + render.script_tags(constant.scripts, nonce) + beacon


def stubs_js() -> str:
    """Every enabled provider's stub, for the no-inline loader (constant per settings)."""
    return "\n".join(filter(None, (p.stub() for p in _providers())))


def event_tag(request: HttpRequest | None, name: str, context: Any = None, **data: Any) -> str:
    """``{% remarket_event %}``: store the event and emit its calls right here."""
    if request is None or not get_tracker(request).marketing:
        return mark_safe("")
    event = build_event(name, **data)
    store_activity(request, event)
    if not active(request):
        return mark_safe("")
    calls = event_calls(_providers(), [event])
    if not calls:
        return mark_safe("")
    if conf.NO_INLINE:
        return render.data_block({"calls": render.calls_data(calls)})
    return render.inline_script(render.calls_js(calls), render.get_nonce(request, context))
