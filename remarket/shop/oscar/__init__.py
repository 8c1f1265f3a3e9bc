"""django-oscar support: ``REMARKET = {"SHOP_ADAPTER": "remarket.shop.oscar.OscarAdapter"}``.

Installed with ``pip install "django-remarket[oscar]"``; nothing to map.
"""

from __future__ import annotations

try:
    import oscar  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "remarket.shop.oscar needs django-oscar: pip install 'django-remarket[oscar]'."
    ) from exc

from .adapter import OscarAdapter

__all__ = ["OscarAdapter"]
