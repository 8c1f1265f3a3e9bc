"""The email layout rendered once per language for a whole batch, then filled per person.

Rendering ``remarket/email/base.html`` (its translations, its ``{% if %}`` and filters)
cost more CPU per email than anything else remarket does. Most of it is the same for
every recipient of a batch: only the subject, the preheader, the body and the links
differ. :class:`Layouts` renders the layout once per language with *markers* in place of
those values, splits the result at the markers, and builds each email by joining the
pieces with the person's values, escaped exactly as the template would have escaped them.

The pieces are only used when they provably give the same bytes as a full render:

* the layout must be a Django template (its escaping is the one copied here);
* it is rendered with two different sets of markers (other lengths, other characters);
  replacing the first set by the second must give the second rendering exactly, so a
  filter that transforms a value (``|upper``, ``|truncatechars``, ``|length``...) or any
  other use that is not a plain ``{{ value }}`` sends the layout down the full render;
* an empty value is never replaced by a marker (``{% if preheader %}`` must see it
  empty): which values are empty is part of the cache key;
* the first email built from each set of pieces is compared with a full render of the
  same email; if they differ, that key renders in full from then on.

A marker contains ``&``, so the rendering shows whether the template escaped the value
(``&amp;``) or not (``|safe``, or the body, which is already safe HTML).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.template.backends.django import Template as DjangoBackendTemplate
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

LAYOUT = "remarket/email/base.html"
#: Values that differ per person; the rest of the layout's context is the same for a batch.
SLOTS = ("subject", "preheader", "body")


def render_layout(context: dict[str, Any]) -> str:
    """The layout rendered in full (the reference the pieces are checked against)."""
    return get_template(LAYOUT).render(context)


class Layouts:
    """Pieces of the layout, per language and per set of empty values, for one batch.

    Not shared between threads; make one per batch (the layout may be overridden by
    settings between ticks, never during one).
    """

    def __init__(self) -> None:
        self._pieces: dict[tuple[Any, ...], _Pieces | None] = {}

    def render(self, context: dict[str, Any]) -> str:
        """What ``render_layout(context)`` returns, from pieces when they are known good."""
        values = _values(context)
        key = _key(context, values)
        if key not in self._pieces:
            pieces = _Pieces.build(context, values)
            if pieces is not None and pieces.fill(values) != render_layout(context):
                pieces = None  # the first email, checked against a full render
            self._pieces[key] = pieces
        pieces = self._pieces[key]
        return render_layout(context) if pieces is None else pieces.fill(values)


def _values(context: dict[str, Any]) -> dict[str, Any]:
    """The per-person values: subject, preheader, body and every link, by slot name."""
    values = {name: context[name] for name in SLOTS}
    for name, url in (context.get("links") or {}).items():
        values[f"links.{name}"] = url
    return values


def _key(context: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...]:
    shared = tuple(sorted((k, str(v)) for k, v in context.items() if k not in ("links", *SLOTS)))
    return (shared, tuple((name, not value) for name, value in values.items()))


def _with(context: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``context`` with its per-person values replaced by ``values``."""
    links = {name.removeprefix("links."): v for name, v in values.items() if "." in name}
    return {**context, **{n: values[n] for n in SLOTS}, "links": links}


class _Pieces:
    """Static text between markers, and for each marker its slot and whether it is escaped."""

    def __init__(self, texts: list[str], slots: list[tuple[str, bool]]) -> None:
        self.texts, self.slots = texts, slots

    @classmethod
    def build(cls, context: dict[str, Any], values: dict[str, Any]) -> _Pieces | None:
        if not isinstance(get_template(LAYOUT), DjangoBackendTemplate):
            return None
        nonce = secrets.token_hex(6)
        names = [name for name, value in values.items() if value]  # empty ones stay empty
        first = {n: f"rmk&{i}q{nonce}" for i, n in enumerate(names)}
        second = {n: f"RMK&&{i}Z{nonce}{nonce}" for i, n in enumerate(names)}

        def marked(markers: dict[str, str]) -> str:
            filled = {
                n: (mark_safe(markers[n]) if isinstance(v, SafeString) else markers[n])
                if n in markers
                else v
                for n, v in values.items()
            }
            return render_layout(_with(context, filled))

        one, two = marked(first), marked(second)
        forms = {}
        for name in names:
            forms[first[name]] = (name, False)
            forms[escape(first[name])] = (name, True)
        pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
        texts, slots, at = [], [], 0
        for match in pattern.finditer(one):
            texts.append(one[at : match.start()])
            slots.append(forms[match.group(0)])
            at = match.end()
        texts.append(one[at:])
        pieces = cls(texts, slots)
        if pieces.fill(second) != two:
            return None  # a value is used in a way other than {{ value }}: render in full
        return pieces

    def fill(self, values: dict[str, Any]) -> str:
        out = [self.texts[0]]
        for (name, escaped), text in zip(self.slots, self.texts[1:], strict=True):
            value = values[name]
            out.append(escape(value) if escaped else str(value))
            out.append(text)
        return "".join(out)
