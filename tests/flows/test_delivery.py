"""Claiming, sending exactly once, surviving crashes, dry runs and query counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import Count

from remarket.flows.delivery import FlowCounts, claim, deliver
from remarket.flows.models import Enrollment, Step
from remarket.flows.rechecks import Decision
from remarket.flows.tick import run_tick
from remarket.mail.models import Message
from remarket.people.models import Consent, Contact
from remarket.shop import get_adapter

from .conftest import NOON, make_flow, sent_to, tick

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def due(shop, clock):
    """Factory: ``due(n)`` gives n consenting people with carts whose first email is due."""

    def make(count: int, *, flow=None):
        flow = flow or make_flow(settings={"idle_minutes": 60}, delays=(HOUR, timedelta(days=1)))
        product = shop.product(title="Beans")
        for i in range(count):
            Contact.objects.create(email=f"p{i}@example.com", consent=Consent.GRANTED)
            shop.cart(email=f"p{i}@example.com", items=[(product, 1)], touched=NOON)
        clock.move_to(NOON + HOUR)
        return flow

    return make


def test_a_claimed_message_is_never_claimed_again(due, clock):
    due(3)
    run_tick(max_batches=0)  # enroll only
    first = claim(NOW := NOON + HOUR, 10).messages
    again = claim(NOW, 10)

    assert len(first) == 3
    assert (again.messages, again.selected) == ([], 0)
    assert Message.objects.filter(status="sending").count() == 3


def test_two_ticks_one_after_the_other_send_once(due):
    due(5)
    tick()
    tick()

    assert sorted(sent_to()) == [f"p{i}@example.com" for i in range(5)]
    assert (
        Message.objects.values("enrollment", "step").annotate(n=Count("pk")).filter(n__gt=1).count()
        == 0
    )


def test_a_crash_before_the_esp_call_is_retried_once(due, clock):
    due(2)
    run_tick(max_batches=0)
    claim(NOON + HOUR, 10)  # ... and the process dies here
    clock.shift(timedelta(minutes=5))
    assert tick().reconciled == {}  # still within the lease

    clock.shift(timedelta(minutes=6))
    report = tick()

    assert report.reconciled == {"retried": 2}
    assert sorted(sent_to()) == ["p0@example.com", "p1@example.com"]
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


def test_a_crash_during_the_esp_call_goes_to_review_not_to_a_resend(due, clock):
    due(2)
    run_tick(max_batches=0)
    messages = claim(NOON + HOUR, 10).messages
    Message.objects.filter(pk=messages[0].pk).update(handed_at=NOON + HOUR)
    Message.objects.filter(pk=messages[1].pk).update(
        handed_at=NOON + HOUR, esp_message_id="esp-123"
    )
    clock.shift(timedelta(minutes=11))

    report = tick()

    assert report.reconciled == {"review": 1, "sent": 1}
    assert mail.outbox == []
    assert Message.objects.get(pk=messages[0].pk).status == "review"
    assert Message.objects.get(pk=messages[1].pk).status == "sent"
    # Neither is stuck: both wait for their second step.
    assert set(Enrollment.objects.values_list("state", "next_step__position")) == {("active", 2)}


def test_a_template_error_fails_one_message_and_the_batch_goes_on(due, shop):
    flow = due(2)
    Step.objects.filter(flow=flow, position=1).update(body="{% if %}broken")

    report = tick()

    assert mail.outbox == []
    assert report.flows[flow.slug].failed == 2
    assert Message.objects.filter(status="failed", reason__contains="does not compile").count() == 2


def test_a_missing_variable_renders_empty(due):
    flow = due(1)
    Step.objects.filter(flow=flow, position=1).update(
        body="<p>Hello {{ contact.nickname }}{{ settings.SECRET_KEY }}!</p>"
    )

    tick()

    assert "Hello !" in mail.outbox[0].body


def test_a_dry_run_changes_nothing_and_sends_nothing(due):
    flow = due(3)

    report = run_tick(dry_run=True)

    assert report.flows[flow.slug].enrolled == 3
    assert report.flows[flow.slug].sent == 3
    assert mail.outbox == []
    assert Enrollment.objects.count() == 0
    assert Message.objects.count() == 0


def test_messages_carry_tags_metadata_and_the_esp_id(due):
    flow = due(1)

    tick()

    sent = mail.outbox[0]
    message = Message.objects.get()
    assert sent.tags == ["remarket", f"flow:{flow.slug}", "step:1"]
    assert sent.metadata == {"remarket_message": str(message.pk)}
    assert message.esp_name == "Test"
    assert message.esp_message_id == str(sent.anymail_status.message_id)
    assert message.subject == "Step 1 for p0@example.com"
    assert "Beans;" in message.body_html


def test_queries_per_batch_do_not_grow_with_the_number_of_batches(
    due, django_assert_max_num_queries
):
    due(40)
    run_tick(max_batches=0)
    adapter = get_adapter()
    costs = []
    for _ in range(4):
        with django_assert_max_num_queries(1000) as captured:
            messages = claim(NOON + HOUR, 10).messages
            deliver(messages, NOON + HOUR, adapter, _counts(), dry_run=False)
        costs.append(len(captured))

    assert len(mail.outbox) == 40
    assert len(set(costs)) == 1, costs
    # Per batch of 10 (one wave): a fixed read of the batch, then hand-over, lock, writes
    # and enrollments moved on for the whole wave, not per message.
    assert costs[0] <= 30


def _counts():
    return defaultdict(FlowCounts)


def test_one_broken_message_fails_alone_and_the_batch_goes_on(due, shop):
    flow = due(3)
    broken = Contact.objects.get(email="p1@example.com")
    broken.timezone = "Asia"  # a directory in the zone database, not a zone
    broken.save()
    Step.objects.filter(flow=flow, position=1).update(body='<a href="http://[oops">x</a>')

    report = tick()

    assert report.flows[flow.slug].failed == 3  # the bad link fails each message...
    assert Message.objects.filter(status="failed", reason__contains="ValueError").count() == 3
    assert not Message.objects.filter(status="sending").exists()  # ...and nothing is stuck


def test_an_unsubscribe_during_the_batch_stops_the_send(due, monkeypatch):
    flow = due(2)
    from remarket.mail import sending

    def unsubscribe_p1_first(messages):
        # After the batch's re-checks, just before the messages are handed to the ESP.
        Contact.objects.filter(email="p1@example.com").update(unsubscribed_at=NOON)
        return sending.hand_over(messages)

    monkeypatch.setattr("remarket.flows.sender.hand_over", unsubscribe_p1_first)

    report = tick()

    assert sent_to() == ["p0@example.com"]
    assert report.flows[flow.slug].exited == {"unsubscribed": 1}


def test_a_reclaimed_message_is_never_overwritten_by_the_slow_tick(due, clock, monkeypatch):
    """Tick A claims, stalls past the lease; tick B reclaims and sends; A must not undo it."""
    due(1)
    run_tick(max_batches=0)
    stalled = claim(NOON + HOUR, 10).messages  # tick A, which then stalls
    clock.shift(timedelta(minutes=11))
    tick()  # tick B: reconciles (never handed: retried) and sends
    assert len(mail.outbox) == 1
    # Tick A wakes up and decides to defer its (stale) copy of the message.
    monkeypatch.setattr(
        "remarket.flows.delivery.decide",
        lambda **kwargs: Decision("defer", "quiet_hours", until=NOON),
    )

    deliver(stalled, NOON + HOUR, get_adapter(), defaultdict(FlowCounts), dry_run=False)

    message = Message.objects.get()
    assert message.status == "sent"
    assert message.counted_at is not None
    assert Enrollment.objects.get().next_run_at != NOON


@pytest.mark.postgres
def test_a_claim_reads_the_due_index_in_order_without_sorting_the_backlog():
    # A flow launched for 20,000 people makes them all due at the same moment. The claim's
    # order (next_run_at, id) must come from remarket_enrollment_due itself, so taking
    # 1,000 reads about 1,000 rows: a sort would read and order the whole backlog on every
    # claim (55-75 ms per claim at 30,000 due, on disk).
    from django.db import connection, transaction

    from remarket.flows.delivery import due_enrollments
    from tests.seeding import seed_due

    seed_due(3_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE remarket_enrollment")
        cursor.execute("ANALYZE remarket_contact")
    now = Enrollment.objects.order_by("-next_run_at").values_list("next_run_at", flat=True)[0]

    with transaction.atomic():
        plan = due_enrollments(now)[:100].explain(analyze=True)

    assert "Sort" not in plan, plan
    (scan,) = [line for line in plan.splitlines() if "using remarket_enrollment_due" in line]
    assert "actual time" in scan
    assert " rows=100 loops=1)" in scan, plan  # read: 100 rows of the 3,000 due
