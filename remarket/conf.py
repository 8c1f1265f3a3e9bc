"""Typed access to ``settings.REMARKET``.

``conf`` reads the setting on every attribute access, so ``override_settings`` and
settings changed in tests take effect at once. Nothing here validates: that is the job
of the system checks in :mod:`remarket.checks`, which report every problem with a hint.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

#: Every top-level key remarket understands, with its default.
DEFAULTS: dict[str, Any] = {
    "SITE_URL": "",
    "SHOP_ADAPTER": "remarket.shop.fieldmap.FieldMapAdapter",
    "CART": None,
    "ORDER": None,
    "PRODUCT": None,
    "CURRENCY": "USD",
    "BATCH_SIZE": 500,
}


class RemarketSettings:
    """One attribute per ``REMARKET`` key; unset keys fall back to :data:`DEFAULTS`."""

    @property
    def raw(self) -> dict[str, Any]:
        """The user's ``REMARKET`` dict as written (empty when unset or not a dict)."""
        value = getattr(settings, "REMARKET", None)
        return value if isinstance(value, dict) else {}

    def get(self, key: str) -> Any:
        return self.raw.get(key, DEFAULTS[key])

    @property
    def SITE_URL(self) -> str:
        """Absolute base URL of the storefront, used for links in emails."""
        return str(self.get("SITE_URL") or "").rstrip("/")

    @property
    def SHOP_ADAPTER(self) -> str:
        """Dotted path of the :class:`~remarket.shop.ShopAdapter` subclass to use."""
        return self.get("SHOP_ADAPTER")

    @property
    def CART(self) -> dict[str, Any]:
        """The field map of the shop's cart model (field-map adapter only)."""
        return self.get("CART") or {}

    @property
    def ORDER(self) -> dict[str, Any]:
        """The field map of the shop's order model (field-map adapter only)."""
        return self.get("ORDER") or {}

    @property
    def PRODUCT(self) -> dict[str, Any]:
        """The field map of the shop's product model (field-map adapter only)."""
        return self.get("PRODUCT") or {}

    @property
    def CURRENCY(self) -> str:
        """ISO 4217 code used when the shop's carts and orders carry none."""
        return self.get("CURRENCY")

    @property
    def BATCH_SIZE(self) -> int:
        """How many carts or orders one database round trip reads."""
        return self.get("BATCH_SIZE")


conf = RemarketSettings()
