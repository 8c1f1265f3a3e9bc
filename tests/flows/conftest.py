"""Flows run on the example shop; REMARKET defaults (cap, quiet hours) unless a test says."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from remarket.flows.models import Flow, FlowStatus, Step, Trigger
from remarket.flows.tick import TickReport, run_tick
from remarket.people.models import Consent, Contact
from tests.shapes import SHAPES

#: A Monday at noon UTC: outside the default quiet hours (21:00-08:00).
NOON = datetime.fromisoformat("2026-03-02T12:00:00+00:00")


@pytest.fixture
def shop(settings: Any) -> Any:
    settings.REMARKET = {**SHAPES[0].settings, "SHOP_NAME": "Test Coffee"}
    return SHAPES[0]


@pytest.fixture
def clock():
    """Time travel: starts at NOON; ``clock.move_to(...)`` / ``clock.shift(...)``."""
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def make_flow(
    trigger: str = Trigger.CART_ABANDONED,
    *,
    slug: str = "",
    settings: dict | None = None,
    delays: tuple[timedelta, ...] = (timedelta(hours=1),),
    live: bool = True,
    **fields: Any,
) -> Flow:
    flow = Flow.objects.create(
        name=slug or trigger,
        slug=slug or trigger.replace("_", "-"),
        trigger=trigger,
        trigger_settings=settings or {},
        status=FlowStatus.LIVE if live else FlowStatus.DRAFT,
        **fields,
    )
    for position, delay in enumerate(delays, start=1):
        Step.objects.create(
            flow=flow,
            position=position,
            delay=delay,
            subject=f"Step {position} for {{{{ contact.email }}}}",
            body="<p>{% for line in cart.lines %}{{ line.name }};{% endfor %}</p>",
        )
    return flow


def consenting(email: str) -> Contact:
    contact, _ = Contact.objects.get_or_create(email=email)
    contact.consent = Consent.GRANTED
    contact.save()
    return contact


def tick(**kwargs: Any) -> TickReport:
    return run_tick(**kwargs)


def sent_to() -> list[str]:
    return [m.to[0] for m in mail.outbox]
