"""Step conditions: checked at send time; a step whose condition fails is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _decimal(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError(_("%(value)r is not a number.") % {"value": value}) from exc
    if number < 0:
        raise ValidationError(_("%(value)s must not be negative.") % {"value": number})
    return str(number)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(_("%(value)r is not a whole number.") % {"value": value})
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("%(value)r is not true or false.") % {"value": value})
    return value


CONDITIONS = {
    "min_cart_total": _decimal,
    "not_opened_previous": _flag,
    "min_orders": _count,
    "max_orders": _count,
}


def validate_condition(raw: Any) -> dict[str, Any]:
    """The condition with its values normalised, or :class:`ValidationError`."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationError(_("The condition must be a JSON object, e.g. {}."))
    unknown = sorted(set(raw) - set(CONDITIONS))
    if unknown:
        raise ValidationError(
            _("Unknown condition %(names)s; use %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(CONDITIONS)}
        )
    return {key: CONDITIONS[key](value) for key, value in raw.items()}


@dataclass(frozen=True)
class Facts:
    """What a condition may look at, gathered once per batch."""

    cart_total: Decimal | None
    opened_previous: bool | None  # None: this is the first step
    order_count: int


def condition_holds(condition: dict[str, Any], facts: Facts) -> bool:
    minimum = condition.get("min_cart_total")
    if minimum is not None and (facts.cart_total is None or facts.cart_total < Decimal(minimum)):
        return False
    if condition.get("not_opened_previous") and facts.opened_previous:
        return False
    if facts.order_count < condition.get("min_orders", 0):
        return False
    maximum = condition.get("max_orders")
    return maximum is None or facts.order_count <= maximum
