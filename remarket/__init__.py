"""django-remarket: remarketing emails and retargeting pixels for Django shops."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0.dev0"

__all__ = ["identify", "track"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing remarket (settings, INSTALLED_APPS) loads no models.
    if name == "track":
        from remarket.tracking.queue import track

        return track
    if name == "identify":
        from remarket.tracking.identity import identify

        return identify
    raise AttributeError(f"module 'remarket' has no attribute {name!r}")
