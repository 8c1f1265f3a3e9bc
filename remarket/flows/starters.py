"""Starter flows: sensible defaults a shop owner edits, created as drafts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from remarket.flows.models import Flow, FlowStatus, Step, Trigger

_LINES = (
    "<ul>{% for line in cart.lines %}<li>{{ line.quantity }} &times; "
    '<a href="{{ line.product_url }}">{{ line.name }}</a>: {{ line.unit_price }} '
    "{{ cart.currency }}</li>{% endfor %}</ul>"
)
_COUPON = "{% if coupon %}<p><strong>{{ coupon.code }}</strong></p>{% endif %}"


def starter_flows() -> list[dict[str, Any]]:
    """The four starters, in the active language (call inside ``translation.override``)."""
    hello = "<p>" + _("Hi {{ contact.name|default:'there' }},") + "</p>"
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
                    hello + "<p>" + _("Your cart is waiting for you:") + "</p>" + _LINES,
                ),
                (
                    timedelta(hours=23),
                    _("Still thinking it over?"),
                    hello + "<p>" + _("Your cart is still saved. Need any help?") + "</p>" + _LINES,
                ),
                (
                    timedelta(hours=48),
                    _("A little something to help you decide"),
                    hello
                    + "<p>"
                    + _("Here is a discount for the items in your cart:")
                    + "</p>"
                    + _COUPON
                    + _LINES,
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
                    hello
                    + "<p>"
                    + _("Thank you for your order. Customers who bought it also liked:")
                    + "</p><ul>{% for product in recommendations %}<li>"
                    '<a href="{{ product.url }}">{{ product.name }}</a></li>{% endfor %}</ul>',
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
                    hello
                    + "<p>"
                    + _("It has been a while. Here is a coupon for your next order:")
                    + "</p>"
                    + _COUPON,
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
                    hello
                    + "<p>"
                    + _("You were looking at:")
                    + "</p><ul>{% for product in products %}<li>{{ product.name }}</li>"
                    "{% endfor %}</ul>",
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
                    Step(flow=flow, position=n, delay=delay, subject=subject, body=body)
                    for n, (delay, subject, body) in enumerate(steps, start=1)
                )
        result.append((flow, created))
    return result
