"""Plain, immutable pictures of the host shop's carts, orders and products.

Everything outside :mod:`remarket.shop` sees the shop only through these snapshots, so
remarket never holds a foreign key to a host model (DESIGN decision 1) and a snapshot
stored as JSON today still reads the same after the shop has deleted the cart.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self


class CartState(enum.StrEnum):
    """Where a cart stands: ``open`` can be recovered, the others cannot."""

    OPEN = "open"
    ORDERED = "ordered"
    GONE = "gone"


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _to_json(value: Any) -> Any:
    if isinstance(value, JsonSnapshot):
        return value.as_json()
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | enum.Enum):
        return str(value)
    return value


class JsonSnapshot:
    """``as_json()`` / ``from_json()`` for the snapshot dataclasses below.

    Values become JSON-safe (decimals and dates as strings) and come back as they were;
    ``_decode`` names the fields that need converting on the way back.
    """

    _decode: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def as_json(self) -> dict[str, Any]:
        return {f.name: _to_json(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**{k: cls._decode.get(k, _same)(v) for k, v in data.items()})


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class LineSnapshot(JsonSnapshot):
    """One line of a cart or an order."""

    product_id: str
    name: str
    quantity: int
    unit_price: Decimal
    product_url: str = ""
    image_url: str = ""

    _decode = {"unit_price": _decimal}

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


def _lines(data: list[dict[str, Any]]) -> tuple[LineSnapshot, ...]:
    return tuple(LineSnapshot.from_json(line) for line in data)


@dataclass(frozen=True, slots=True)
class CartSnapshot(JsonSnapshot):
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

    _decode = {
        "last_activity": datetime.fromisoformat,
        "state": CartState,
        "total": _decimal,
        "lines": _lines,
    }

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(line.product_id for line in self.lines)


@dataclass(frozen=True, slots=True)
class OrderSnapshot(JsonSnapshot):
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
    coupon_code: str = ""

    _decode = {"placed_at": datetime.fromisoformat, "total": _decimal, "lines": _lines}

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(line.product_id for line in self.lines)


@dataclass(frozen=True, slots=True)
class ProductSnapshot(JsonSnapshot):
    """A product offered in a recommendation."""

    product_id: str
    name: str
    url: str = ""
    image_url: str = ""
    price: Decimal | None = None
    currency: str = ""

    _decode = {"price": _decimal}


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
