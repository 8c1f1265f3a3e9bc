"""How remarket reads this shop: nothing but settings.

The example shop's models use their own vocabulary (``Basket.shopper_email``,
``Basket.touched_at``, ``Purchase.grand_total``...); this dict tells remarket's
field-map adapter where everything is. ``settings.py`` imports it as ``REMARKET``.
"""

from __future__ import annotations

import os

_LINE = {
    "product": "product",
    "name": "product.title",
    "quantity": "qty",
    "product_url": "product.get_absolute_url",
    "image_url": "product.picture.url",
}

REMARKET = {
    "SITE_URL": os.environ.get("REMARKET_SITE_URL", "http://127.0.0.1:8000"),
    "CURRENCY": "EUR",
    # remarket asks the shop for single-use codes through this function (see shop/coupons.py).
    "COUPON_FACTORY": "example_project.shop.coupons.create_coupon",
    "CART": {
        "model": "shop.Basket",
        "last_activity": "touched_at",
        "lines": "items",
        "email": "shopper_email",
        "user": "owner",
        "name": "shopper_name",
        "consent": "marketing_opt_in",
        "open": {"status": "open"},
        "merged_into": "merged_into",
        "session_key": "basket_id",
        "cart_url": "shop:basket",
        "line": {**_LINE, "unit_price": "price_each"},
    },
    "ORDER": {
        "model": "shop.Purchase",
        "placed_at": "created",
        "lines": "lines",
        "email": "buyer_email",
        "user": "buyer",
        "name": "buyer_name",
        "consent": "marketing_opt_in",
        "cart": "basket",
        "total": "grand_total",
        "currency": "currency_code",
        "coupon": "coupon_code",
        "line": {**_LINE, "unit_price": "price_paid"},
    },
    # Retargeting pixels. The demo loads local stand-ins for the vendors' scripts (served
    # from the shop's static files; they record every call in window.__calls), so it runs
    # offline; a real shop drops "script_url" and uses its own ids.
    "PROVIDERS": {
        "google": {
            "ads_id": "AW-123456789",
            "measurement_id": "G-ABC123DEF4",
            "script_url": "/static/shop/standins/gtag.js",
        },
        "meta": {
            "pixel_id": "123456789012345",
            "script_url": "/static/shop/standins/fbevents.js",
        },
    },
    "PRODUCT": {
        "model": "shop.Product",
        "name": "title",
        "url": "get_absolute_url",
        "image_url": "picture.url",
        "price": "price",
        "category": "category",
        "created": "created",
        "available": {"in_stock": True},
    },
}
