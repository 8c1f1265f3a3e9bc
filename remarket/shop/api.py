"""The push API: for shops whose carts and orders are not Django models remarket can read.

A headless front end, a Saleor or Shopify webhook, or any external cart service calls
:func:`cart_updated` whenever a cart changes and :func:`order_placed` when an order is
placed; with ``REMARKET["SHOP_ADAPTER"] = "remarket.shop.api.PushAdapter"`` the tick then
treats pushed carts exactly like carts read from models. Both calls are idempotent: the
shop's own id is the key, and repeating a call changes nothing, so webhook retries are
harmless. Malformed data raises :class:`~remarket.exceptions.InvalidPush` naming the
field, and saves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from remarket.conf import conf
from remarket.emails import normalize_email
from remarket.exceptions import InvalidEmail, InvalidPush
from remarket.shop.models import PushedCart, PushedOrder
from remarket.shop.push import PushAdapter
from remarket.shop.snapshots import (
    CartSnapshot,
    CartState,
    LineSnapshot,
    OrderSnapshot,
    lines_total,
)

__all__ = ["PushAdapter", "Pushed", "cart_updated", "order_placed"]

_LINE_KEYS = {"product_id", "name", "quantity", "unit_price", "product_url", "image_url"}
_MAX_KEY = 128
# The amount columns are DecimalField(max_digits=18, decimal_places=4).
_AMOUNT_PLACES = 4
_AMOUNT_LIMIT = Decimal(10) ** (18 - _AMOUNT_PLACES)
_AMOUNT_QUANTUM = Decimal(1).scaleb(-_AMOUNT_PLACES)


@dataclass(frozen=True, slots=True)
class Pushed:
    """What a push did: ``changed`` is ``False`` when it repeated what remarket knew."""

    snapshot: CartSnapshot | OrderSnapshot
    created: bool
    changed: bool


def cart_updated(
    key: str,
    *,
    lines: Iterable[Mapping[str, Any]],
    email: str = "",
    currency: str = "",
    total: Decimal | str | int | None = None,
    updated_at: datetime | None = None,
    user_id: str | int | None = None,
    name: str = "",
    locale: str = "",
    consent: bool | None = None,
    recover_url: str = "",
) -> Pushed:
    """Record the current state of the shop's cart ``key``.

    ``lines`` are mappings with ``product_id``, ``name``, ``quantity`` and
    ``unit_price`` (``product_url`` and ``image_url`` optional); an empty list means the
    cart was emptied. ``updated_at`` is when the shop changed the cart (default: now); a
    push older than the one remarket has is ignored, so webhooks arriving out of order do
    no harm. ``recover_url`` is the front end's page that puts this cart back into a
    browser: the email's "return to your cart" link leads there.
    """
    key = _key(key, "key")
    snapshot = CartSnapshot(
        key=key,
        email=_email(email),
        user_id=None if user_id in (None, "") else str(user_id),
        last_activity=_moment(updated_at, "updated_at"),
        state=CartState.OPEN,
        currency=_currency(currency),
        total=Decimal("0"),
        lines=_lines(lines),
        name=str(name or "")[:150],
        locale=str(locale or "")[:35],
        consent=_consent(consent),
    )
    snapshot = replace(
        snapshot,
        total=_lines_total(snapshot.lines) if total is None else _amount(total, "total"),
        state=CartState.OPEN if snapshot.lines else CartState.GONE,
    )
    recover_url = str(recover_url or "")
    if recover_url and (not re.match(r"https?://", recover_url) or len(recover_url) > 1000):
        raise InvalidPush(
            f"recover_url is {recover_url!r}; give the absolute http(s) address of the page "
            "that restores the cart, e.g. 'https://shop.example/cart/recover?id=abc'."
        )
    try:
        return _store_cart(snapshot, recover_url, explicit=updated_at is not None)
    except IntegrityError:  # the same webhook, delivered twice at once: now it is there
        return _store_cart(snapshot, recover_url, explicit=updated_at is not None)


def order_placed(
    key: str,
    *,
    lines: Iterable[Mapping[str, Any]],
    email: str = "",
    currency: str = "",
    total: Decimal | str | int | None = None,
    placed_at: datetime | None = None,
    cart_key: str | None = None,
    user_id: str | int | None = None,
    name: str = "",
    locale: str = "",
    consent: bool | None = None,
    coupon_code: str = "",
) -> Pushed:
    """Record the shop's order ``key`` (once: pushing the same key again changes nothing).

    ``cart_key`` is the pushed cart it came from: that cart is closed as ordered, so its
    reminders stop and the conversion is credited to them. ``total`` defaults to the sum
    of the lines; give the shop's real total (after discounts and shipping) when known.
    """
    key = _key(key, "key")
    snapshot = OrderSnapshot(
        key=key,
        email=_email(email),
        user_id=None if user_id in (None, "") else str(user_id),
        placed_at=_moment(placed_at, "placed_at"),
        currency=_currency(currency),
        total=Decimal("0"),
        lines=_lines(lines),
        cart_key=_key(cart_key, "cart_key") if cart_key not in (None, "") else None,
        name=str(name or "")[:150],
        locale=str(locale or "")[:35],
        consent=_consent(consent),
        coupon_code=str(coupon_code or "").strip(),
    )
    if total is not None:
        snapshot = replace(snapshot, total=_amount(total, "total"))
    else:
        snapshot = replace(snapshot, total=_lines_total(snapshot.lines))
    with transaction.atomic():
        existing = PushedOrder.objects.filter(key=key).first()
        if existing is not None:
            return Pushed(OrderSnapshot.from_json(existing.snapshot), created=False, changed=False)
        try:
            with transaction.atomic():
                PushedOrder.objects.create(
                    key=key,
                    cart_key=snapshot.cart_key or "",
                    email=snapshot.email,
                    placed_at=snapshot.placed_at,
                    total=snapshot.total,
                    currency=snapshot.currency,
                    snapshot=snapshot.as_json(),
                )
        except IntegrityError:  # pushed twice at the same moment: the other one won
            existing = PushedOrder.objects.get(key=key)
            return Pushed(OrderSnapshot.from_json(existing.snapshot), created=False, changed=False)
        if snapshot.cart_key:
            _close_cart(snapshot.cart_key)
    return Pushed(snapshot, created=True, changed=True)


# -- validation -----------------------------------------------------------------------


def _key(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidPush(f"{field} is {value!r}; give the shop's id as text, e.g. 'c-1042'.")
    text = str(value).strip()
    if not text or len(text) > _MAX_KEY:
        raise InvalidPush(
            f"{field} is {value!r}; it must be 1 to {_MAX_KEY} characters of the shop's id."
        )
    return text


def _email(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return normalize_email(value)
    except InvalidEmail as exc:
        raise InvalidPush(f"email is {value!r}, which is not a valid email address.") from exc


def _moment(value: Any, field: str) -> datetime:
    if value is None:
        return timezone.now()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidPush(
                f"{field} is {value!r}; give a datetime or an ISO 8601 text such as "
                "'2026-03-02T12:00:00+00:00'."
            ) from None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidPush(
            f"{field} is {value!r}; give a timezone-aware datetime (with its UTC offset)."
        )
    return value


def _currency(value: Any) -> str:
    code = value or conf.CURRENCY
    if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code)):
        raise InvalidPush(
            f"currency is {value!r}, not a three-letter code; use e.g. 'EUR', 'IRR' or 'VND'."
        )
    return code


def _amount(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidPush(f"{field} is {value!r}, not a number such as '19.90'.") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidPush(f"{field} is {value!r}; it must be a number of at least 0.")
    _check_fits(amount, field, repr(value))
    return amount


def _check_fits(amount: Decimal, field: str, shown: str) -> None:
    """Refuse what the amount columns cannot hold exactly (rather than round or fail)."""
    if amount >= _AMOUNT_LIMIT:
        raise InvalidPush(
            f"{field} is {shown}; it must be less than {_AMOUNT_LIMIT:,} "
            f"(at most {18 - _AMOUNT_PLACES} digits before the decimal point)."
        )
    if amount != amount.quantize(_AMOUNT_QUANTUM):
        raise InvalidPush(
            f"{field} is {shown}; give at most {_AMOUNT_PLACES} decimal places, e.g. '19.9025'."
        )


def _lines_total(lines: tuple[LineSnapshot, ...]) -> Decimal:
    try:
        total = lines_total(lines)
    except ArithmeticError:  # a quantity too large for any Decimal
        raise InvalidPush("total, the sum of the lines, is too large to store.") from None
    _check_fits(total, "total", f"{total} (the sum of the lines)")
    return total


def _consent(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidPush(f"consent is {value!r}; give True, False or None (the shop does not say).")


def _lines(lines: Any) -> tuple[LineSnapshot, ...]:
    if isinstance(lines, str | bytes | Mapping) or not isinstance(lines, Iterable):
        raise InvalidPush(f"lines is {lines!r}; give a list of line mappings (or [] if empty).")
    result = []
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if not isinstance(line, Mapping):
            raise InvalidPush(f"{where} is {line!r}, not a mapping with product_id, name ...")
        unknown = sorted(set(line) - _LINE_KEYS)
        if unknown:
            raise InvalidPush(
                f"{where} has unknown keys {', '.join(unknown)}; "
                f"a line takes {', '.join(sorted(_LINE_KEYS))}."
            )
        missing = sorted({"product_id", "name", "quantity", "unit_price"} - set(line))
        if missing:
            raise InvalidPush(f"{where} lacks {', '.join(missing)}.")
        quantity = line["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidPush(f"{where}['quantity'] is {quantity!r}, not a whole number above 0.")
        result.append(
            LineSnapshot(
                product_id=_key(line["product_id"], f"{where}['product_id']"),
                name=str(line["name"]),
                quantity=quantity,
                unit_price=_amount(line["unit_price"], f"{where}['unit_price']"),
                product_url=str(line.get("product_url") or ""),
                image_url=str(line.get("image_url") or ""),
            )
        )
    return tuple(result)


# -- storage --------------------------------------------------------------------------


def _content(snapshot: CartSnapshot) -> dict[str, Any]:
    """Everything but the time: two pushes with equal content are the same news."""
    data = snapshot.as_json()
    del data["last_activity"]
    return data


def _cart_fields(snapshot: CartSnapshot, recover_url: str) -> dict[str, Any]:
    return {
        "key": snapshot.key,
        "email": snapshot.email,
        "state": snapshot.state.value,
        "last_activity": snapshot.last_activity,
        "total": snapshot.total,
        "currency": snapshot.currency,
        "snapshot": snapshot.as_json(),
        "recover_url": recover_url,
    }


@transaction.atomic
def _store_cart(snapshot: CartSnapshot, recover_url: str, *, explicit: bool) -> Pushed:
    row = PushedCart.objects.select_for_update().filter(key=snapshot.key).first()
    if row is not None and row.state == CartState.ORDERED:
        stored = CartSnapshot.from_json(row.snapshot)
        return Pushed(stored, created=False, changed=False)  # an order closed it for good
    # Webhooks arrive in any order: the order may be here before the cart's last update.
    # Checked after taking the row's lock, in the transaction that writes the cart.
    ordered = PushedOrder.objects.filter(cart_key=snapshot.key).exists()
    if ordered:
        snapshot = replace(snapshot, state=CartState.ORDERED)
    if row is None:
        with transaction.atomic():
            PushedCart.objects.create(**_cart_fields(snapshot, recover_url))
        return Pushed(snapshot, created=True, changed=True)
    stored = CartSnapshot.from_json(row.snapshot)
    if explicit and snapshot.last_activity < stored.last_activity:
        if ordered:  # older news, but the cart stood open after its order: close it
            _close_cart(snapshot.key)
            return Pushed(replace(stored, state=CartState.ORDERED), created=False, changed=True)
        return Pushed(stored, created=False, changed=False)  # older news
    same = _content(snapshot) == _content(stored) and recover_url == row.recover_url
    if same and (not explicit or snapshot.last_activity == stored.last_activity):
        return Pushed(stored, created=False, changed=False)
    for field, value in _cart_fields(snapshot, recover_url).items():
        setattr(row, field, value)
    row.save()
    return Pushed(snapshot, created=False, changed=True)


def _close_cart(cart_key: str) -> None:
    row = PushedCart.objects.select_for_update().filter(key=cart_key).first()
    if row is None or row.state == CartState.ORDERED:
        return
    snapshot = replace(CartSnapshot.from_json(row.snapshot), state=CartState.ORDERED)
    row.state, row.snapshot = CartState.ORDERED.value, snapshot.as_json()
    row.save(update_fields=["state", "snapshot", "updated_at"])
