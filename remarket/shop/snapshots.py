"""Plain, immutable pictures of the host shop's carts, orders and products.

Everything outside :mod:`remarket.shop` sees the shop only through these snapshots, so
remarket never holds a foreign key to a host model (DESIGN decision 1) and a snapshot
stored as JSON today still reads the same after the shop has deleted the cart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


class CartState(enum.StrEnum):
    """Where a cart stands: ``open`` can be recovered, the others cannot."""

    OPEN = "open"
    ORDERED = "ordered"
    GONE = "gone"


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class LineSnapshot:
    """One line of a cart or an order."""

    product_id: str
    name: str
    quantity: int
    unit_price: Decimal
    product_url: str = ""
    image_url: str = ""

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    def as_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price),
            "product_url": self.product_url,
            "image_url": self.image_url,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineSnapshot:
        return cls(**{**data, "unit_price": _decimal(data["unit_price"])})


@dataclass(frozen=True, slots=True)
class CartSnapshot:
    """A cart as remarket remembers it.

    ``key`` is the cart's primary key as text; ``email`` is normalised (stripped,
    lower-case) or empty when nobody is known yet; ``consent`` is ``True`` when the
    shopper ticked the shop's marketing box, ``None`` when the shop does not say.
    """

    key: str
    email: str
    user_id: str | None
    last_activity: datetime
    state: CartState
    currency: str
    total: Decimal
    lines: tuple[LineSnapshot, ...] = ()
    name: str = ""
    locale: str = ""
    consent: bool | None = None

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(line.product_id for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "email": self.email,
            "user_id": self.user_id,
            "last_activity": self.last_activity.isoformat(),
            "state": self.state.value,
            "currency": self.currency,
            "total": str(self.total),
            "lines": [line.as_json() for line in self.lines],
            "name": self.name,
            "locale": self.locale,
            "consent": self.consent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CartSnapshot:
        return cls(
            **{
                **data,
                "last_activity": _datetime(data["last_activity"]),
                "state": CartState(data["state"]),
                "total": _decimal(data["total"]),
                "lines": tuple(LineSnapshot.from_json(line) for line in data["lines"]),
            }
        )


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order placed in the shop; ``cart_key`` is the cart it came from, if known."""

    key: str
    email: str
    user_id: str | None
    placed_at: datetime
    currency: str
    total: Decimal
    lines: tuple[LineSnapshot, ...] = ()
    cart_key: str | None = None
    name: str = ""
    locale: str = ""
    consent: bool | None = None

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(line.product_id for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "email": self.email,
            "user_id": self.user_id,
            "placed_at": self.placed_at.isoformat(),
            "currency": self.currency,
            "total": str(self.total),
            "lines": [line.as_json() for line in self.lines],
            "cart_key": self.cart_key,
            "name": self.name,
            "locale": self.locale,
            "consent": self.consent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderSnapshot:
        return cls(
            **{
                **data,
                "placed_at": _datetime(data["placed_at"]),
                "total": _decimal(data["total"]),
                "lines": tuple(LineSnapshot.from_json(line) for line in data["lines"]),
            }
        )


@dataclass(frozen=True, slots=True)
class ProductSnapshot:
    """A product offered in a recommendation."""

    product_id: str
    name: str
    url: str = ""
    image_url: str = ""
    price: Decimal | None = None
    currency: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "name": self.name,
            "url": self.url,
            "image_url": self.image_url,
            "price": None if self.price is None else str(self.price),
            "currency": self.currency,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProductSnapshot:
        price = data.get("price")
        return cls(**{**data, "price": None if price is None else _decimal(price)})


@dataclass(frozen=True, slots=True)
class CouponRequest:
    """What a flow asks the shop for: a single-use discount for one person."""

    email: str
    expires_at: datetime
    percent_off: Decimal | None = None
    amount_off: Decimal | None = None
    currency: str = ""
    prefix: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Coupon:
    """A coupon the shop created; ``code`` is what the person types at checkout."""

    code: str
    expires_at: datetime | None = None
    description: str = ""


def lines_total(lines: tuple[LineSnapshot, ...]) -> Decimal:
    """The sum of every line's quantity times unit price."""
    return sum((line.total for line in lines), Decimal("0"))
