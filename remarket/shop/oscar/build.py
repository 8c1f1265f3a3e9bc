"""Snapshots of Oscar baskets, orders and products, priced by Oscar's own strategy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from oscar.core.loading import get_class, get_model

from remarket.conf import conf
from remarket.emails import clean_email
from remarket.shop.fieldmap.build import absolute_url
from remarket.shop.keys import key_for, key_of
from remarket.shop.snapshots import (
    CartSnapshot,
    CartState,
    LineSnapshot,
    OrderSnapshot,
    ProductSnapshot,
)

ZERO = Decimal("0")


def strategy() -> Any:
    """Oscar's pricing strategy with no request: what the shop charges anyone right now.

    Forked ``partner.strategy`` apps are honoured through Oscar's class loading.
    """
    return get_class("partner.strategy", "Selector")().strategy()


def _price(price: Any) -> Decimal | None:
    """Incl. tax where the strategy knows the tax (Oscar's own rule), else excl. tax."""
    if price is None or not getattr(price, "exists", False):
        return None
    return price.incl_tax if price.is_tax_known else price.excl_tax


def _image_url(product: Any) -> str:
    images = list(product.images.all())  # prefetched, ordered by display_order
    if not images or not images[0].original:
        return ""
    return absolute_url(images[0].original.url)


def _email_of(user: Any) -> str:
    if user is None:
        return ""
    return clean_email(getattr(user, get_user_model().get_email_field_name(), ""))


def _name_of(user: Any) -> str:
    return user.get_full_name() if user is not None and hasattr(user, "get_full_name") else ""


def basket_lines(basket: Any, pricing: Any) -> tuple[tuple[LineSnapshot, ...], Decimal, str]:
    """The basket's lines, total and currency, priced with ``pricing`` (no queries).

    The lines must be prefetched with their product and stockrecord. Oscar stores the
    price a line was added at; the strategy gives today's price, as the basket page does.
    """
    lines = list(basket.lines.all())
    basket.strategy = pricing
    basket._lines = lines  # Oscar's own cache of all_lines(): no query per property
    snapshots, currency = [], ""
    for line in lines:
        info = line.purchase_info
        unit = _price(info.price)
        if unit is None:  # unavailable today: the price it was added at
            unit = line.price_incl_tax if line.price_incl_tax is not None else line.price_excl_tax
        currency = currency or getattr(info.price, "currency", "") or line.price_currency
        product = line.product
        snapshots.append(
            LineSnapshot(
                product_id=key_for(type(product), line.product_id),
                name=product.get_title(),
                quantity=line.quantity,
                unit_price=unit if unit is not None else ZERO,
                product_url=absolute_url(product.get_absolute_url()),
                image_url=_image_url(product),
            )
        )
    total = sum((line.total for line in snapshots), ZERO)
    return tuple(snapshots), total, currency or conf.CURRENCY


def basket_snapshot(
    basket: Any, *, state: CartState, captured: dict[str, str], pricing: Any
) -> CartSnapshot:
    """A :class:`CartSnapshot` of an Oscar basket (``_activity`` annotated on it)."""
    lines, total, currency = basket_lines(basket, pricing)
    owner = basket.owner if basket.owner_id else None
    key = key_of(basket)
    return CartSnapshot(
        key=key,
        email=_email_of(owner) or captured.get(key, ""),
        user_id=None if owner is None else str(owner.pk),
        last_activity=basket._activity or basket.date_created,
        state=state,
        currency=currency,
        total=total,
        lines=lines,
        name=_name_of(owner),
    )


def order_snapshot(order: Any) -> OrderSnapshot:
    """An :class:`OrderSnapshot` of an Oscar order: Oscar's total and currency."""
    lines = tuple(
        LineSnapshot(
            product_id="" if line.product_id is None else key_for(_product(), line.product_id),
            name=line.title,
            quantity=line.quantity,
            unit_price=line.unit_price_incl_tax
            if line.unit_price_incl_tax is not None
            else (line.unit_price_excl_tax or ZERO),
            product_url=absolute_url(line.product.get_absolute_url()) if line.product else "",
        )
        for line in order.lines.all()
    )
    codes = [d.voucher_code for d in order.discounts.all() if d.voucher_code]
    user = order.user if order.user_id else None
    return OrderSnapshot(
        key=key_of(order),
        email=clean_email(order.guest_email) or _email_of(user),
        user_id=None if user is None else str(user.pk),
        placed_at=order.date_placed,
        currency=order.currency,
        total=order.total_incl_tax,
        lines=lines,
        cart_key=None if order.basket_id is None else key_for(_basket(), order.basket_id),
        name=_name_of(user),
        coupon_code=codes[0] if codes else "",
    )


def product_snapshot(product: Any, pricing: Any) -> ProductSnapshot:
    """A product to recommend, priced by the strategy (stockrecords prefetched)."""
    price = pricing.fetch_for_product(product).price
    return ProductSnapshot(
        product_id=key_of(product),
        name=product.get_title(),
        url=absolute_url(product.get_absolute_url()),
        image_url=_image_url(product),
        price=_price(price),
        currency=getattr(price, "currency", "") or "",
    )


def _product() -> type[models.Model]:
    return get_model("catalogue", "Product")


def _basket() -> type[models.Model]:
    return get_model("basket", "Basket")
