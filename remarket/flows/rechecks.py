"""Tick step (c): everything re-checked right before a message is sent (DESIGN decision 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from remarket.conf import conf
from remarket.flows.conditions import Facts, condition_holds
from remarket.flows.models import ConsentPolicy, Enrollment, ExitReason, Flow, Step
from remarket.flows.triggers import get_trigger
from remarket.people.models import Consent, Contact
from remarket.shop import CartSnapshot, CartState, CustomerStats


@dataclass(frozen=True)
class Decision:
    """What to do with one claimed message: ``exit``, ``skip``, ``defer`` or ``send``."""

    action: str
    reason: str = ""
    until: datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a directory: OSError
        return ZoneInfo(conf.TIME_ZONE)


def quiet_until(now: datetime, contact: Contact) -> datetime | None:
    """The end of the quiet hours ``now`` falls in, for this contact; ``None`` if none."""
    hours = conf.QUIET_HOURS
    if not hours:
        return None
    start, end = (time.fromisoformat(value) for value in hours)
    local = now.astimezone(_zone(contact.timezone or conf.TIME_ZONE))
    clock = local.time()
    quiet = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not quiet:
        return None
    day = local.date() + timedelta(days=1) if start > end and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=local.tzinfo)


def exit_reason(
    enrollment: Enrollment,
    flow: Flow,
    contact: Contact,
    stats: CustomerStats | None,
    cart: CartSnapshot | None,
) -> str:
    """Why this person leaves the flow now, or ``""`` to go on."""
    if not flow.is_live:
        return ExitReason.FLOW_PAUSED
    if contact.unsubscribed_at:
        return ExitReason.UNSUBSCRIBED
    if contact.suppressed_at:
        return ExitReason.SUPPRESSED
    if contact.consent == Consent.WITHDRAWN:
        return ExitReason.CONSENT
    policy = flow.consent_policy
    consented = contact.consent == Consent.GRANTED
    if policy == ConsentPolicy.OPTED_IN and not consented:
        return ExitReason.CONSENT
    if policy == ConsentPolicy.CUSTOMERS and not consented and not (stats and stats.orders):
        return ExitReason.CONSENT
    trigger = get_trigger(flow.trigger)
    if flow.exit_on_order and stats and stats.last_order_at > trigger.orders_after(enrollment):
        return ExitReason.ORDERED
    if enrollment.subject_type == "cart":
        if cart is None or cart.state is CartState.GONE:
            return ExitReason.CART_GONE
        if cart.state is CartState.ORDERED:
            return ExitReason.ORDERED
    return ""


def decide(
    *,
    now: datetime,
    enrollment: Enrollment,
    flow: Flow,
    step: Step,
    contact: Contact,
    stats: CustomerStats | None,
    cart: CartSnapshot | None,
    opened_previous: bool | None,
    capped: bool,
    opted_out: bool = False,
) -> Decision:
    """The decision for one message, from facts gathered for the whole batch."""
    reason = ExitReason.UNSUBSCRIBED if opted_out else ""
    reason = reason or exit_reason(enrollment, flow, contact, stats, cart)
    if reason:
        return Decision("exit", reason)
    facts = Facts(
        cart_total=cart.total if cart else None,
        opened_previous=opened_previous,
        order_count=stats.orders if stats else 0,
    )
    if not condition_holds(step.condition, facts):
        return Decision("skip", "condition")
    if capped:
        return Decision("skip", "frequency_cap")
    until = quiet_until(now, contact)
    if until is not None:
        return Decision("defer", "quiet_hours", until=until)
    return Decision("send")
