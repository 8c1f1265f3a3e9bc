"""How many people a flow would take in now: counted, bounded, and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from remarket.flows.models import Enrollment, EnrollmentState
from remarket.flows.reach import reach
from remarket.people.models import Contact

from .conftest import make_flow

pytestmark = pytest.mark.django_db


def abandoned(shop, *emails: str) -> None:
    two_hours_ago = timezone.now() - timedelta(hours=2)
    for email in emails:
        shop.cart(email=email, touched=two_hours_ago)


def test_reach_stops_at_its_limit_and_says_so(shop):
    flow = make_flow(live=False)
    shop.bulk_carts(30, timezone.now() - timedelta(hours=2))

    counted = reach(flow, limit=10)

    assert counted.capped
    assert counted.count >= 10
    assert reach(flow).count == 30
    assert not reach(flow).capped


def test_reach_leaves_out_people_cooling_down_in_the_flow(shop):
    flow = make_flow(live=False)
    abandoned(shop, "ann@example.com", "bob@example.com")
    ann = Contact.objects.create(email="ann@example.com")
    Enrollment.objects.create(
        flow=flow,
        contact=ann,
        subject_type="cart",
        subject_key="old",
        triggered_at=timezone.now() - timedelta(days=1),
        state=EnrollmentState.COMPLETED,
        created_at=timezone.now() - timedelta(days=1),
    )

    assert reach(flow).count == 1


def test_reach_leaves_out_unsubscribed_people_and_creates_nobody(shop):
    flow = make_flow(live=False)
    abandoned(shop, "ann@example.com", "bob@example.com")
    Contact.objects.create(email="bob@example.com", unsubscribed_at=timezone.now())

    assert reach(flow).count == 1
    assert list(Contact.objects.values_list("email", flat=True)) == ["bob@example.com"]
    assert not Enrollment.objects.exists()
