"""Starter flows: sensible defaults a shop owner edits, created as drafts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from remarket.flows.models import Flow, FlowStatus, Step, Trigger

_LINES = (
    '<table role="presentation" width="100%">{% for line in cart.lines %}<tr>'
    '<td width="80">{% if line.image_url %}<img src="{{ line.image_url }}" width="72" '
    'alt="">{% endif %}</td><td><a href="{{ line.product_url }}">{{ line.name }}</a><br>'
    "{{ line.quantity }} &times; {{ line.unit_price }} {{ cart.currency }}</td></tr>"
    "{% endfor %}</table><p><strong>{{ cart.total }} {{ cart.currency }}</strong></p>"
)
_COUPON = (
    "{% if coupon %}<p><strong>{{ coupon.code }}</strong> "
    "({{ coupon.expires_at|date:'SHORT_DATE_FORMAT' }})</p>{% endif %}"
)
_RECOMMENDATIONS = (
    "<ul>{% for product in recommendations %}<li>"
    '<a href="{{ product.url }}">{{ product.name }}</a></li>{% endfor %}</ul>'
)


def _para(text: str) -> str:
    return f"<p>{text}</p>"


def _cart_button() -> str:
    label = _("Return to your cart")
    return '<p><a href="{{ links.cart_url }}"><strong>' + label + "</strong></a></p>"


def starter_flows() -> list[dict[str, Any]]:
    """The four starters, in the active language (call inside ``translation.override``).

    Each step is (delay, subject, preheader, body, options).
    """
    hello = _para(_("Hi {{ contact.name|default:'there' }},"))
    return [
        {
            "slug": "abandoned-cart",
            "name": _("Abandoned cart"),
            "trigger": Trigger.CART_ABANDONED,
            "trigger_settings": {"idle_minutes": 60},
            "priority": 90,
            "steps": [
                (
                    timedelta(hours=1),
                    _("You left something in your cart"),
                    _("Your cart is saved for you."),
                    hello + _para(_("Your cart is waiting for you:")) + _LINES + _cart_button(),
                    {},
                ),
                (
                    timedelta(hours=23),
                    _("Still thinking it over?"),
                    _("Your cart is still saved."),
                    hello
                    + _para(_("Your cart is still saved. Need any help?"))
                    + _LINES
                    + _cart_button(),
                    {},
                ),
                (
                    timedelta(hours=48),
                    _("A little something to help you decide"),
                    _("A coupon for the items in your cart."),
                    hello
                    + _para(_("Here is a discount for the items in your cart:"))
                    + _COUPON
                    + _LINES
                    + _cart_button(),
                    {"coupon_kind": "percent", "coupon_value": 10, "coupon_days": 3},
                ),
            ],
        },
        {
            "slug": "cross-sell",
            "name": _("Post-purchase cross-sell"),
            "trigger": Trigger.ORDER_PLACED,
            "trigger_settings": {},
            "priority": 50,
            "steps": [
                (
                    timedelta(days=7),
                    _("Goes well with what you bought"),
                    _("Picked for you, based on your order."),
                    hello
                    + _para(_("Thank you for your order. Customers who bought it also liked:"))
                    + _RECOMMENDATIONS,
                    {},
                )
            ],
        },
        {
            "slug": "win-back",
            "name": _("Win-back"),
            "trigger": Trigger.CUSTOMER_LAPSED,
            "trigger_settings": {"days": 60},
            "priority": 10,
            "steps": [
                (
                    timedelta(0),
                    _("We miss you"),
                    _("A coupon for your next order."),
                    hello
                    + _para(_("It has been a while. Here is a coupon for your next order:"))
                    + _COUPON
                    + _RECOMMENDATIONS,
                    {"coupon_kind": "percent", "coupon_value": 15, "coupon_days": 14},
                )
            ],
        },
        {
            "slug": "browse-abandonment",
            "name": _("Browse abandonment"),
            "trigger": Trigger.PRODUCT_VIEWED,
            "trigger_settings": {"idle_minutes": 240},
            "priority": 70,
            "steps": [
                (
                    timedelta(0),
                    _("Still interested?"),
                    _("The products you looked at."),
                    hello
                    + _para(_("You were looking at:"))
                    + "<ul>{% for product in products %}<li>{{ product.name }}</li>"
                    "{% endfor %}</ul>",
                    {},
                )
            ],
        },
    ]


def create_starter_flows() -> list[tuple[Flow, bool]]:
    """Create each starter flow as a draft unless its slug exists; (flow, created) pairs."""
    result = []
    for spec in starter_flows():
        steps = spec.pop("steps")
        with transaction.atomic():
            flow, created = Flow.objects.get_or_create(
                slug=spec["slug"], defaults={**spec, "status": FlowStatus.DRAFT}
            )
            if created:
                Step.objects.bulk_create(
                    Step(
                        flow=flow,
                        position=n,
                        delay=delay,
                        subject=subject,
                        preheader=preheader,
                        body=body,
                        **options,
                    )
                    for n, (delay, subject, preheader, body, options) in enumerate(steps, start=1)
                )
        result.append((flow, created))
    return result
