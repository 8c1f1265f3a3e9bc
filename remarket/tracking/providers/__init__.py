"""Ad-platform providers, configured by ``REMARKET['PROVIDERS']``.

``REMARKET['PROVIDERS']`` maps a provider key to its options, in the order the page
should run them::

    REMARKET = {
        "PROVIDERS": {
            "google": {"ads_id": "AW-123456789", "measurement_id": "G-ABC123DEF4"},
            "meta": {"pixel_id": "123456789012345"},
            "myshop.pixels.MyProvider": {...},  # a Provider subclass by dotted path
        },
    }
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from django.utils.module_loading import import_string

from remarket.conf import conf
from remarket.exceptions import RemarketConfigurationError
from remarket.tracking.providers.base import AUDIENCE_EVENT, Provider

__all__ = [
    "AUDIENCE_EVENT",
    "BUILTIN",
    "Provider",
    "csp_sources",
    "enabled_providers",
    "provider_class",
]

#: The providers remarket ships, by key.
BUILTIN: dict[str, str] = {
    "google": "remarket.tracking.providers.google.GoogleTag",
    "gtm": "remarket.tracking.providers.gtm.GoogleTagManager",
    "meta": "remarket.tracking.providers.meta.MetaPixel",
    "tiktok": "remarket.tracking.providers.tiktok.TikTokPixel",
    "pinterest": "remarket.tracking.providers.pinterest.PinterestTag",
    "microsoft": "remarket.tracking.providers.microsoft.MicrosoftUET",
    "linkedin": "remarket.tracking.providers.linkedin.LinkedInInsight",
    "snap": "remarket.tracking.providers.snap.SnapPixel",
}


def provider_class(key: str) -> type[Provider]:
    """The provider class for a key of ``REMARKET['PROVIDERS']`` (built-in or dotted path)."""
    path = BUILTIN.get(key, key)
    if "." not in path:
        raise RemarketConfigurationError(
            f"REMARKET['PROVIDERS'] has {key!r}, which is not a provider remarket knows "
            f"({', '.join(BUILTIN)}) nor a dotted path to a Provider subclass."
        )
    try:
        cls: Any = import_string(path)
    except ImportError as exc:
        raise RemarketConfigurationError(
            f"REMARKET['PROVIDERS'] has {key!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise RemarketConfigurationError(
            f"REMARKET['PROVIDERS'] has {key!r}, which is not a Provider subclass."
        )
    return cls


# (the PROVIDERS value it was built from, the providers): rebuilt when the setting changes,
# so override_settings works and a page pays a dict comparison, not imports.
_cache: tuple[Any, list[Provider]] | None = None


def enabled_providers() -> list[Provider]:
    """One instance per entry of ``REMARKET['PROVIDERS']``, in the setting's order."""
    global _cache
    raw = conf.PROVIDERS
    if _cache is not None and _cache[0] == raw:
        return _cache[1]
    providers = [provider_class(key)(options) for key, options in raw.items()]
    _cache = (copy.deepcopy(raw), providers)
    return providers


def csp_sources(providers: list[Provider] | None = None) -> dict[str, tuple[str, ...]]:
    """The Content-Security-Policy sources the providers need, per directive.

    Merge them into ``SECURE_CSP`` (Django 6) or django-csp's settings. A ``script_url``
    option pointing at another host adds that host's origin to ``script-src``.
    """
    merged: dict[str, list[str]] = {}
    for provider in enabled_providers() if providers is None else providers:
        directives = {key: list(sources) for key, sources in provider.csp.items()}
        override = urlsplit(str(provider.options.get("script_url") or ""))
        if override.scheme and override.netloc:
            directives.setdefault("script-src", []).append(f"{override.scheme}://{override.netloc}")
        for directive, sources in directives.items():
            target = merged.setdefault(directive, [])
            target.extend(source for source in sources if source not in target)
    return {directive: tuple(sources) for directive, sources in merged.items()}
