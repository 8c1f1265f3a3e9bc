"""Typed access to ``settings.REMARKET``.

``conf`` reads the setting on every attribute access, so ``override_settings`` and
settings changed in tests take effect at once. Nothing here validates: that is the job
of the system checks in :mod:`remarket.checks`, which report every problem with a hint.
"""

from __future__ import annotations

from datetime import timedelta
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
    "BATCH_SIZE": 1000,
    "SHOP_NAME": "",
    "FROM_EMAIL": "",
    "REPLY_TO": "",
    "TIME_ZONE": "",
    "QUIET_HOURS": ("21:00", "08:00"),
    "FREQUENCY_CAP": timedelta(hours=16),
    "CLICK_ATTRIBUTION_WINDOW": timedelta(days=5),
    "OPEN_ATTRIBUTION_WINDOW": timedelta(days=1),
    "SEND_LEASE": timedelta(minutes=10),
    "COUPON_FACTORY": "",
    "LINK_MAX_AGE": timedelta(days=30),
    "LINK_HOSTS": (),
    "MAX_SEND_ATTEMPTS": 5,
    "SEND_CONCURRENCY": 100,
    "SEND_WAVE": 500,
    "MAX_SENDS_PER_MINUTE": None,
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

    @property
    def SHOP_NAME(self) -> str:
        """The shop's name as emails show it."""
        return self.get("SHOP_NAME")

    @property
    def FROM_EMAIL(self) -> str:
        """Default sender of remarketing email; empty means ``DEFAULT_FROM_EMAIL``."""
        return self.get("FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL

    @property
    def REPLY_TO(self) -> str:
        """Default Reply-To of remarketing email; empty: replies go to the sender."""
        return self.get("REPLY_TO")

    @property
    def TIME_ZONE(self) -> str:
        """The shop's time zone for quiet hours of contacts without one."""
        return self.get("TIME_ZONE") or settings.TIME_ZONE or "UTC"

    @property
    def QUIET_HOURS(self) -> tuple[str, str] | None:
        """("21:00", "08:00"): local hours in which sends wait; ``None`` sends any time."""
        return self.get("QUIET_HOURS")

    @property
    def FREQUENCY_CAP(self) -> timedelta | None:
        """At most one remarketing email per contact in this window; ``None``: no cap."""
        return self.get("FREQUENCY_CAP")

    @property
    def CLICK_ATTRIBUTION_WINDOW(self) -> timedelta:
        """An order this soon after a click is credited to the clicked message."""
        return self.get("CLICK_ATTRIBUTION_WINDOW")

    @property
    def OPEN_ATTRIBUTION_WINDOW(self) -> timedelta:
        """Without a click, an order this soon after an open is credited to it."""
        return self.get("OPEN_ATTRIBUTION_WINDOW")

    @property
    def SEND_LEASE(self) -> timedelta:
        """A message still ``sending`` after this long is reconciled by the next tick."""
        return self.get("SEND_LEASE")

    @property
    def COUPON_FACTORY(self) -> str:
        """Dotted path of ``f(CouponRequest) -> Coupon`` for the field-map adapter."""
        return self.get("COUPON_FACTORY")

    @property
    def LINK_MAX_AGE(self) -> timedelta:
        """How long cart-recovery and click links in emails keep working."""
        return self.get("LINK_MAX_AGE")

    @property
    def LINK_HOSTS(self) -> tuple[str, ...]:
        """Hosts besides SITE_URL's that tracked links may redirect to."""
        return tuple(self.get("LINK_HOSTS"))

    @property
    def MAX_SEND_ATTEMPTS(self) -> int:
        """Tries per message when the ESP fails transiently (429, 5xx, no connection)."""
        return self.get("MAX_SEND_ATTEMPTS")

    @property
    def SEND_CONCURRENCY(self) -> int:
        """ESP requests one tick keeps in flight at once (threads, one connection each)."""
        return self.get("SEND_CONCURRENCY")

    @property
    def SEND_WAVE(self) -> int:
        """Messages handed over, posted and finished together (the most a crash leaves)."""
        return self.get("SEND_WAVE")

    @property
    def MAX_SENDS_PER_MINUTE(self) -> int | None:
        """At most this many emails a minute across all workers; ``None``: no cap."""
        return self.get("MAX_SENDS_PER_MINUTE")


conf = RemarketSettings()
