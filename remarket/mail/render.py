"""Render a step's subject and body for one person.

The body is a Django template written by the shop owner. It sees only the context it is
given (no settings, no request, no model access), a missing variable renders empty, and a
template that fails to render is reported as :class:`RenderError` instead of crashing a
batch.
"""

from __future__ import annotations

import html as htmllib
import re
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


def _any_ascii_case(text: str) -> str:
    """A pattern matching ``text`` with its ASCII letters in any case, as HTML reads tag
    names. Not ``re.I`` or ``str.lower()``: those also fold "\u0130", "\u017f" and the
    Kelvin sign into ASCII letters."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else re.escape(c) for c in text
    )


# Where a hidden part opens: "<head" as a whole tag name (not "<header"; \w is
# str.isalnum() or "_"), or the preheader's span. Group hN opens _HIDDEN[N].
_WHOLE_NAME = r"(?!\w)"
_HIDDEN_BRANCHES = "|".join(
    f"(?P<h{n}>{_any_ascii_case(opening[1:])}{'' if opening.endswith('>') else _WHOLE_NAME})"
    for n, (opening, _close) in enumerate(_HIDDEN)
)
# "<" first, outside the branches: the regex engine then skips from "<" to "<".
_HIDDEN_OPENS = re.compile(f"<(?:{_HIDDEN_BRANCHES})")
_HIDDEN_CLOSES = [re.compile(_any_ascii_case(close)) for _opening, close in _HIDDEN]


def _without_hidden(html: str) -> str:
    """``html`` without ``_HIDDEN`` parts (tags in any case). Searches for where each part
    opens and closes: a lazy ``.*?`` over the head cost a third of the text part, and a
    lowercased copy of a document with any non-ASCII character five times more."""
    out, kept_from, search_from = [], 0, 0
    while opens := _HIDDEN_OPENS.search(html, search_from):
        assert opens.lastgroup is not None
        closes = _HIDDEN_CLOSES[int(opens.lastgroup[1:])].search(html, opens.start())
        if closes is None:
            search_from = opens.end()  # never closed: kept, and later parts still go
            continue
        out.append(html[kept_from : opens.start()])
        kept_from = search_from = closes.end()
    out.append(html[kept_from:])
    return "".join(out)


def html_to_text(html: str) -> str:
    """A readable plain-text alternative: blocks on their own lines, links spelled out."""

    def spell(match: re.Match[str]) -> str:
        url, label = match.group(2), strip_tags(match.group(3)).strip()
        return label if not url or label == url else f"{label} ({url})"

    text = _ANCHOR.sub(spell, _without_hidden(html))
    text = _LIST_ITEM.sub("\n- ", _BLOCK_END.sub("\n", text))
    lines = (" ".join(line.split()) for line in htmllib.unescape(strip_tags(text)).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
