"""``{% load remarket %}``: pixels, events and the consent banner for storefront templates.

Thin wrappers over :mod:`remarket.tracking.page`; every tag reads ``request`` from the
context (the ``request`` context processor) and outputs nothing without it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from remarket.tracking import page
from remarket.tracking.consent import banner_enabled
from remarket.tracking.context import get_tracker

register = template.Library()


@register.simple_tag(takes_context=True)
def remarket_head(context: template.Context) -> SafeString:
    """Consent defaults, every enabled provider's tag and the queued events.

    Put it in ``<head>``. Renders nothing before consent, for staff users and for
    ``INTERNAL_IPS``.
    """
    return page.head(context.get("request"), context)


@register.simple_tag(takes_context=True)
def remarket_event(context: template.Context, name: str, **data: Any) -> SafeString:
    """An event tracked by the template, e.g. ``{% remarket_event "view_item" item=product %}``.

    Takes the same arguments as ``remarket.track()``; place it after ``remarket_head``.
    """
    return page.event_tag(context.get("request"), name, context, **data)


@register.simple_tag(takes_context=True)
def remarket_consent_banner(context: template.Context, policy_url: str = "") -> SafeString:
    """The built-in consent banner, until the visitor has chosen (and never under GPC).

    A plain form posting to ``remarket:consent``: works without JavaScript.
    ``policy_url`` adds a link to the shop's privacy policy.
    """
    request = context.get("request")
    if request is None or not banner_enabled() or get_tracker(request).consent.decided:
        return mark_safe("")
    return mark_safe(
        render_to_string(
            "remarket/tracking/banner.html",
            {"next": request.get_full_path(), "policy_url": policy_url},
            request=request,
        )
    )
