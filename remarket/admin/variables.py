"""The help panel of the step editor: every variable a step's templates may use.

The list follows :func:`remarket.flows.context.email_context`, the one place that builds
what a template sees; a test renders each listed variable through that function so the
panel cannot drift from it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from remarket.flows.models import Trigger

Variable = tuple[str, Any]

_PERSON: list[Variable] = [
    ("contact.name", _("The person's name, when known, e.g. Ann.")),
    ("contact.email", _("The person's email address.")),
]
_CART: list[Variable] = [
    (
        "cart.lines",
        _("The cart's lines, each with .name, .quantity, .unit_price, .product_url, .image_url."),
    ),
    ("cart.total", _("The cart's total, e.g. 42.50.")),
    ("cart.currency", _("The cart's currency code, e.g. EUR.")),
    ("links.cart_url", _("A signed link that brings the cart back in the shop.")),
]
_ORDER: list[Variable] = [
    (
        "order.lines",
        _("The order's lines, each with .name, .quantity, .unit_price, .product_url, .image_url."),
    ),
    ("order.total", _("The order's total.")),
    ("order.currency", _("The order's currency code.")),
    ("order.placed_at", _("When the order was placed; use |date, e.g. order.placed_at|date.")),
]
_LAPSE: list[Variable] = [
    ("last_order_at", _("When the person last ordered (ISO date text).")),
]
_BROWSE: list[Variable] = [
    ("products", _("The products the person looked at; each: .name, .product_id.")),
]
_ALWAYS: list[Variable] = [
    (
        "recommendations",
        _("Related products the person has not bought; each: .name, .url, .image_url, .price."),
    ),
    ("coupon.code", _("The unique coupon code, when the step includes a coupon.")),
    ("coupon.expires_at", _("When the coupon expires; use |date.")),
    ("links.unsubscribe_url", _("One-click unsubscribe (added to the footer anyway).")),
    ("links.preferences_url", _("The person's email preferences page.")),
    ("links.shop_url", _("The shop's home page.")),
    ("shop_name", _("The shop's name (REMARKET['SHOP_NAME']).")),
    ("site_url", _("The shop's address (REMARKET['SITE_URL']).")),
]

_BY_TRIGGER: dict[str, list[Variable]] = {
    Trigger.CART_ABANDONED: _CART,
    Trigger.ORDER_PLACED: _ORDER,
    Trigger.CUSTOMER_LAPSED: _LAPSE,
    Trigger.PRODUCT_VIEWED: _BROWSE,
}


def variables_for(trigger: str) -> list[Variable]:
    """(name, explanation) pairs a step of a flow with ``trigger`` can use, in panel order."""
    return _PERSON + _BY_TRIGGER.get(trigger, []) + _ALWAYS


def help_panels() -> list[dict[str, Any]]:
    """One panel per trigger type, for pages where the trigger can still change."""
    return [
        {"trigger": value, "label": label, "variables": variables_for(value)}
        for value, label in Trigger.choices
    ]
