"""Recommendations, cart restore and coupons through the field-map adapter."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from remarket.exceptions import CartRestoreNotSupported, CouponsNotSupported, NotSupported
from remarket.shop import CouponRequest, get_adapter
from tests.shapes import make_user

pytestmark = pytest.mark.django_db


def test_related_products_prefer_co_purchases_then_the_same_category(
    shape, adapter, django_assert_max_num_queries
):
    beans = shape.product(title="Beans", category="coffee")
    mug = shape.product(title="Mug", category="mugs")
    filters = shape.product(title="Filters", category="gear")
    grinder = shape.product(title="Grinder", category="gear")
    shape.product(title="Decaf", category="coffee")
    shape.product(title="Teapot", category="tea")
    for i in range(3):
        shape.order(email=f"m{i}@example.com", items=[(beans, 1), (mug, 1)])
    shape.order(email="f@example.com", items=[(beans, 1), (filters, 1)])
    shape.order(email="g@example.com", items=[(grinder, 1)])

    with django_assert_max_num_queries(3):
        related = adapter.related_products([shape.key(beans)], limit=3)

    # Bought with beans most often first, then newest in the same category.
    assert [p.name for p in related] == ["Mug", "Filters", "Decaf"]
    assert related[0].price == Decimal("10.00")
    assert related[0].product_id == shape.key(mug)


def test_related_products_never_repeat_excluded_products(shape, adapter):
    beans = shape.product(title="Beans", category="coffee")
    mug = shape.product(title="Mug", category="mugs")
    shape.order(email="m@example.com", items=[(beans, 1), (mug, 1)])

    related = adapter.related_products([shape.key(beans)], exclude=[shape.key(mug)])

    assert "Mug" not in [p.name for p in related]
    assert "Beans" not in [p.name for p in related]


def test_related_products_without_a_product_map_say_how_to_enable_them(shape, settings):
    settings.REMARKET = {**shape.settings, "PRODUCT": None}

    with pytest.raises(NotSupported, match=r"REMARKET\['PRODUCT'\]"):
        get_adapter().related_products(["1"])


def _request(user=None):
    request = RequestFactory().get("/remarket/cart/")
    request.session = SessionStore()
    request.user = user or AnonymousUser()
    return request


def test_restore_puts_a_guest_cart_into_the_session(shape, adapter):
    cart = shape.cart(email="guest@example.com")
    request = _request()

    target = adapter.restore_cart(request, shape.key(cart))

    session_key = shape.settings["CART"]["session_key"]
    assert str(request.session[session_key]) == str(cart.pk)
    assert target == ("/basket/" if shape.name == "basket" else "/trolley/")


def test_restore_of_an_account_cart_asks_the_person_to_sign_in(shape, adapter):
    owner = make_user(email="owner@example.com")
    cart = shape.cart(user=owner)
    request = _request()

    target = adapter.restore_cart(request, shape.key(cart))

    assert target.startswith("/accounts/login/?next=")
    assert shape.settings["CART"]["session_key"] not in request.session
    assert adapter.restore_cart(_request(owner), shape.key(cart)).endswith("/")


def test_restore_follows_a_merge(shape, adapter):
    guest = shape.cart(email="g@example.com", touched=timezone.now() - timedelta(hours=1))
    other = shape.cart(email="g@example.com", items=[])
    shape.merge(guest, into=other)
    request = _request()

    adapter.restore_cart(request, shape.key(guest))

    assert str(request.session[shape.settings["CART"]["session_key"]]) == str(other.pk)


def test_restore_without_configuration_is_reported_clearly(shape, settings):
    cart_map = {k: v for k, v in shape.settings["CART"].items() if k != "session_key"}
    settings.REMARKET = {**shape.settings, "CART": cart_map}
    cart = shape.cart(email="x@example.com")

    with pytest.raises(CartRestoreNotSupported, match="session_key"):
        get_adapter().restore_cart(_request(), shape.key(cart))


def restore_with_a_function(request, cart):
    return f"/custom/{cart.pk}/"


def test_restore_can_be_a_function(shape, settings):
    cart_map = {
        **shape.settings["CART"],
        "restore": {"call": f"{__name__}.restore_with_a_function"},
    }
    settings.REMARKET = {**shape.settings, "CART": cart_map}
    cart = shape.cart(email="x@example.com")

    assert get_adapter().restore_cart(_request(), shape.key(cart)) == f"/custom/{cart.pk}/"


def test_coupons_are_not_supported_by_default_and_say_so(shape, settings):
    settings.REMARKET = {**shape.settings, "COUPON_FACTORY": ""}
    request = CouponRequest(email="a@example.com", expires_at=timezone.now())

    with pytest.raises(CouponsNotSupported, match="COUPON_FACTORY"):
        get_adapter().create_coupon(request)
