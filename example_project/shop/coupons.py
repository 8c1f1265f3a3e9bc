"""Single-use coupons: made for remarket's emails, applied and redeemed at checkout.

remarket asks for a coupon through ``REMARKET["COUPON_FACTORY"]``, which names
:func:`create_coupon`. The shopper types the code on the review step; the order then
locks the coupon row, checks it again and marks it redeemed (see ``basket.place_order``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from remarket.shop import Coupon as IssuedCoupon
from remarket.shop import CouponRequest

from .models import Basket, Coupon
from .templatetags.shop_tags import money

# No 0/O, 1/I/L: codes are read from an email and typed by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RANDOM_LENGTH = 8
DEFAULT_PREFIX = "RM"
DEFAULT_CURRENCY = "EUR"
MAX_ATTEMPTS = 5
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class CouponError(Exception):
    """A code that cannot be used for this basket; ``str(error)`` is the shopper's message."""


def normalise_code(code: str) -> str:
    """What the shopper typed, as stored: upper case, without spaces."""
    return re.sub(r"\s+", "", code).upper()


def generate_code(prefix: str = DEFAULT_PREFIX) -> str:
    """``prefix`` (letters, digits and dashes only) plus 8 random unambiguous characters."""
    clean = re.sub(r"[^A-Z0-9-]", "", prefix.upper())[:32]
    return clean + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))


def _number(value: Decimal) -> str:
    """``10.00`` as ``10``, ``12.50`` as ``12.5``."""
    return format(value.normalize(), "f")


def describe(coupon: Coupon) -> str:
    """A short line such as "10% off your order" or "€5.00 off your order"."""
    if coupon.percent_off is not None:
        return _("%(percent)s%% off your order") % {"percent": _number(coupon.percent_off)}
    return _("%(amount)s off your order") % {"amount": money(coupon.amount_off, coupon.currency)}


def create_coupon(request: CouponRequest) -> IssuedCoupon:
    """``REMARKET["COUPON_FACTORY"]``: store a new single-use coupon and return its code."""
    percent, amount = request.percent_off, request.amount_off
    if (percent is None) == (amount is None):
        raise ValueError("A CouponRequest needs exactly one of percent_off and amount_off.")
    value = percent if percent is not None else amount
    if value <= 0 or (percent is not None and percent > 100):
        raise ValueError(f"Coupon value out of range: {value}")
    for _attempt in range(MAX_ATTEMPTS):
        code = generate_code(request.prefix or DEFAULT_PREFIX)
        try:
            with transaction.atomic():
                coupon = Coupon.objects.create(
                    code=code,
                    email=request.email.strip(),
                    percent_off=percent,
                    amount_off=amount,
                    currency=(request.currency or DEFAULT_CURRENCY).upper(),
                    expires_at=request.expires_at,
                )
        except IntegrityError:
            if not Coupon.objects.filter(code=code).exists():
                raise  # not a collision: a real error
            continue
        return IssuedCoupon(
            code=coupon.code, expires_at=coupon.expires_at, description=describe(coupon)
        )
    raise RuntimeError(f"No free coupon code after {MAX_ATTEMPTS} attempts")


def check_coupon(
    code: str,
    email: str,
    *,
    currency: str = DEFAULT_CURRENCY,
    lock: bool = False,
    now: datetime | None = None,
) -> Coupon:
    """The coupon ``code`` if ``email`` may use it now, else :class:`CouponError`.

    ``lock`` takes a row lock (inside a transaction) so two orders cannot both redeem it.
    """
    code = normalise_code(code)
    if not code:
        raise CouponError(_("Please enter a coupon code."))
    coupons = Coupon.objects.select_for_update() if lock else Coupon.objects.all()
    coupon = coupons.filter(code=code).first()
    if coupon is None:
        raise CouponError(_("There is no coupon with the code %(code)s.") % {"code": code})
    if coupon.redeemed_at is not None:
        raise CouponError(_("The coupon %(code)s has already been used.") % {"code": code})
    if coupon.expires_at <= (now or timezone.now()):
        raise CouponError(_("The coupon %(code)s has expired.") % {"code": code})
    if coupon.email and coupon.email.strip().casefold() != email.strip().casefold():
        raise CouponError(
            _("The coupon %(code)s was made for another email address.") % {"code": code}
        )
    if coupon.amount_off is not None and coupon.currency != currency:
        raise CouponError(_("The coupon %(code)s is for another currency.") % {"code": code})
    return coupon


def discount_for(coupon: Coupon, subtotal: Decimal) -> Decimal:
    """What the coupon takes off ``subtotal``: rounded to cents, never more than the subtotal."""
    if coupon.percent_off is not None:
        off = subtotal * coupon.percent_off / 100
    else:
        off = coupon.amount_off
    off = off.quantize(CENT, rounding=ROUND_HALF_UP)
    return max(ZERO, min(off, subtotal))


@dataclass(frozen=True)
class Quote:
    """A basket's price with its coupon, for the checkout pages."""

    subtotal: Decimal
    discount: Decimal = ZERO
    code: str = ""
    error: str = ""

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount


def quote(basket: Basket) -> Quote:
    """Subtotal, discount and total of ``basket``; ``error`` says why its coupon does not apply."""
    subtotal = basket.total()
    if not basket.coupon_code:
        return Quote(subtotal)
    try:
        coupon = check_coupon(basket.coupon_code, basket.shopper_email)
    except CouponError as exc:
        return Quote(subtotal, code=basket.coupon_code, error=str(exc))
    return Quote(subtotal, discount_for(coupon, subtotal), code=coupon.code)


def apply_to_basket(basket: Basket, code: str) -> Coupon:
    """Check ``code`` for the basket's shopper and remember it on the basket."""
    coupon = check_coupon(code, basket.shopper_email)
    set_basket_code(basket, coupon.code)
    return coupon


def set_basket_code(basket: Basket, code: str) -> None:
    """Store (or with ``""`` forget) the basket's coupon code."""
    basket.coupon_code = code
    Basket.objects.filter(pk=basket.pk).update(coupon_code=code)


def redeem(coupon: Coupon, purchase_id: int, *, now: datetime | None = None) -> None:
    """Mark ``coupon`` used by the purchase; :class:`CouponError` if an order got there first."""
    redeemed_at = now or timezone.now()
    # Compare-and-set as well as the row lock: SQLite ignores select_for_update().
    won = Coupon.objects.filter(pk=coupon.pk, redeemed_at__isnull=True).update(
        redeemed_by_id=purchase_id, redeemed_at=redeemed_at
    )
    if not won:
        raise CouponError(_("The coupon %(code)s has already been used.") % {"code": coupon.code})
    coupon.redeemed_by_id, coupon.redeemed_at = purchase_id, redeemed_at
