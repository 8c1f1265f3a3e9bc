"""Oscar signals remarket listens to: guest emails, sign-ins with a guest basket.

Receivers only note what they need and leave the writing to ``transaction.on_commit``, so
a checkout step never waits for remarket, and a rolled-back order records nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.contrib.contenttypes.models import ContentType
from django.core.signing import BadSignature, Signer
from django.db import transaction
from django.utils import timezone
from oscar.apps.checkout.signals import start_checkout
from oscar.apps.order.signals import order_placed
from oscar.core.loading import get_class, get_model

from remarket.emails import clean_email
from remarket.shop.keys import key_for
from remarket.shop.models import CartEmail


def connect() -> None:
    """Connect the receivers (idempotent: each has a dispatch_uid)."""
    start_checkout.connect(on_start_checkout, dispatch_uid="remarket.oscar.start_checkout")
    order_placed.connect(on_order_placed, dispatch_uid="remarket.oscar.order_placed")
    user_logged_in.connect(on_user_logged_in, dispatch_uid="remarket.oscar.login")


def _note(basket_pk: Any, *, email: str = "", user_key: str = "") -> None:
    """Remember a guest email and/or the account for a basket, after the commit."""
    Basket = get_model("basket", "Basket")
    key = key_for(Basket, basket_pk)

    def write() -> None:
        cart_type = ContentType.objects.get_for_model(Basket)
        changes: dict[str, Any] = {"captured_at": timezone.now()}
        if email:
            changes["email"] = email
        if user_key:
            changes["user_key"] = user_key
        CartEmail.objects.update_or_create(
            cart_type=cart_type, cart_key=key, defaults=changes, create_defaults=changes
        )

    transaction.on_commit(write)


def on_start_checkout(sender: Any, request: Any, email: str | None = None, **kwargs: Any) -> None:
    """A guest gave an email at the checkout gateway: the basket now has a known person."""
    email = clean_email(email)
    basket = getattr(request, "basket", None)
    if email and basket is not None and basket.id:
        _note(basket.id, email=email)


def on_order_placed(sender: Any, order: Any, user: Any = None, **kwargs: Any) -> None:
    """Keep the guest's email with the basket the order came from."""
    email = clean_email(order.guest_email)
    if email and order.basket_id:
        _note(order.basket_id, email=email)


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signing in merges the guest basket into the account's: remember whose it became."""
    cookies = getattr(request, "COOKIES", None) or {}
    middleware = get_class("basket.middleware", "BasketMiddleware")(lambda request: None)
    signed = cookies.get(middleware.get_cookie_key(request))
    if not signed:
        return
    try:
        basket_pk = Signer().unsign(signed)
    except BadSignature:
        return
    if str(basket_pk).isdigit():
        _note(int(basket_pk), user_key=str(user.pk))
