"""Typed access to ``settings.REMARKET``.

``conf`` keeps the ``REMARKET`` dict it last read and drops it when Django's
``setting_changed`` signal names ``REMARKET``, so ``override_settings`` and settings
changed in tests take effect at once, while a page that reads ten keys pays for one
lookup on Django's lazy settings object instead of ten. Nothing here validates: that is the job
of the system checks in :mod:`remarket.checks`, which report every problem with a hint.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

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
    # Ad-platform tags (remarket.tracking.providers): key -> options, in page order.
    "PROVIDERS": {},
    # Retargeting (remarket.tracking): consent, the first-party cookie, what is skipped.
    "CONSENT": "required",
    "COOKIE_NAME": "remarket_id",
    "CONSENT_COOKIE_NAME": "remarket_consent",
    "COOKIE_AGE": timedelta(days=365),
    "COOKIE_DOMAIN": None,
    "INTERNAL_IPS": (),
    "TRACK_STAFF": False,
    "NO_INLINE": False,
    "SKIP_PATHS": (),
}


class RemarketSettings:
    """One attribute per ``REMARKET`` key; unset keys fall back to :data:`DEFAULTS`."""

    _raw: dict[str, Any] | None = None

    @property
    def raw(self) -> dict[str, Any]:
        """The user's ``REMARKET`` dict as written (empty when unset or not a dict)."""
        raw = RemarketSettings._raw
        if raw is None:
            value = getattr(settings, "REMARKET", None)
            raw = RemarketSettings._raw = value if isinstance(value, dict) else {}
        return raw

    @staticmethod
    def forget(**kwargs: Any) -> None:
        """Read ``settings.REMARKET`` afresh on next use (``setting_changed`` receiver)."""
        if kwargs.get("setting", "REMARKET") == "REMARKET":
            RemarketSettings._raw = None

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

    @property
    def PROVIDERS(self) -> dict[str, dict[str, Any]]:
        """Ad-platform tags: provider key (or dotted path) -> its options."""
        value = self.get("PROVIDERS")
        return value if isinstance(value, dict) else {}

    @property
    def CONSENT(self) -> str:
        """``"required"`` (opt-in), ``"implied"`` (opt-out) or a dotted callable (a CMP)."""
        return self.get("CONSENT")

    @property
    def COOKIE_NAME(self) -> str:
        """Name of the first-party visitor cookie (an opaque random id)."""
        return self.get("COOKIE_NAME")

    @property
    def CONSENT_COOKIE_NAME(self) -> str:
        """Name of the strictly necessary cookie that remembers the banner choice."""
        return self.get("CONSENT_COOKIE_NAME")

    @property
    def COOKIE_AGE(self) -> timedelta:
        """Lifetime of remarket's cookies (browsers cap cookies at 400 days)."""
        return self.get("COOKIE_AGE")

    @property
    def COOKIE_DOMAIN(self) -> str | None:
        """``Domain`` of the cookies, e.g. ``".shop.example"``; ``None``: this host only."""
        return self.get("COOKIE_DOMAIN")

    @property
    def INTERNAL_IPS(self) -> tuple[str, ...]:
        """Address ranges (CIDR) whose pages carry no pixels, e.g. the office."""
        return tuple(self.get("INTERNAL_IPS"))

    @property
    def TRACK_STAFF(self) -> bool:
        """Whether staff users get pixels too (off: staff browsing never feeds ads)."""
        return self.get("TRACK_STAFF")

    @property
    def NO_INLINE(self) -> bool:
        """Emit a JSON data block and one static loader instead of inline scripts."""
        return self.get("NO_INLINE")

    @property
    def SKIP_PATHS(self) -> tuple[str, ...]:
        """Path prefixes the tracking middleware ignores besides static, media and admin."""
        return tuple(self.get("SKIP_PATHS"))


conf = RemarketSettings()
setting_changed.connect(RemarketSettings.forget, dispatch_uid="remarket.conf.forget")
