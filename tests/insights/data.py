"""Flows, messages and orders with known figures, for the figures and dashboard tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from remarket.flows.models import Enrollment, EnrollmentState, Flow, FlowStatus, Step, Trigger
from remarket.insights.models import Conversion
from remarket.mail.models import Message, MessageStatus
from remarket.people.models import Contact

#: A Monday at noon UTC.
NOON = datetime.fromisoformat("2026-03-02T12:00:00+00:00")


def flow_with_steps(slug: str, steps: int = 2, **fields: Any) -> Flow:
    fields.setdefault("name", slug.replace("-", " ").capitalize())
    flow = Flow.objects.create(
        slug=slug, trigger=Trigger.CART_ABANDONED, status=FlowStatus.LIVE, **fields
    )
    Step.objects.bulk_create(
        Step(flow=flow, position=n, subject=f"Email {n}", body="<p>Hi</p>")
        for n in range(1, steps + 1)
    )
    return flow


def enroll(flow: Flow, contact: Contact, *, state: str = EnrollmentState.ACTIVE, **fields: Any):
    return Enrollment.objects.create(
        flow=flow,
        contact=contact,
        subject_type="cart",
        subject_key=f"{flow.slug}-{contact.pk}-{Enrollment.objects.count()}",
        triggered_at=NOON - timedelta(days=1),
        state=state,
        **fields,
    )


def message(enrollment: Enrollment, step: Step, status: str = MessageStatus.SENT, **fields):
    if status == MessageStatus.SENT:
        fields.setdefault("sent_at", NOON - timedelta(hours=1))
    return Message.objects.create(
        enrollment=enrollment,
        step=step,
        contact=enrollment.contact,
        address=enrollment.contact.email,
        status=status,
        **fields,
    )


def order(message: Message | None, value: str, currency: str = "EUR", **fields) -> Conversion:
    contact = message.contact if message else Contact.objects.create(email="walk-in@example.com")
    return Conversion.objects.create(
        order_key=f"order-{Conversion.objects.count() + 1}",
        contact=contact,
        value=Decimal(value),
        currency=currency,
        placed_at=fields.pop("placed_at", NOON - timedelta(minutes=30)),
        message=message,
        flow=message.step.flow if message else None,
        step=message.step if message else None,
        rule="click" if message else "none",
        **fields,
    )


def many(flows: int, messages: int) -> None:
    """``flows`` one-step flows and ``messages`` sent messages spread over them, in bulk."""
    Flow.objects.bulk_create(
        Flow(name=f"Flow {n}", slug=f"flow-{n}", trigger=Trigger.CART_ABANDONED)
        for n in range(flows)
    )
    created = list(Flow.objects.filter(slug__startswith="flow-"))
    steps = Step.objects.bulk_create(
        Step(flow=flow, position=1, subject="Hi", body="Hi") for flow in created
    )
    contacts = Contact.objects.bulk_create(
        Contact(email=f"person-{n}@example.com") for n in range(messages)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            flow=created[n % flows],
            contact=contact,
            subject_type="cart",
            subject_key=str(n),
            triggered_at=NOON,
        )
        for n, contact in enumerate(contacts)
    )
    sent = Message.objects.bulk_create(
        Message(
            enrollment=enrollment,
            step=steps[n % flows],
            contact=enrollment.contact,
            address=enrollment.contact.email,
            status=MessageStatus.SENT,
            sent_at=NOON - timedelta(days=n % 40),
            opened_at=NOON if n % 3 == 0 else None,
            clicked_at=NOON - timedelta(days=n % 7) if n % 5 == 0 else None,
        )
        for n, enrollment in enumerate(enrollments)
    )
    Conversion.objects.bulk_create(
        Conversion(
            order_key=f"bulk-{n}",
            contact=m.contact,
            value=Decimal("20.00"),
            currency="EUR" if n % 2 else "USD",
            placed_at=NOON - timedelta(days=n % 35),
            message=m,
            flow_id=m.step.flow_id,
            step_id=m.step_id,
            rule="click",
        )
        for n, m in enumerate(sent[::10])
    )
