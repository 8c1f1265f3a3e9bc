"""The flow list and pages cost the same number of queries with 10 or 1,000 flows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from remarket.flows.models import Enrollment, Flow, FlowStatus, Step, Trigger
from remarket.people.models import Contact

pytestmark = pytest.mark.django_db

#: Session, user, permissions, two counts, the page of flows with its step and people counts.
CHANGELIST_QUERIES = 7


def many_flows(count: int) -> None:
    """``count`` flows with two steps each; every tenth has someone waiting in it."""
    flows = Flow.objects.bulk_create(
        Flow(
            name=f"Flow {n}",
            slug=f"flow-{n}",
            trigger=Trigger.CART_ABANDONED,
            status=FlowStatus.LIVE if n % 2 else FlowStatus.DRAFT,
        )
        for n in range(count)
    )
    steps = Step.objects.bulk_create(
        Step(flow=flow, position=p, delay=timedelta(hours=p), subject="Hi", body="<p>Hi</p>")
        for flow in flows
        for p in (1, 2)
    )
    contact = Contact.objects.create(email="ann@example.com")
    Enrollment.objects.bulk_create(
        Enrollment(
            flow=step.flow,
            contact=contact,
            subject_type="cart",
            subject_key=str(step.pk),
            triggered_at=timezone.now(),
            next_step=step,
        )
        for step in steps[::20]
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_the_flow_list_costs_a_fixed_number_of_queries(
    count, builder_client, django_assert_max_num_queries
):
    many_flows(count)

    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = builder_client.get(reverse("admin:remarket_flow_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"{min(count, 100)} flows" in page or f"{count} flows" in page
    assert page.count('class="field-steps">2</td>') == min(count, 100)


def test_the_list_counts_the_people_waiting_per_flow(builder_client):
    many_flows(10)

    page = builder_client.get(reverse("admin:remarket_flow_changelist")).content
    # Ten flows, two steps each, one enrollment on every twentieth step: one flow has one.
    assert page.decode().count('class="field-waiting">1</td>') == 1
