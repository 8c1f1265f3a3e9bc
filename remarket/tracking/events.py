"""The data that moves between tracking code and ad-platform providers.

Providers return :class:`Call` objects (data), never JavaScript text: one renderer
(:mod:`remarket.tracking.render`) turns calls into escaped JavaScript, so no provider
can open an injection hole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["Call", "ConsentState", "Event", "Item"]


@dataclass(frozen=True)
class Item:
    """One product line, in GA4's item vocabulary."""

    id: str
    name: str = ""
    price: Decimal | None = None
    quantity: int = 1
    category: str = ""
    brand: str = ""
    variant: str = ""


@dataclass(frozen=True)
class Event:
    """Something a visitor did, sent to every enabled provider under one ``id``.

    ``name`` uses GA4's names (``page_view``, ``view_item``, ``view_item_list``,
    ``add_to_cart``, ``remove_from_cart``, ``begin_checkout``, ``purchase``) or a custom
    one. ``id`` is shared by every provider so server-side APIs can deduplicate.
    """

    name: str
    id: str
    items: tuple[Item, ...] = ()
    value: Decimal | None = None
    currency: str = ""
    transaction_id: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsentState:
    """Google Consent Mode v2 signals; ``True`` means granted."""

    ad_storage: bool
    ad_user_data: bool
    ad_personalization: bool
    analytics_storage: bool

    @classmethod
    def granted(cls) -> ConsentState:
        """Every signal granted."""
        return cls(True, True, True, True)

    @classmethod
    def denied(cls) -> ConsentState:
        """Every signal denied."""
        return cls(False, False, False, False)


@dataclass(frozen=True)
class Call:
    """One JavaScript call on a global, e.g. ``fbq('track', 'Purchase', {...})``.

    ``function`` is the dotted global (``"gtag"``, ``"fbq"``, ``"ttq.track"``,
    ``"uetq.push"``, ``"dataLayer.push"``); ``args`` holds JSON-serialisable values only.
    """

    function: str
    args: tuple[Any, ...] = ()
