"""Compose one email: the shop owner's body inside remarket's layout, ready to send.

The body is rendered in the sandbox of :mod:`remarket.mail.render` with the documented
context only; the layout (``remarket/email/base.html``, overridable by the project's
templates) adds the preheader, the shop's name and the unsubscribe footer, in the
person's language and direction. Links to the shop go through the click redirect, CSS is
inlined for mail clients, and a plain-text part is written from the same HTML.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import css_inline
from django.conf import settings
from django.utils import translation
from django.utils.safestring import mark_safe

from remarket.conf import conf
from remarket.mail.layout import Layouts, render_layout
from remarket.mail.links import track_links
from remarket.mail.render import html_to_text, render_text

# Media queries stay in <head>; stylesheets are never fetched: no requests from templates.
INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class Composed:
    subject: str
    preheader: str
    html: str
    text: str
    language: str
    headers: dict[str, str]


def email_language(locale: str) -> str:
    """The contact's language if the site offers it, else ``LANGUAGE_CODE``."""
    offered = {code for code, _name in settings.LANGUAGES}
    for candidate in (locale, locale.split("-")[0]):
        if candidate and candidate in offered:
            return candidate
    return settings.LANGUAGE_CODE


def compose(
    *,
    subject: str,
    preheader: str,
    body: str,
    context: dict[str, Any],
    locale: str = "",
    message_id: int | None = None,
    layouts: Layouts | None = None,
) -> Composed:
    """Render and assemble one email; raises :class:`~remarket.mail.render.RenderError`.

    ``layouts`` (one per batch) renders the layout once per language and fills it per
    person, byte for byte what a full render gives (see remarket.mail.layout).
    """
    language = email_language(locale)
    links = context.get("links") or {}
    # Most emails are in the language already active: no switching back and forth.
    active = translation.get_language() == language
    with nullcontext() if active else translation.override(language):
        rtl = translation.get_language_bidi()
        rendered_subject = " ".join(render_text(subject, context, autoescape=False).split())
        rendered_preheader = (
            " ".join(render_text(preheader, context, autoescape=False).split()) if preheader else ""
        )
        inner = render_text(body, context, autoescape=True)
        layout = {
            "language": language,
            "direction": "rtl" if rtl else "ltr",
            "align": "right" if rtl else "left",
            "subject": rendered_subject,
            "preheader": rendered_preheader,
            "body": mark_safe(inner),  # rendered with autoescape just above
            "shop_name": conf.SHOP_NAME,
            "site_url": conf.SITE_URL,
            "links": links,
        }
        html = render_layout(layout) if layouts is None else layouts.render(layout)
    if message_id is not None:
        html = track_links(html, message_id, skip={str(u) for u in links.values() if u})
    headers = {}
    if links.get("unsubscribe_url"):
        headers = {
            "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return Composed(
        subject=rendered_subject[:300],
        preheader=rendered_preheader,
        html=INLINER.inline(html),
        text=html_to_text(html),
        language=language,
        headers=headers,
    )
