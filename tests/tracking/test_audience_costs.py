"""What audiences cost a page: nothing without a relevant rule, and few queries with one.

The rules are cached per process; a page stores its view only when a page-visit rule
counts its path, and evaluates only the rules that read what the page stored and that
the session does not already know the visitor matched.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache

from remarket.people.activity import Activity
from remarket.tracking import audiences
from remarket.tracking.audiences import VERSION_KEY, active_rules
from remarket.tracking.models import AudienceMatch, AudienceRule
from remarket.tracking.page import head
from remarket.tracking.queue import SESSION_MATCHED, track

pytestmark = pytest.mark.django_db

VISITOR = "W" * 22
META = {"meta": {"pixel_id": "123456789012345"}}


@pytest.fixture(autouse=True)
def meta(settings):
    settings.REMARKET = {**settings.REMARKET, "PROVIDERS": META}


@pytest.fixture
def session():
    return SessionStore()


def visit(rf, session, path="/p/mug/"):
    request = rf.get(path)
    request.COOKIES.update({"remarket_consent": "granted.c1", "remarket_id": VISITOR})
    request.session, request.user = session, AnonymousUser()
    return request


def test_no_rules_no_query_and_no_page_view(rf, session, django_assert_num_queries):
    request = visit(rf, session)
    track(request, "add_to_cart", item={"id": "7", "price": "3"})  # flows need this row
    active_rules()  # loaded once per process
    with django_assert_num_queries(0):
        html = head(request)
    assert 'fbq("track","AddToCart"' in html
    assert list(Activity.objects.values_list("kind", flat=True)) == ["add_to_cart"]


def test_rules_that_this_page_does_not_concern_cost_nothing(rf, session, django_assert_num_queries):
    AudienceRule.objects.create(name="offers", kind="url_visits", url_pattern="/offers/")
    AudienceRule.objects.create(name="mugs", kind="viewed_product", product_ids="7")
    active_rules()
    with django_assert_num_queries(0):
        assert "fbq(" in head(visit(rf, session, "/p/mug/"))
    assert not Activity.objects.exists()


def test_a_relevant_page_is_counted_and_a_known_match_is_not_asked_again(
    rf, session, django_assert_max_num_queries, django_assert_num_queries
):
    AudienceRule.objects.create(name="mug-fan", kind="url_visits", url_pattern="/p/*", min_count=2)
    AudienceRule.objects.create(name="cart", kind="cart_without_purchase")
    active_rules()
    with django_assert_max_num_queries(3):  # insert, matched rules, activity
        assert "remarket_audience" not in head(visit(rf, session))
    html = head(visit(rf, session))
    assert '"audience":"mug-fan"' in html
    assert session[SESSION_MATCHED] == [VISITOR, [AudienceRule.objects.get(name="mug-fan").pk]]
    session.save()
    with django_assert_num_queries(1):  # the page view's INSERT; nothing asked about audiences
        assert "remarket_audience" not in head(visit(rf, session))
    assert Activity.objects.filter(kind="page_view").count() == 3
    assert AudienceMatch.objects.count() == 1


def test_a_saved_rule_is_seen_at_once_here_and_through_the_version_elsewhere(monkeypatch):
    assert active_rules().rules == ()
    rule = AudienceRule.objects.create(name="offers", kind="url_visits", url_pattern="/offers/")
    assert active_rules().rules == (rule,)  # this process: at once
    assert active_rules().wants_page_view("/offers/summer/")
    assert not active_rules().wants_page_view("/p/mug/")

    # Another process changed the rules: the version moves, this copy is stale.
    AudienceRule.objects.filter(pk=rule.pk).update(active=False)  # no signal, like elsewhere
    cache.set(VERSION_KEY, "from-another-process")
    clock = [audiences.time.monotonic()]
    monkeypatch.setattr(audiences.time, "monotonic", lambda: clock[0])
    assert active_rules().rules == (rule,), "checked at most every CHECK_SECONDS"
    clock[0] += audiences.CHECK_SECONDS
    assert active_rules().rules == ()

    # Without a shared cache, MAX_AGE_SECONDS bounds the staleness.
    AudienceRule.objects.filter(pk=rule.pk).update(active=True)
    clock[0] += audiences.CHECK_SECONDS
    assert active_rules().rules == ()
    clock[0] += audiences.MAX_AGE_SECONDS
    assert active_rules().rules == (rule,)
