"""Coupons as real Oscar vouchers, which Oscar's own basket and checkout accept."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from remarket.exceptions import NotSupported
from remarket.shop.snapshots import Coupon, CouponRequest

#: No 0/O or 1/I: the code is read from an email and typed at checkout.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RANGE_NAME = "remarket: whole catalogue"


def _code(prefix: str) -> str:
    return (prefix or "RM").upper() + "-" + "".join(secrets.choice(ALPHABET) for _ in range(8))


@transaction.atomic
def create_voucher(request: CouponRequest) -> Coupon:
    """A single-use voucher with its own offer (percentage or fixed amount off)."""
    Benefit = get_model("offer", "Benefit")
    Condition = get_model("offer", "Condition")
    ConditionalOffer = get_model("offer", "ConditionalOffer")
    Range = get_model("offer", "Range")
    Voucher = get_model("voucher", "Voucher")
    if request.percent_off is not None:
        kind, value = Benefit.PERCENTAGE, request.percent_off
        description = _("%(percent)s%% off") % {"percent": f"{request.percent_off.normalize():f}"}
    elif request.amount_off is not None:
        kind, value = Benefit.FIXED, request.amount_off
        description = _("%(amount)s %(currency)s off") % {
            "amount": f"{request.amount_off.normalize():f}",
            "currency": request.currency,
        }
    else:
        raise NotSupported("A coupon needs percent_off or amount_off.")
    everything, _created = Range.objects.get_or_create(
        name=RANGE_NAME, defaults={"includes_all_products": True, "is_public": False}
    )
    code = _code(request.prefix)
    offer = ConditionalOffer.objects.create(
        name=f"remarket {code}",
        offer_type=ConditionalOffer.VOUCHER,
        condition=Condition.objects.create(range=everything, type=Condition.COUNT, value=1),
        benefit=Benefit.objects.create(range=everything, type=kind, value=value),
    )
    voucher = Voucher.objects.create(
        name=f"remarket {code}",
        code=code,
        usage=Voucher.SINGLE_USE,
        start_datetime=timezone.now(),
        end_datetime=request.expires_at,
    )
    voucher.offers.add(offer)
    return Coupon(code=code, expires_at=request.expires_at, description=description)
