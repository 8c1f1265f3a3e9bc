"""Action-based audiences: who matches which rule, once, in a bounded number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from remarket.people.activity import Activity
from remarket.people.models import Contact
from remarket.tracking.audiences import active_rules, newly_matched
from remarket.tracking.events import Item
from remarket.tracking.models import AudienceMatch, AudienceRule, url_regex
from remarket.tracking.queue import build_event, store_activity

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-05-20T12:00:00+00:00")
VISITOR = "v-ana"


def rule(name: str, kind: str, **fields: Any) -> AudienceRule:
    return AudienceRule.objects.create(name=name, kind=kind, **fields)


def did(kind: str, ago: timedelta = timedelta(hours=1), visitor: str = VISITOR, **data: Any):
    product = data.pop("product_id", "")
    return Activity.objects.create(
        visitor_id=visitor, kind=kind, product_id=product, data=data, created_at=NOW - ago
    )


def test_offer_page_three_times_in_a_week():
    rule("offer-page-3x", "url_visits", url_pattern="/offers/", min_count=3, days=7)
    did("page_view", path="/offers/summer/")
    did("page_view", path="/offers/")
    did("page_view", path="/blog/offers/")  # another section: not under /offers/
    did("page_view", ago=timedelta(days=8), path="/offers/old/")  # too long ago
    assert newly_matched(VISITOR, NOW) == []

    did("page_view", path="/offers/winter/")
    assert newly_matched(VISITOR, NOW) == ["offer-page-3x"]
    assert newly_matched(VISITOR, NOW) == [], "a visitor joins an audience once"
    (match,) = AudienceMatch.objects.all()
    assert (match.visitor_id, match.matched_at, match.contact) == (VISITOR, NOW, None)


def test_a_glob_pattern_matches_whole_paths():
    rule("summer", "url_visits", url_pattern="/offers/*/summer", min_count=1)
    did("page_view", path="/offers/2026/summer/extra")
    assert newly_matched(VISITOR, NOW) == []
    did("page_view", path="/offers/2026/summer")
    assert newly_matched(VISITOR, NOW) == ["summer"]


def test_viewed_one_of_some_products():
    rule("mugs", "viewed_product", product_ids="12, 57")
    did("view_item", product_id="99", product_ids=["99"])
    did("page_view", path="/product/57/", product_id="57")  # a page view is no product view
    assert newly_matched(VISITOR, NOW) == []
    did("view_item", product_id="57", product_ids=["57"])
    assert newly_matched(VISITOR, NOW) == ["mugs"]


def test_viewed_a_category_twice_ignores_case_and_spaces():
    rule("tea-lovers", "viewed_category", category="Tea", min_count=2)
    did("view_item", product_id="1", category="tea ")
    did("view_item", product_id="2", category="Coffee")
    assert newly_matched(VISITOR, NOW) == []
    did("view_item_list", category="TEA")
    assert newly_matched(VISITOR, NOW) == ["tea-lovers"]


def test_added_to_cart_and_bought_nothing_since():
    rule("cart-no-buy", "cart_without_purchase", days=3)
    did("add_to_cart", ago=timedelta(days=5), product_id="1")  # outside the 3 days
    assert newly_matched(VISITOR, NOW) == []
    did("add_to_cart", ago=timedelta(hours=5), product_id="1")
    did("purchase", ago=timedelta(hours=4))
    assert newly_matched(VISITOR, NOW) == [], "bought after adding"
    did("add_to_cart", ago=timedelta(hours=1), product_id="2")
    assert newly_matched(VISITOR, NOW) == ["cart-no-buy"]


def test_spent_two_minutes_on_the_site():
    rule("engaged-2m", "engaged", min_seconds=120, days=1)
    did("engagement", seconds=50)
    did("engagement", seconds="abc")  # a forged beacon counts for nothing
    did("engagement", seconds=-500)
    did("engagement", ago=timedelta(days=2), seconds=600)  # yesterday's visit is over
    assert newly_matched(VISITOR, NOW) == []
    did("engagement", seconds=70)
    assert newly_matched(VISITOR, NOW) == ["engaged-2m"]


def test_only_active_rules_and_only_this_visitors_activity():
    rule("off", "url_visits", url_pattern="/", active=False)
    rule("on", "url_visits", url_pattern="/offers/")
    did("page_view", visitor="v-bob", path="/offers/")
    did("page_view", path="/")
    assert newly_matched(VISITOR, NOW) == []
    assert newly_matched("v-bob", NOW) == ["on"]


def test_the_match_names_the_contact_when_known():
    contact = Contact.objects.create(email="ana@example.com")
    rule("any-page", "url_visits", url_pattern="/")
    Activity.objects.create(
        visitor_id=VISITOR, contact=contact, kind="page_view", data={"path": "/"}, created_at=NOW
    )
    assert newly_matched(VISITOR, NOW) == ["any-page"]
    assert AudienceMatch.objects.get().contact == contact


def many_rules(count: int) -> None:
    kinds = [
        {"kind": "url_visits", "url_pattern": "/offers/"},
        {"kind": "viewed_product", "product_ids": "7"},
        {"kind": "viewed_category", "category": "Tea"},
        {"kind": "cart_without_purchase"},
        {"kind": "engaged", "min_seconds": 30},
    ]
    for number in range(count):
        rule(f"rule-{number}", **kinds[number % len(kinds)])


@pytest.mark.parametrize("count", [1, 20])
def test_queries_do_not_grow_with_the_rules(django_assert_max_num_queries, count):
    many_rules(count)
    did("page_view", path="/offers/")
    did("view_item", product_id="7", product_ids=["7"], category="Tea")
    did("add_to_cart", product_id="7")
    did("engagement", seconds=40)
    assert len(active_rules().rules) == count  # as on every page after the first
    with django_assert_max_num_queries(4):
        names = newly_matched(VISITOR, NOW)
    assert len(names) == count
    with django_assert_max_num_queries(1):
        assert newly_matched(VISITOR, NOW) == []


def test_a_concurrent_match_is_not_reported_twice(monkeypatch):
    """Another request records the match between our read and our write: ours is ignored."""
    offers = rule("offers", "url_visits", url_pattern="/offers/")
    did("page_view", path="/offers/")
    real = AudienceMatch.objects.bulk_create

    def racing(objs, **kwargs):
        AudienceMatch.objects.create(rule=offers, visitor_id=VISITOR, matched_at=NOW - timedelta(1))
        return real(objs, **kwargs)

    monkeypatch.setattr(AudienceMatch.objects, "bulk_create", racing)
    assert newly_matched(VISITOR, NOW) == []
    assert AudienceMatch.objects.count() == 1


@pytest.mark.postgres
def test_a_concurrent_match_on_postgresql(monkeypatch):
    test_a_concurrent_match_is_not_reported_twice(monkeypatch)


@pytest.mark.postgres
def test_matching_on_postgresql(django_assert_max_num_queries):
    many_rules(10)
    did("page_view", path="/offers/")
    did("view_item", product_id="7", product_ids=["7"], category="Tea")
    active_rules()
    with django_assert_max_num_queries(4):
        assert len(newly_matched(VISITOR, NOW)) == 6  # url and product and category rules
    assert newly_matched(VISITOR, NOW) == []


def test_a_visitor_matches_a_rule_once_in_the_database():
    offers = rule("offers", "url_visits", url_pattern="/offers/")
    AudienceMatch.objects.create(rule=offers, visitor_id=VISITOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        AudienceMatch.objects.create(rule=offers, visitor_id=VISITOR)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/offers/", "/offers/", True),
        ("/offers/", "/offers/a/b", True),
        ("/offers/", "/offer", False),
        ("/offers/*/summer", "/offers/x/y/summer", True),
        ("/offers/*/summer", "/offers/x/summer/", False),
        ("/p/a.b", "/p/aXb", False),  # a dot is a dot, not "any character"
        ("/*.html", "/tea.html", True),
    ],
)
def test_url_patterns(pattern, path, expected):
    assert bool(url_regex(pattern).match(path)) is expected


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "url_visits", "url_pattern": "offers"}, "url_pattern", "starts with /"),
        ({"kind": "url_visits", "url_pattern": "/a b"}, "url_pattern", "no spaces"),
        ({"kind": "url_visits", "url_pattern": "/search?q=tea"}, "url_pattern", "?"),
        ({"kind": "url_visits", "url_pattern": "/[a-z]+"}, "url_pattern", "brackets"),
        ({"kind": "url_visits", "url_pattern": "/*a*b*c*"}, "url_pattern", "at most three *"),
        ({"kind": "viewed_product", "product_ids": " , "}, "product_ids", "at least one"),
        ({"kind": "viewed_category", "category": "  "}, "category", "category name"),
        ({"kind": "url_visits", "url_pattern": "/", "days": 0}, "days", "greater than or equal"),
        ({"kind": "url_visits", "url_pattern": "/", "name": "offer page"}, "name", "slug"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_with_a_reason(fields, field, words):
    candidate = AudienceRule(**{"name": "x", **fields})
    with translation.override("en"):  # the messages are lazy: read them in English too
        with pytest.raises(ValidationError) as caught:
            candidate.full_clean()
        assert any(words in message for message in caught.value.message_dict[field])


@translation.override("en")
def test_describe_reads_like_a_sentence():
    assert (
        AudienceRule(kind="url_visits", url_pattern="/offers/", min_count=3, days=7).describe()
        == "at least 3 visits to /offers/ in the last 7 days"
    )
    assert (
        AudienceRule(kind="viewed_product", product_ids="12,57", min_count=1, days=1).describe()
        == "viewed product 12, 57 at least 1 time in the last day"
    )
    assert (
        AudienceRule(kind="engaged", min_seconds=120, days=30).describe()
        == "at least 120 seconds on the site in the last 30 days"
    )


def test_paths_match_case_sensitively_and_like_wildcards_are_literal():
    rule("under", "url_visits", url_pattern="/sale_50%/")
    did("page_view", path="/SALE_50%/shoes")  # another case: another page
    did("page_view", path="/saleX50X/shoes")  # _ and % are not wildcards
    assert newly_matched(VISITOR, NOW) == []
    did("page_view", path="/sale_50%/shoes")
    assert newly_matched(VISITOR, NOW) == ["under"]


def test_a_product_among_several_viewed_items_counts():
    rule("kettles", "viewed_product", product_ids="K-2")
    did("view_item", product_id="K-1", product_ids=["K-1", "k-2", "K-22"])
    assert newly_matched(VISITOR, NOW) == []
    did("view_item", product_id="K-1", product_ids=["K-1", "K-2"])
    assert newly_matched(VISITOR, NOW) == ["kettles"]


def test_categories_fold_case_beyond_ascii(rf):
    rule("tra", "viewed_category", category="Trà xanh")
    request = rf.get("/p/1/")
    request.COOKIES.update({"remarket_consent": "granted.t1", "remarket_id": "T" * 22})
    item = Item(id="1", category=" TRÀ XANH ")
    store_activity(request, build_event("view_item", item=item))  # as the tag stores it
    assert newly_matched("T" * 22, timezone.now()) == ["tra"]


def test_whole_seconds_of_numbers_only():
    rule("engaged-1m", "engaged", min_seconds=60, days=1)
    did("engagement", seconds=30.9)
    did("engagement", seconds="29")  # a number as text, as a hand-made beacon might send
    did("engagement", seconds=True)
    did("engagement", seconds=None)
    assert newly_matched(VISITOR, NOW) == []
    did("engagement", seconds=1)
    assert newly_matched(VISITOR, NOW) == ["engaged-1m"]
