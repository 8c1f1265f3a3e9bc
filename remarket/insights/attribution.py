"""Credit orders to the message that earned them (tick step (d))."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from remarket.conf import conf
from remarket.insights.models import AttributionRule, Conversion
from remarket.mail.models import Message
from remarket.people.models import Contact
from remarket.shop import OrderSnapshot


def attribute(order: OrderSnapshot, messages: list[Message]) -> tuple[Message | None, str]:
    """The message whose coupon the order used; else the last one clicked within the click
    window; else the last one opened within the open window."""
    placed = order.placed_at
    if order.coupon_code:
        for message in messages:
            if message.coupon_code and message.coupon_code == order.coupon_code:
                return message, AttributionRule.COUPON
    clicked = [
        m
        for m in messages
        if m.clicked_at and placed - conf.CLICK_ATTRIBUTION_WINDOW <= m.clicked_at <= placed
    ]
    if clicked:
        return max(clicked, key=lambda m: m.clicked_at), AttributionRule.CLICK
    opened = [
        m
        for m in messages
        if m.opened_at and placed - conf.OPEN_ATTRIBUTION_WINDOW <= m.opened_at <= placed
    ]
    if opened:
        return max(opened, key=lambda m: m.opened_at), AttributionRule.OPEN
    return None, AttributionRule.NONE


def record_conversions(
    orders: list[OrderSnapshot], contacts: dict[str, Contact], involved: set[int]
) -> list[Conversion]:
    """New conversions for orders of contacts remarket was working on, in three queries.

    ``involved`` are the contacts with an enrollment this order concerns; anyone with a
    message in the click window counts too. An order is recorded once (unique key).
    """
    ours = [o for o in orders if o.email in contacts]
    if not ours:
        return []
    earliest = min(o.placed_at for o in ours) - max(
        conf.CLICK_ATTRIBUTION_WINDOW, conf.OPEN_ATTRIBUTION_WINDOW
    )
    messages: dict[int, list[Message]] = {}
    codes = {o.coupon_code for o in ours if o.coupon_code}
    for message in Message.objects.filter(
        Q(clicked_at__gte=earliest) | Q(opened_at__gte=earliest) | Q(coupon_code__in=codes),
        contact__in=[contacts[o.email] for o in ours],
    ).select_related("enrollment"):
        messages.setdefault(message.contact_id, []).append(message)
    rows = []
    for order in ours:
        contact = contacts[order.email]
        message, rule = attribute(order, messages.get(contact.pk, []))
        if message is None and contact.pk not in involved:
            continue
        rows.append(
            Conversion(
                order_key=order.key,
                contact=contact,
                value=Decimal(order.total),
                currency=order.currency,
                placed_at=order.placed_at,
                message=message,
                flow_id=message.enrollment.flow_id if message else None,
                step_id=message.step_id if message else None,
                rule=rule,
            )
        )
    known = set(
        Conversion.objects.filter(order_key__in=[r.order_key for r in rows]).values_list(
            "order_key", flat=True
        )
    )
    Conversion.objects.bulk_create(rows, ignore_conflicts=True)
    return [row for row in rows if row.order_key not in known]
