"""How remarket reads the host shop: adapters and the snapshots they return."""

from __future__ import annotations

from .base import CustomerStats, ShopAdapter, get_adapter, load_adapter_class
from .snapshots import (
    CartSnapshot,
    CartState,
    Coupon,
    CouponRequest,
    LineSnapshot,
    OrderSnapshot,
    ProductSnapshot,
)

__all__ = [
    "CartSnapshot",
    "CartState",
    "Coupon",
    "CouponRequest",
    "CustomerStats",
    "LineSnapshot",
    "OrderSnapshot",
    "ProductSnapshot",
    "ShopAdapter",
    "get_adapter",
    "load_adapter_class",
]
