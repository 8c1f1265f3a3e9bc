"""Render a step's subject and body for one person.

The body is a Django template written by the shop owner. It sees only the context it is
given (no settings, no request, no model access), a missing variable renders empty, and a
template that fails to render is reported as :class:`RenderError` instead of crashing a
batch.
"""

from __future__ import annotations

import html as htmllib
import re
import string
from functools import lru_cache
from typing import Any

from django.template import Context, Engine, Template, TemplateSyntaxError

from remarket.exceptions import RemarketError


class SandboxEngine(Engine):
    """No template directories or loaders, and only :mod:`remarket.mail.sandbox`'s tags."""

    default_builtins = ["remarket.mail.sandbox"]


ENGINE = SandboxEngine(debug=False, string_if_invalid="", autoescape=True)


class RenderError(RemarketError, ValueError):
    """A step's template does not compile or fails while rendering."""


#: The same sandbox with debug on, only to tell the shop owner the line a template broke on.
CHECKER = SandboxEngine(debug=True, string_if_invalid="", autoescape=True)


def template_error(template: str) -> str:
    """``""`` if the template compiles, else "Line N: what is wrong" for the shop owner."""
    try:
        CHECKER.from_string(template)
    except TemplateSyntaxError as exc:
        line = getattr(exc, "template_debug", {}).get("line")
        return f"Line {line}: {exc}" if line else str(exc)
    return ""


@lru_cache(maxsize=256)
def _compile(template: str) -> Template:
    """Compiled once per distinct source: a batch renders the same step many times."""
    return ENGINE.from_string(template)


def render_text(template: str, context: dict[str, Any], *, autoescape: bool) -> str:
    try:
        return _compile(template).render(Context(context, autoescape=autoescape))
    except TemplateSyntaxError as exc:
        raise RenderError(f"The template does not compile: {exc}") from exc
    except Exception as exc:  # a shop owner's template must never break a batch
        raise RenderError(f"The template failed while rendering: {exc}") from exc


#: Parts of the document that are no text: the head, and the preheader (inbox preview).
_HIDDEN = (("<head", "</head>"), ('<span class="preheader">', "</span>"))
_ANCHOR = re.compile(r"""<a\b[^>]*?\bhref=(["'])(.*?)\1[^>]*>(.*?)</a>""", re.I | re.S)
_BLOCK_END = re.compile(r"</(p|div|h[1-6]|tr|table|ul|ol)\s*>|<br\s*/?>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<li(\s[^>]*)?>", re.IGNORECASE)
# Tags and comments. Enough for a text part: the HTML is our own rendering, where text
# was escaped, so every "<" left starts markup. (Django's strip_tags runs an HTML parser
# twice over the document: a fifth of the CPU of a send.)
_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)


def strip_tags(html: str) -> str:
    return _TAG.sub("", html) if "<" in html else html


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _without_hidden(html: str) -> str:
    """``html`` without ``_HIDDEN`` parts (any case); string search, not a regex: a lazy
    ``.*?`` over the head cost a third of the text part."""
    lower, out, at = html.translate(_ASCII_LOWER), [], 0  # str.lower() may change lengths
    while True:
        found = [
            (start, close)
            for opening, close in _HIDDEN
            if (start := _find(lower, opening, at)) >= 0
        ]
        if not found:
            break
        start, close = min(found)
        end = lower.find(close, start)
        if end < 0:
            break  # never closed: kept, as the regular expression kept it
        out.append(html[at:start])
        at = end + len(close)
    out.append(html[at:])
    return "".join(out)


def _find(lower: str, opening: str, at: int) -> int:
    """Where ``opening`` starts as a whole tag name (``<head`` but not ``<header``)."""
    while (start := lower.find(opening, at)) >= 0:
        following = lower[start + len(opening) : start + len(opening) + 1]
        if opening.endswith(">") or not (following.isalnum() or following == "_"):
            return start
        at = start + 1
    return -1


def html_to_text(html: str) -> str:
    """A readable plain-text alternative: blocks on their own lines, links spelled out."""

    def spell(match: re.Match[str]) -> str:
        url, label = match.group(2), strip_tags(match.group(3)).strip()
        return label if not url or label == url else f"{label} ({url})"

    text = _ANCHOR.sub(spell, _without_hidden(html))
    text = _LIST_ITEM.sub("\n- ", _BLOCK_END.sub("\n", text))
    lines = (" ".join(line.split()) for line in htmllib.unescape(strip_tags(text)).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
