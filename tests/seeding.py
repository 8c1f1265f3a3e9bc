"""Due enrollments in bulk, for the concurrency tests and benchmarks/tick.py."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from remarket.flows.models import Enrollment, Flow, FlowStatus, Step, Trigger
from remarket.people.models import Consent, Contact


def seed_due(
    count: int,
    *,
    slug: str = "win-back",
    subject: str = "We miss you",
    body: str = "<p>Hi</p>",
    chunk: int = 5_000,
) -> Flow:
    """``count`` consenting contacts, each with one due enrollment in a live one-step flow."""
    flow = Flow.objects.create(
        name=slug, slug=slug, trigger=Trigger.CUSTOMER_LAPSED, status=FlowStatus.LIVE
    )
    step = Step.objects.create(
        flow=flow, position=1, delay=timedelta(0), subject=subject, body=body
    )
    past = timezone.now() - timedelta(days=1)
    snapshot = {"last_order_at": (past - timedelta(days=60)).isoformat()}
    for start in range(0, count, chunk):
        contacts = Contact.objects.bulk_create(
            Contact(email=f"{slug}-{i}@example.com", name=f"Ann {i}", consent=Consent.GRANTED)
            for i in range(start, min(start + chunk, count))
        )
        Enrollment.objects.bulk_create(
            Enrollment(
                flow=flow,
                contact=c,
                subject_type="lapse",
                subject_key=c.email,
                snapshot=snapshot,
                triggered_at=past,
                next_step=step,
                next_run_at=past,
            )
            for c in contacts
        )
    return flow
