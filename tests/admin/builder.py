"""POST data for the flow builder, as the admin's change form sends it."""

from __future__ import annotations

from typing import Any

from remarket.flows.models import Flow

SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


def step_fields(index: int, **values: Any) -> dict[str, Any]:
    """One step of the inline formset; ``delay=(2, "hours")`` in the builder's units."""
    number, unit = values.pop("delay", (1, "hours"))
    fields = {
        "id": "",
        "position": "",
        "delay_0": number,
        "delay_1": SECONDS[unit],
        "subject": "",
        "preheader": "",
        "body": "",
        "condition": "{}",
        "coupon_kind": "",
        "coupon_value": "",
        "coupon_days": "3",
        **values,
    }
    return {f"steps-{index}-{name}": value for name, value in fields.items()}


def flow_data(*steps: dict[str, Any], initial: int = 0, **values: Any) -> dict[str, Any]:
    """The whole change form: flow fields, trigger settings, and the given step dicts."""
    idle_number, idle_unit = values.pop("idle", (1, "hours"))
    cooldown_number, cooldown_unit = values.pop("cooldown", (7, "days"))
    data = {
        "name": "Abandoned cart",
        "slug": "abandoned-cart",
        "trigger": "cart_abandoned",
        "cart_abandoned__idle_minutes_0": idle_number,
        "cart_abandoned__idle_minutes_1": SECONDS[idle_unit],
        "cart_abandoned__min_value": "",
        "cart_abandoned__max_age_days": "7",
        "order_placed__min_value": "",
        "order_placed__max_age_days": "1",
        "customer_lapsed__days": "60",
        "customer_lapsed__max_age_days": "30",
        "product_viewed__idle_minutes_0": "4",
        "product_viewed__idle_minutes_1": SECONDS["hours"],
        "product_viewed__max_age_days": "3",
        "consent_policy": "opted_in",
        "priority": "90",
        "reentry_cooldown_0": cooldown_number,
        "reentry_cooldown_1": SECONDS[cooldown_unit],
        "exit_on_order": "on",
        "from_email": "",
        "reply_to": "",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(initial),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        **values,
    }
    for step in steps:
        data.update(step)
    return data


def existing_steps(flow: Flow, **changes: dict[str, Any]) -> list[dict[str, Any]]:
    """The flow's saved steps as form rows; ``changes={"0": {...}}`` edits row 0."""
    rows = []
    for index, step in enumerate(flow.steps.order_by("position")):
        seconds = int(step.delay.total_seconds())
        delay = (seconds // 3600, "hours") if seconds % 3600 == 0 else (seconds // 60, "minutes")
        values = {
            "id": str(step.pk),
            "flow": str(flow.pk),
            "position": str(step.position),
            "delay": delay,
            "subject": step.subject,
            "preheader": step.preheader,
            "body": step.body,
            **changes.get(str(index), {}),
        }
        rows.append(step_fields(index, **values))
    return rows
