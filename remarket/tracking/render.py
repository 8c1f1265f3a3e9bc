"""The one place that turns provider :class:`Call` data into JavaScript or JSON.

Every argument goes through :func:`to_json`, which escapes ``<``, ``>``, ``&``, U+2028 and
U+2029, so no product name, order id or setting can close the ``<script>`` element or
break the statement it sits in. Providers never write JavaScript with data in it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from remarket.tracking.events import Call

#: What may not appear raw in a <script>: "<" (``</script>``, ``<!--``), ">", "&", and the
#: line separators older JavaScript reads as line ends.
_ESCAPES = (
    ("<", "\\u003C"),
    (">", "\\u003E"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
#: A global or a dotted member of one (``fbq``, ``ttq.track``, ``dataLayer.push``).
_FUNCTION = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")


try:
    from django.middleware.csp import get_nonce as _django_nonce
except ImportError:  # Django < 6.0; a failed import per page would cost more than the tag
    _django_nonce = None


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)  # a JSON number, as the vendors expect for value and price
        if isinstance(o, datetime | date):
            return o.isoformat()
        if isinstance(o, Promise):
            return str(o)
        if isinstance(o, tuple | set | frozenset):
            return list(o)
        return super().default(o)


def to_json(value: Any) -> str:
    """JSON that is safe inside ``<script>`` (as code or as a data block)."""
    text = json.dumps(
        value, cls=_Encoder, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    # str.replace, not str.translate: translate maps a text with any non-ASCII character
    # (a Persian or Vietnamese product name) one character at a time, 20x slower.
    for char, escaped in _ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def call_js(call: Call) -> str:
    """``fbq("track","Purchase",{...});`` for one call."""
    if not _FUNCTION.fullmatch(call.function):
        raise ValueError(f"{call.function!r} is not a JavaScript function name.")
    return f"{call.function}({','.join(to_json(arg) for arg in call.args)});"


def calls_js(calls: Iterable[Call]) -> str:
    return "\n".join(call_js(call) for call in calls)


def calls_data(calls: Iterable[Call]) -> list[list[Any]]:
    """The calls as ``[function, [args...]]`` pairs for the no-inline data block."""
    out = []
    for call in calls:
        if not _FUNCTION.fullmatch(call.function):
            raise ValueError(f"{call.function!r} is not a JavaScript function name.")
        out.append([call.function, list(call.args)])
    return out


def nonce_attr(nonce: str | None) -> SafeString:
    """`` nonce="..."`` when the request has a CSP nonce, else nothing."""
    # html.escape is what Django's escape() runs, without the lazy-string wrapper's cost.
    return mark_safe(f' nonce="{html.escape(nonce)}"' if nonce is not None else "")


def inline_script(code: str, nonce: str | None) -> SafeString:
    """A ``<script>`` with trusted code (stubs are constants; data went through to_json)."""
    if not code:
        return mark_safe("")
    # "</" cannot occur in to_json output; a stub containing it would be a provider bug.
    if "</" in code:
        raise ValueError("Inline script code must not contain '</'.")
    return mark_safe(f"<script{nonce_attr(nonce)}>{code}</script>")


def script_tags(urls: Sequence[str], nonce: str | None, *, attrs: str = "async") -> SafeString:
    """``<script async src="...">`` per URL (escaped), with the nonce; ``attrs`` is trusted."""
    attr = nonce_attr(nonce)
    return mark_safe(
        "".join(f'<script {attrs} src="{conditional_escape(url)}"{attr}></script>' for url in urls)
    )


def data_block(data: Any, *, element_id: str = "") -> SafeString:
    """A ``<script type="application/json" data-remarket>`` block CSP does not execute."""
    id_attr = format_html(' id="{}"', element_id) if element_id else ""
    return mark_safe(
        f'<script type="application/json" data-remarket{id_attr}>{to_json(data)}</script>'
    )


def get_nonce(request: Any, context: Any = None) -> str | None:
    """The request's CSP nonce as text, or ``None`` when no CSP middleware runs.

    Looks at the template context's ``csp_nonce`` (Django 6's context processor), then
    ``request.csp_nonce`` (django-csp), then Django 6's ``get_nonce()``. Turning the lazy
    nonce into text makes the CSP middleware put it in the header.
    """
    value = context.get("csp_nonce") if context is not None else None
    if value is None and request is not None:
        value = getattr(request, "csp_nonce", None)
        if value is None and _django_nonce is not None:
            value = _django_nonce(request)
    text = None if value is None else str(value)
    return text or None
