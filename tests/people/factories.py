"""A person with a full history (for privacy and admin tests), and bulk rows for lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from remarket.flows.models import Enrollment, EnrollmentState, Flow, FlowStatus, Step, Trigger
from remarket.insights.models import Conversion
from remarket.mail.models import Message, MessageEvent, MessageStatus
from remarket.people.activity import Activity
from remarket.people.history import ChangeKind, ChangeSource, record_change
from remarket.people.models import Consent, ConsentSource, Contact
from remarket.shop.models import CartEmail


def make_flow(slug: str = "cart", steps: int = 2) -> Flow:
    flow = Flow.objects.create(
        name=f"Flow {slug}", slug=slug, trigger=Trigger.CART_ABANDONED, status=FlowStatus.LIVE
    )
    for position in range(1, steps + 1):
        Step.objects.create(
            flow=flow,
            position=position,
            delay=timedelta(hours=position),
            subject=f"Step {position}",
            body="<p>Hi</p>",
        )
    return flow


def snapshot(email: str, name: str) -> dict:
    return {
        "key": "c-42",
        "email": email,
        "name": name,
        "user_id": "7",
        "currency": "EUR",
        "total": "42.00",
        "last_activity": "2026-03-01T10:00:00+00:00",
        "lines": [{"product_id": "p1", "name": "Blue mug", "quantity": 1, "unit_price": "42.00"}],
        "note": f"typed by {email}",
    }


def person(
    email: str = "ann@example.com",
    *,
    flow: Flow | None = None,
    at: datetime | None = None,
    name: str = "Ann Example",
) -> Contact:
    """A contact with a consent change, activity, an enrollment, two emails and an order."""
    at = at or timezone.now() - timedelta(days=3)
    flow = flow or make_flow()
    contact = Contact.objects.create(
        email=email,
        name=name,
        locale="fa",
        timezone="Asia/Tehran",
        consent=Consent.GRANTED,
        consent_source=ConsentSource.CHECKOUT,
        consent_at=at,
    )
    record_change(contact.pk, ChangeKind.GRANTED, ChangeSource.CHECKOUT, at=at)
    Activity.objects.create(
        contact=contact,
        visitor_id=f"v-{contact.pk}",
        kind="view_item",
        product_id="p1",
        data={"url": "/mug/"},
        created_at=at,
    )
    # Before the person was known: same browser, no contact yet.
    Activity.objects.create(visitor_id=f"v-{contact.pk}", kind="page_view", created_at=at)
    enrollment = Enrollment.objects.create(
        flow=flow,
        contact=contact,
        subject_type="cart",
        subject_key=f"c-{contact.pk}",
        snapshot=snapshot(email, name),
        state=EnrollmentState.COMPLETED,
        triggered_at=at,
        finished_at=at + timedelta(hours=3),
    )
    messages = []
    for step in flow.steps.order_by("position"):
        sent = at + step.delay
        message = Message.objects.create(
            enrollment=enrollment,
            step=step,
            contact=contact,
            address=email,
            status=MessageStatus.SENT,
            subject=f"{name}, your cart is waiting",
            body_text=f"Hi {name}, your mug is waiting. Sent to {email}.",
            body_html=f"<p>Hi {name}, your mug</p><script>parent.pwned = 1</script>",
            esp_name="test",
            esp_message_id=f"esp-{contact.pk}-{step.position}",
            coupon_code=f"SAVE-{contact.pk}-{step.position}",
            created_at=sent,
            sent_at=sent,
            delivered_at=sent,
            opened_at=sent + timedelta(minutes=5) if step.position == 1 else None,
            clicked_at=sent + timedelta(minutes=6) if step.position == 1 else None,
        )
        MessageEvent.objects.create(
            message=message,
            esp_name="test",
            event_id=f"ev-{message.pk}",
            event_type="delivered",
            timestamp=sent,
            recipient=email,
            detail=f"250 ok <{email}>",
        )
        messages.append(message)
    Conversion.objects.create(
        order_key=f"o-{contact.pk}",
        contact=contact,
        value=Decimal("42.00"),
        currency="EUR",
        placed_at=at + timedelta(hours=2),
        message=messages[0],
        flow=flow,
        step=messages[0].step,
        rule="click",
    )
    CartEmail.objects.create(
        cart_type=ContentType.objects.get_for_model(Contact),
        cart_key=f"c-{contact.pk}",
        email=email,
    )
    return contact


def bulk_messages(count: int, flow: Flow, *, prefix: str = "bulk") -> list[Contact]:
    """``count`` contacts, each with one enrollment and one sent message of ``flow``."""
    step = flow.steps.order_by("position").first()
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        Contact(email=f"{prefix}-{i}@example.com", name=f"Person {i}") for i in range(count)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            flow=flow,
            contact=contact,
            subject_type="cart",
            subject_key=f"{prefix}-{contact.pk}",
            state=EnrollmentState.ACTIVE,
            triggered_at=now,
            next_step=step,
            next_run_at=now,
        )
        for contact in contacts
    )
    Message.objects.bulk_create(
        Message(
            enrollment=enrollment,
            step=step,
            contact=enrollment.contact,
            address=enrollment.contact.email,
            status=MessageStatus.SENT,
            subject="Your cart",
            body_html="<p>Hi</p>" * 50,
            sent_at=now,
        )
        for enrollment in enrollments
    )
    return contacts
