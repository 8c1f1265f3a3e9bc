"""Read and validate the field map in ``REMARKET["CART"]``, ``["ORDER"]``, ``["PRODUCT"]``.

:func:`compile_shop_map` turns the settings into a :class:`ShopMap` of resolved paths and
reports every problem as a system-check message naming the setting key, the bad value
and a hint. The same code serves ``manage.py check`` and the adapter at run time, so the
check can never pass a map the adapter would then trip over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models

from remarket.shop.paths import Call, Const, FieldPath, Spec, resolve_path

from .reader import SectionReader, is_indexed

LINE_KEYS = {
    "product": "query",
    "product_id": "value",
    "name": "value",
    "quantity": "value",
    "unit_price": "value",
    "product_url": "value",
    "image_url": "value",
}
_PERSON_KEYS = {"email": "query", "user": "query", "name": "value", "locale": "value"}
CART_KEYS = {
    "model": "model",
    "last_activity": "query",
    "lines": "relation",
    **_PERSON_KEYS,
    "consent": "value",
    "open": "filter",
    "merged_into": "query",
    "total": "value",
    "currency": "value",
    "session_key": "text",
    "cart_url": "text",
    "restore": "value",
    "line": "section",
}
ORDER_KEYS = {
    "model": "model",
    "placed_at": "query",
    "lines": "relation",
    **_PERSON_KEYS,
    "consent": "value",
    "cart": "query",
    "total": "value",
    "currency": "value",
    "coupon": "value",
    "line": "section",
}
PRODUCT_KEYS = {
    "model": "model",
    "name": "value",
    "url": "value",
    "image_url": "value",
    "price": "value",
    "currency": "value",
    "category": "query",
    "created": "query",
    "available": "filter",
}


@dataclass(frozen=True)
class LineMap:
    model: type[models.Model]
    product: FieldPath | None
    product_id: Spec
    name: Spec
    quantity: Spec
    unit_price: Spec
    product_url: Spec | None
    image_url: Spec | None

    def select_related(self) -> list[str]:
        return _related(self.product, self.product_id, self.name, self.product_url, self.image_url)


@dataclass(frozen=True)
class _HolderMap:
    """What carts and orders share: a model with lines and a person."""

    model: type[models.Model]
    lines: str
    line_fk: str
    email: FieldPath | None
    user: FieldPath | None
    name: Spec | None
    locale: Spec | None
    consent: Spec | None
    total: Spec | None
    currency: Spec
    line: LineMap

    def select_related(self) -> list[str]:
        return _related(self.email, self.user, self.name, self.locale, self.total)


@dataclass(frozen=True)
class CartMap(_HolderMap):
    last_activity: FieldPath = field(kw_only=True)
    open: dict[str, Any] = field(kw_only=True)
    merged_into: FieldPath | None = field(kw_only=True)
    session_key: str = field(kw_only=True)
    cart_url: str = field(kw_only=True)
    restore: Spec | None = field(kw_only=True)


@dataclass(frozen=True)
class OrderMap(_HolderMap):
    placed_at: FieldPath = field(kw_only=True)
    cart: FieldPath | None = field(kw_only=True)
    coupon: Spec | None = field(kw_only=True, default=None)


@dataclass(frozen=True)
class ProductMap:
    model: type[models.Model]
    name: Spec
    url: Spec | None
    image_url: Spec | None
    price: Spec | None
    currency: Spec | None
    category: FieldPath | None
    created: FieldPath | None
    available: dict[str, Any]


@dataclass(frozen=True)
class ShopMap:
    cart: CartMap
    order: OrderMap
    product: ProductMap | None


def _related(*specs: Spec | None) -> list[str]:
    return sorted(
        {s.select_related for s in specs if isinstance(s, FieldPath) and s.select_related}
    )


def _line_map(reader: SectionReader, line_model: type[models.Model]) -> LineMap | None:
    sub = SectionReader(reader.raw.get("line"), reader.key("line"), reader.problems)
    if not sub.is_section(required=True, example="{'name': 'product__title', ...}"):
        return None
    sub.model = line_model
    sub.unknown_keys(LINE_KEYS)
    product = sub.query("product", kind="fk")
    product_id = sub.value("product_id")
    if product_id is None and product is not None:
        attname = product.field.attname
        product_id = resolve_path(
            line_model, "__".join((*product.db_parts[:-1], attname)), setting=""
        )
    elif product_id is None:
        sub.missing("product_id", "'product_id' (or set 'product' to the product foreign key)")
    specs = {
        "name": sub.value("name", required="'product__title'"),
        "quantity": sub.value("quantity", required="'quantity'"),
        "unit_price": sub.value("unit_price", required="'unit_price'"),
    }
    if product_id is None or None in specs.values():
        return None
    return LineMap(
        model=line_model,
        product=product,
        product_id=product_id,
        product_url=sub.value("product_url"),
        image_url=sub.value("image_url"),
        **specs,
    )


def _holder(reader: SectionReader, known: dict[str, str], example: str) -> dict[str, Any] | None:
    """Fields that carts and orders share; ``None`` when the section is unusable."""
    if not reader.is_section(required=True, example=example):
        return None
    reader.unknown_keys(known)
    if reader.load_model() is None:
        return None
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    lines = reader.relation("lines", "'lines'")
    common = {
        "email": reader.query("email"),
        "user": reader.query("user", kind="user", target=user_model),
        "name": reader.value("name"),
        "locale": reader.value("locale"),
        "consent": reader.value("consent"),
        "total": reader.value("total"),
        "currency": reader.value("currency"),
    }
    line = _line_map(reader, lines[2]) if lines else None
    if lines is None or line is None:
        return None
    return {"model": reader.model, "lines": lines[0], "line_fk": lines[1], "line": line, **common}


def compile_shop_map(
    raw: dict[str, Any], *, default_currency: str
) -> tuple[ShopMap | None, list[checks.CheckMessage]]:
    """Resolve the whole map; return it (or ``None``) and every problem found."""
    problems: list[checks.CheckMessage] = []
    cart_reader = SectionReader(raw.get("CART"), "REMARKET['CART']", problems)
    cart = _holder(cart_reader, CART_KEYS, "{'model': 'shop.Basket', 'last_activity': ...}")
    cart_map = None
    if cart is not None:
        cart_map = _cart_map(cart_reader, cart, default_currency)
    order_reader = SectionReader(raw.get("ORDER"), "REMARKET['ORDER']", problems)
    order = _holder(order_reader, ORDER_KEYS, "{'model': 'shop.Order', 'placed_at': ...}")
    order_map = None
    if order is not None:
        target = cart_map.model if cart_map else None
        order_map = OrderMap(
            **{**order, "currency": order["currency"] or Const(default_currency)},
            placed_at=order_reader.query("placed_at", required="'created'", kind="datetime"),
            cart=order_reader.query("cart", kind="cart", target=target),
            coupon=order_reader.value("coupon"),
        )
        if order_map.placed_at is None:
            order_map = None
    if cart_map and order_map and not cart_map.open and order_map.cart is None:
        problems.append(
            checks.Error(
                "remarket cannot tell whether a cart has been ordered: "
                "neither REMARKET['ORDER']['cart'] nor REMARKET['CART']['open'] is set.",
                hint="Set REMARKET['ORDER']['cart'] to the order's foreign key to the cart, "
                "or REMARKET['CART']['open'] to the filter of carts still being filled, "
                "for example {'status': 'open'}.",
                id="remarket.E108",
            )
        )
    product_map = _product_map(raw.get("PRODUCT"), problems, default_currency)
    line_product = order_map.line.product if order_map else None
    if product_map and line_product and line_product.field.related_model is not product_map.model:
        problems.append(
            checks.Error(
                f"REMARKET['ORDER']['line']['product'] is {line_product.text!r}, which points "
                f"at {line_product.field.related_model._meta.label}, not "
                f"{product_map.model._meta.label} (REMARKET['PRODUCT']['model']).",
                hint="Point both at the same product model, or the recommendations would "
                "compare ids of different tables.",
                id="remarket.E107",
            )
        )
    if cart_map is None or order_map is None or any(p.is_serious() for p in problems):
        return None, problems
    return ShopMap(cart_map, order_map, product_map), problems


def _cart_map(
    reader: SectionReader, common: dict[str, Any], default_currency: str
) -> CartMap | None:
    last_activity = reader.query("last_activity", required="'updated_at'", kind="datetime")
    if last_activity is not None and not is_indexed(last_activity):
        reader.problems.append(
            checks.Warning(
                f"{reader.key('last_activity')} is {last_activity.text!r}, which has no "
                "database index; every abandoned-cart scan will read the whole table.",
                hint=f"Add db_index=True to {reader.model._meta.label}.{last_activity.text} "
                "(or an index in its Meta) and run makemigrations.",
                id="remarket.W101",
            )
        )
    if not common["email"] and not common["user"]:
        reader.problems.append(
            checks.Warning(
                "Neither REMARKET['CART']['email'] nor REMARKET['CART']['user'] is set: "
                "remarket only knows the emails it captures itself for your carts.",
                hint="Map the cart's email field or its user foreign key if it has one.",
                id="remarket.W102",
            )
        )
    cart = CartMap(
        **{**common, "currency": common["currency"] or Const(default_currency)},
        last_activity=last_activity,
        open=reader.filters("open"),
        merged_into=reader.query("merged_into", kind="self", target=reader.model),
        session_key=reader.text("session_key", ""),
        cart_url=reader.text("cart_url", "/"),
        restore=reader.value("restore"),
    )
    if cart.restore is not None and not isinstance(cart.restore, Call):
        reader.error(
            "remarket.E106",
            f"{reader.key('restore')} must be a callable, not a path or a constant.",
            "Use {'call': 'myshop.remarket.restore_cart'}; it receives (request, cart).",
        )
    return cart if last_activity is not None else None


def _product_map(
    raw: Any, problems: list[checks.CheckMessage], default_currency: str
) -> ProductMap | None:
    reader = SectionReader(raw, "REMARKET['PRODUCT']", problems)
    if not reader.is_section(required=False, example="{'model': 'shop.Product', ...}"):
        return None
    reader.unknown_keys(PRODUCT_KEYS)
    if reader.load_model() is None:
        return None
    name = reader.value("name", required="'title'")
    product = ProductMap(
        model=reader.model,
        name=name,
        url=reader.value("url"),
        image_url=reader.value("image_url"),
        price=reader.value("price"),
        currency=reader.value("currency") or Const(default_currency),
        category=reader.query("category", kind="fk"),
        created=reader.query("created", kind="datetime"),
        available=reader.filters("available"),
    )
    return product if name is not None else None
