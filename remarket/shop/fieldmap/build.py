"""Turn host model instances into snapshots, following a compiled field map."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin

from django.contrib.auth import get_user_model
from django.db import models

from remarket.conf import conf
from remarket.emails import clean_email
from remarket.shop.keys import key_for, key_of
from remarket.shop.paths import Spec
from remarket.shop.snapshots import (
    CartSnapshot,
    CartState,
    LineSnapshot,
    OrderSnapshot,
    ProductSnapshot,
    lines_total,
)

from .config import CartMap, LineMap, OrderMap, ProductMap, _HolderMap


def _value(spec: Spec | None, obj: Any) -> Any:
    return None if spec is None else spec.value_of(obj)


def _text(spec: Spec | None, obj: Any) -> str:
    value = _value(spec, obj)
    return "" if value is None else str(value)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def absolute_url(url: str) -> str:
    """Make a shop-relative URL absolute with ``REMARKET['SITE_URL']``."""
    if not url or "://" in url:
        return url
    return urljoin(conf.SITE_URL + "/", url)


def line_snapshot(m: LineMap, line: models.Model) -> LineSnapshot:
    product_id = _value(m.product_id, line)
    if m.product is not None and product_id is not None and not isinstance(product_id, str):
        product_id = key_for(m.product.field.related_model, product_id)
    return LineSnapshot(
        product_id="" if product_id is None else str(product_id),
        name=_text(m.name, line),
        quantity=int(_value(m.quantity, line) or 0),
        unit_price=_decimal(_value(m.unit_price, line)),
        product_url=absolute_url(_text(m.product_url, line)),
        image_url=absolute_url(_text(m.image_url, line)),
    )


def _person(m: _HolderMap, obj: models.Model, captured: dict[str, str]) -> dict[str, Any]:
    """Email, user, name, locale and consent of a cart or order."""
    user = _value(m.user, obj)
    email = clean_email(_value(m.email, obj))
    if not email and user is not None:
        email = clean_email(getattr(user, get_user_model().get_email_field_name(), ""))
    if not email:
        email = captured.get(key_of(obj), "")
    name = _text(m.name, obj)
    if not name and user is not None and hasattr(user, "get_full_name"):
        name = user.get_full_name()
    consent = _value(m.consent, obj)
    lines = tuple(line_snapshot(m.line, line) for line in getattr(obj, m.lines).all())
    total = _value(m.total, obj)
    return {
        "key": key_of(obj),
        "email": email,
        "user_id": None if user is None else str(user.pk),
        "name": name,
        "locale": _text(m.locale, obj),
        "consent": None if consent is None else bool(consent),
        "lines": lines,
        "total": lines_total(lines) if m.total is None else _decimal(total),
        "currency": _text(m.currency, obj),
    }


def cart_snapshot(
    m: CartMap, cart: models.Model, *, state: CartState, captured: dict[str, str]
) -> CartSnapshot:
    return CartSnapshot(
        last_activity=m.last_activity.value_of(cart), state=state, **_person(m, cart, captured)
    )


def order_snapshot(
    m: OrderMap, order: models.Model, cart_model: type[models.Model]
) -> OrderSnapshot:
    cart_key = None
    if m.cart is not None:
        holder = order
        for name in m.cart.db_parts[:-1]:
            holder = getattr(holder, name) if holder is not None else None
        cart_pk = getattr(holder, m.cart.field.attname) if holder is not None else None
        cart_key = None if cart_pk is None else key_for(cart_model, cart_pk)
    return OrderSnapshot(
        placed_at=m.placed_at.value_of(order),
        cart_key=cart_key,
        coupon_code=_text(m.coupon, order),
        **_person(m, order, {}),
    )


def product_snapshot(m: ProductMap, product: models.Model) -> ProductSnapshot:
    price = _value(m.price, product)
    return ProductSnapshot(
        product_id=key_of(product),
        name=_text(m.name, product),
        url=absolute_url(_text(m.url, product)),
        image_url=absolute_url(_text(m.image_url, product)),
        price=None if price is None else _decimal(price),
        currency=_text(m.currency, product),
    )
