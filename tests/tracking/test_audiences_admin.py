"""The audience rules admin: validated form, readable list with match counts, actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from remarket.tracking.models import AudienceMatch, AudienceRule

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:remarket_audiencerule_changelist")
ADD = reverse("admin:remarket_audiencerule_add")


def form(**fields):
    return {
        "name": "offer-page-3x",
        "kind": "url_visits",
        "active": "on",
        "url_pattern": "/offers/",
        "product_ids": "",
        "category": "",
        "min_count": "3",
        "min_seconds": "60",
        "days": "7",
        **fields,
    }


def test_a_shop_owner_adds_a_rule(admin_client):
    response = admin_client.post(ADD, form())
    assert response.status_code == 302
    created = AudienceRule.objects.get()
    assert (created.name, created.url_pattern, created.min_count, created.days) == (
        "offer-page-3x",
        "/offers/",
        3,
        7,
    )


def test_a_broken_pattern_is_refused_with_a_reason(admin_client):
    response = admin_client.post(ADD, form(url_pattern="offers/*"))
    assert response.status_code == 200
    assert "Write a path that starts with /" in response.content.decode()
    assert not AudienceRule.objects.exists()


def test_the_form_explains_each_field_with_an_example(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert "such as /offers/ (every page under it)" in page
    assert "comma-separated, e.g. 12, 57" in page


def make_rules(count: int) -> None:
    AudienceRule.objects.bulk_create(
        AudienceRule(
            name=f"rule-{number}", kind="url_visits", url_pattern=f"/p{number}/", min_count=2
        )
        for number in range(count)
    )
    AudienceMatch.objects.bulk_create(
        AudienceMatch(rule=rule, visitor_id=f"v{visitor}")
        for number, rule in enumerate(AudienceRule.objects.order_by("pk"))
        for visitor in range(number % 3)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_changelist_shows_rules_and_match_counts_without_a_query_per_row(
    admin_client, django_assert_max_num_queries, count
):
    make_rules(count)
    admin_client.get(CHANGELIST)  # warm the session and content types
    with django_assert_max_num_queries(8):
        page = admin_client.get(CHANGELIST).content.decode()
    assert "at least 2 visits to /p0/ in the last 30 days" in page
    assert '<td class="field-match_count">2</td>' in page


@pytest.mark.parametrize("count", [10, 1000])
def test_the_match_list_costs_the_same_for_many_rows(
    admin_client, django_assert_max_num_queries, count
):
    make_rules(count)
    matches = reverse("admin:remarket_audiencematch_changelist")
    admin_client.get(matches)
    with django_assert_max_num_queries(8):
        page = admin_client.get(matches).content.decode()
    assert "rule-2" in page


def test_activate_and_deactivate(admin_client):
    make_rules(2)
    ids = list(AudienceRule.objects.values_list("pk", flat=True))
    response = admin_client.post(
        CHANGELIST, {"action": "deactivate", "_selected_action": ids}, follow=True
    )
    assert "2 rules deactivated." in response.content.decode()
    assert not AudienceRule.objects.filter(active=True).exists()
    admin_client.post(CHANGELIST, {"action": "activate", "_selected_action": ids[:1]})
    assert list(AudienceRule.objects.filter(active=True).values_list("pk", flat=True)) == ids[:1]


def test_matches_are_read_only(admin_client):
    make_rules(3)
    assert admin_client.get(reverse("admin:remarket_audiencematch_add")).status_code == 403
    page = admin_client.get(reverse("admin:remarket_audiencematch_changelist"))
    assert page.status_code == 200
    assert "rule-2" in page.content.decode()


def test_a_viewer_cannot_switch_rules_on_or_off():
    from tests.admin.conftest import client_for, make_staff

    make_rules(1)
    viewer = client_for(make_staff("viewer", "view_audiencerule"))
    rule = AudienceRule.objects.get()

    viewer.post(CHANGELIST, {"action": "deactivate", "_selected_action": [rule.pk]})

    assert AudienceRule.objects.get().active
