"""System checks for ``REMARKET['PROVIDERS']`` (ids remarket.E220-E239).

===============  ===========================================================
id               problem
===============  ===========================================================
remarket.E220    ``REMARKET['PROVIDERS']`` is not a dict
remarket.E221    a key is no built-in provider, cannot be imported or is no Provider
remarket.E222    a provider's options are not a dict
remarket.E223    a provider's options have a key it does not know (a typo?)
remarket.E224    Google tag: ``ads_id`` / ``measurement_id`` / ``conversion_labels``
remarket.E225    Google Tag Manager: ``container_id``
remarket.E226    Meta Pixel: ``pixel_id``
remarket.E227    TikTok Pixel: ``pixel_id``
remarket.E228    Pinterest Tag: ``tag_id``
remarket.E229    Microsoft UET: ``tag_id``
remarket.E230    LinkedIn Insight Tag: ``partner_id`` / ``conversions``
remarket.E231    Snap Pixel: ``pixel_id`` / ``audience_event``
remarket.E232    a ``script_url`` option is not an http(s) URL or a path from ``/``
remarket.E233    a custom provider's ``check()`` reports a problem
===============  ===========================================================
"""

from __future__ import annotations

import difflib
from typing import Any
from urllib.parse import urlsplit

from django.core import checks

from remarket.conf import conf
from remarket.exceptions import RemarketConfigurationError
from remarket.tracking.providers import BUILTIN, provider_class


def check_providers() -> list[checks.CheckMessage]:
    """Every problem of ``REMARKET['PROVIDERS']``, each with a hint."""
    raw = conf.get("PROVIDERS")
    if not isinstance(raw, dict):
        return [
            checks.Error(
                f"REMARKET['PROVIDERS'] is {raw!r}, not a dict.",
                hint="Write e.g. {'meta': {'pixel_id': '123456789012345'}}, or {} for no "
                "ad-platform tags.",
                id="remarket.E220",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for key, options in raw.items():
        errors += _check_one(str(key), options)
    return errors


def _check_one(key: str, options: Any) -> list[checks.CheckMessage]:
    try:
        cls = provider_class(key)
    except RemarketConfigurationError as exc:
        close = difflib.get_close_matches(key, BUILTIN, n=1)
        return [
            checks.Error(
                str(exc),
                hint=(f"Did you mean {close[0]!r}? " if close else "")
                + f"Use one of {', '.join(BUILTIN)} or the dotted path of your own "
                "subclass of remarket.tracking.providers.Provider.",
                id="remarket.E221",
            )
        ]
    if not isinstance(options, dict):
        return [
            checks.Error(
                f"REMARKET['PROVIDERS'][{key!r}] is {options!r}, not a dict of options.",
                hint=cls.check_hint,
                id="remarket.E222",
            )
        ]
    errors: list[checks.CheckMessage] = []
    known = cls.known_options()
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            errors.append(
                checks.Error(
                    f"REMARKET['PROVIDERS'][{key!r}] has {name!r}, an option the "
                    f"{cls.label or cls.__qualname__} does not know.",
                    hint=(f"Did you mean {close[0]!r}? " if close else "")
                    + f"Known options: {', '.join(known)}.",
                    id="remarket.E223",
                )
            )
    errors += [
        checks.Error(problem, hint=cls.check_hint, id=cls.check_id)
        for problem in cls.check(options)
    ]
    script_url = options.get("script_url")
    if script_url is not None and not _is_script_url(script_url):
        errors.append(
            checks.Error(
                f"REMARKET['PROVIDERS'][{key!r}]['script_url'] is {script_url!r}, not an "
                "http(s) URL or a path starting with '/'.",
                hint="Leave it out to load the vendor's script, or point it at a copy, e.g. "
                "'/static/pixels/fbevents.js' or 'https://cdn.shop.example/fbevents.js'.",
                id="remarket.E232",
            )
        )
    return errors


def _is_script_url(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    parts = urlsplit(value)
    if parts.scheme:
        return parts.scheme in {"http", "https"} and bool(parts.netloc)
    return value.startswith("/") and not value.startswith("//")
