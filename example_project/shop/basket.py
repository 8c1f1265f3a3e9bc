"""Basket lookup, line editing, login hand-over and order placement.

The guest basket id lives in ``request.session["basket_id"]``. Anything that puts an open basket
id there (the add-to-basket view, or a "restore your basket" link) makes that basket current.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .coupons import check_coupon, discount_for, redeem
from .models import Basket, BasketItem, Product, Purchase, PurchaseLine

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest

SESSION_KEY = "basket_id"
MAX_QTY = 99


class BasketNotOpenError(Exception):
    """Raised when an order is placed for a basket that was already ordered or merged."""


def _session_basket(request: HttpRequest) -> Basket | None:
    """The open basket referenced by the session, if any."""
    basket_id = request.session.get(SESSION_KEY)
    if basket_id is None:
        return None
    try:
        return Basket.objects.get(pk=int(basket_id), status=Basket.Status.OPEN)
    except (Basket.DoesNotExist, TypeError, ValueError):
        return None


def _remember(request: HttpRequest, basket: Basket) -> None:
    """Store the basket id in the session, avoiding a session write when unchanged."""
    if request.session.get(SESSION_KEY) != basket.pk:
        request.session[SESSION_KEY] = basket.pk


def get_basket(request: HttpRequest, create: bool = False) -> Basket | None:
    """Return the current open basket, optionally creating one.

    Authenticated users get the session basket when it is ownerless or theirs (this is how a
    restored basket is picked up), otherwise their newest open basket. Guests get the open
    basket referenced by the session.
    """
    user = request.user
    basket = _session_basket(request)

    if user.is_authenticated:
        if basket is not None and basket.owner_id not in (None, user.pk):
            basket = None  # someone else's basket: never expose it to this user
        if basket is None:
            basket = (
                Basket.objects.filter(owner=user, status=Basket.Status.OPEN)
                .order_by("-touched_at", "-pk")
                .first()
            )
        if basket is None and create:
            basket = Basket.objects.create(owner=user)
        elif basket is not None and basket.owner_id is None and create:
            # Claim an ownerless basket only when the user actually changes it.
            basket.owner = user
            basket.save(update_fields=["owner"])
    elif basket is None and create:
        basket = Basket.objects.create()

    if basket is not None:
        _remember(request, basket)
    return basket


def add_product(basket: Basket, product: Product, qty: int) -> BasketItem:
    """Add ``qty`` units of ``product``; an existing line is increased (capped at MAX_QTY)."""
    item, created = BasketItem.objects.get_or_create(
        basket=basket,
        product=product,
        defaults={"qty": min(qty, MAX_QTY), "price_each": product.price},
    )
    if not created:
        item.qty = min(item.qty + qty, MAX_QTY)
        item.save(update_fields=["qty"])
    basket.touch()
    return item


def set_quantity(item: BasketItem, qty: int) -> None:
    """Change a line's quantity; zero removes the line."""
    if qty <= 0:
        item.delete()
    else:
        item.qty = min(qty, MAX_QTY)
        item.save(update_fields=["qty"])
    item.basket.touch()


def merge_baskets(source: Basket, target: Basket) -> None:
    """Move ``source``'s lines into ``target`` (summing quantities) and retire ``source``."""
    with transaction.atomic():
        moved = False
        for item in source.items.select_related("product"):
            existing = target.items.filter(product=item.product).first()
            if existing is None:
                item.basket = target
                item.save(update_fields=["basket"])
            else:
                existing.qty = min(existing.qty + item.qty, MAX_QTY)
                existing.save(update_fields=["qty"])
                item.delete()
            moved = True
        source.status = Basket.Status.MERGED
        source.merged_into = target
        source.save(update_fields=["status", "merged_into"])
        # Details given at checkout follow the lines, so the shopper is not asked twice.
        if source.shopper_email and not target.shopper_email:
            target.shopper_email = source.shopper_email
            target.shopper_name = target.shopper_name or source.shopper_name
            target.marketing_opt_in = target.marketing_opt_in or source.marketing_opt_in
            target.save(update_fields=["shopper_email", "shopper_name", "marketing_opt_in"])
        if source.coupon_code and not target.coupon_code:
            target.coupon_code = source.coupon_code
            target.save(update_fields=["coupon_code"])
        # Only real line changes count as activity on the surviving basket.
        if moved:
            target.touch()


def adopt_guest_basket_on_login(
    sender: type, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    """``user_logged_in`` receiver: hand the session's guest basket over to the user.

    ``login()`` cycles the session key but keeps its data, so ``basket_id`` is still there.
    """
    if request is None or not hasattr(request, "session"):
        return
    guest = _session_basket(request)
    if guest is None or guest.owner_id not in (None, user.pk):
        return
    existing = (
        Basket.objects.filter(owner=user, status=Basket.Status.OPEN)
        .exclude(pk=guest.pk)
        .order_by("-touched_at", "-pk")
        .first()
    )
    if existing is not None:
        merge_baskets(guest, existing)
        survivor = existing
    else:
        if guest.owner_id is None:
            guest.owner = user
            guest.save(update_fields=["owner"])
        survivor = guest
    request.session[SESSION_KEY] = survivor.pk


def place_order(
    basket: Basket,
    *,
    buyer: AbstractBaseUser | None,
    email: str,
    name: str,
    marketing_opt_in: bool,
    currency_code: str = "EUR",
) -> Purchase:
    """Turn an open basket into a Purchase with lines and mark the basket as ordered.

    The basket's coupon, if any, is redeemed by the new Purchase; :class:`CouponError` when
    it can no longer be used (nothing is ordered then).
    """
    with transaction.atomic():
        # Compare-and-set so a double-submitted checkout cannot create two orders.
        claimed = Basket.objects.filter(pk=basket.pk, status=Basket.Status.OPEN).update(
            status=Basket.Status.ORDERED
        )
        if not claimed:
            raise BasketNotOpenError(basket.pk)
        items = list(basket.items.select_related("product"))
        subtotal = sum((i.line_total() for i in items), Decimal("0.00"))
        coupon, discount = None, Decimal("0.00")
        if basket.coupon_code:
            # Locked and checked again here: it may have been used or expired since review.
            # A CouponError rolls the whole order back, the basket claim included.
            coupon = check_coupon(basket.coupon_code, email, currency=currency_code, lock=True)
            discount = discount_for(coupon, subtotal)
        now = timezone.now()
        purchase = Purchase.objects.create(
            buyer=buyer,
            buyer_email=email,
            buyer_name=name,
            marketing_opt_in=marketing_opt_in,
            basket=basket,
            grand_total=subtotal - discount,
            discount=discount,
            coupon_code=coupon.code if coupon else "",
            currency_code=currency_code,
            created=now,
        )
        PurchaseLine.objects.bulk_create(
            PurchaseLine(purchase=purchase, product=i.product, qty=i.qty, price_paid=i.price_each)
            for i in items
        )
        if coupon is not None:
            redeem(coupon, purchase.pk, now=now)
    basket.status = Basket.Status.ORDERED
    return purchase


def basket_count(basket: Basket | None) -> int:
    """Units in the basket, for the header badge (0 without a basket)."""
    if basket is None:
        return 0
    return sum(basket.items.values_list("qty", flat=True))
