"""remarket.track() and identify(): one id per event, the session queue, activity, contacts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

import remarket
from remarket.people.activity import Activity
from remarket.people.models import Contact
from remarket.people.visitors import Visitor
from remarket.tracking.events import Item
from remarket.tracking.queue import MAX_QUEUED, SESSION_QUEUE, build_event

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tracking.site")]

META = {"meta": {"pixel_id": "123456789012345"}}


@pytest.fixture
def consenting(client, settings):
    settings.REMARKET = {**settings.REMARKET, "PROVIDERS": META}
    client.post("/remarket/consent/", {"choice": "accept"})
    return client


def test_an_event_before_a_redirect_fires_on_the_next_page(consenting):
    response = consenting.get("/add/", follow=True)
    assert response.redirect_chain == [("/page/", 302)]
    activity = Activity.objects.get(kind="add_to_cart")
    event_id = activity.data["event_id"]
    html = response.content.decode()

    assert (
        f'fbq("track","AddToCart",{{"value":16,"currency":"EUR","content_ids":["sku-1"],'
        f'"content_type":"product","contents":[{{"id":"sku-1","quantity":1,"item_price":16}}],'
        f'"content_name":"Mug"}},{{"eventID":"{event_id}"}});' in html
    )
    assert activity.visitor_id == consenting.cookies["remarket_id"].value
    assert activity.product_id == "sku-1"
    assert activity.data == {
        "event_id": event_id,
        "path": "/add/",
        "product_ids": ["sku-1"],
        "category": "",
        "category_key": "",
        "value": "16.00",
        "currency": "EUR",
    }
    # Fired once: the next page has no AddToCart.
    assert "AddToCart" not in consenting.get("/page/").content.decode()


def test_without_consent_track_returns_an_id_and_keeps_nothing(client):
    response = client.get("/add/")
    assert len(response["X-Event-Id"]) == 32
    assert not Activity.objects.exists()
    assert SESSION_QUEUE not in client.session


def test_a_purchase_uses_the_order_id():
    event = build_event(
        "purchase",
        items=[Item("a", price=Decimal("2.50"), quantity=2), {"item_id": "b", "price": "1"}],
        transaction_id=1042,
    )
    assert (event.id, event.transaction_id) == ("1042", "1042")
    assert (event.value, event.currency) == (Decimal("6.00"), "EUR")
    assert [i.id for i in event.items] == ["a", "b"]


def test_custom_parameters_and_list_views():
    event = build_event("view_item_list", items=[Item("a", price=Decimal(1))], list_name="Mugs")
    assert event.value is None
    assert event.currency == ""
    assert event.params == {"list_name": "Mugs"}
    assert len(event.id) == 32


@pytest.mark.urls("example_project.urls")  # the product's URL names the shop's views
def test_a_product_model_becomes_an_item_through_the_field_map():
    from example_project.shop.models import Category, Product

    mug = Product.objects.create(
        title="Sand Mug",
        slug="sand-mug",
        category=Category.objects.create(label="Mugs", slug="mugs"),
        price=Decimal("16.00"),
    )
    item = build_event("view_item", item=mug).items[0]
    assert (item.id, item.name, item.price, item.category) == (
        str(mug.pk),
        "Sand Mug",
        Decimal("16.00"),
        "Mugs",
    )


def test_the_queue_is_bounded(consenting):
    for _ in range(MAX_QUEUED + 5):
        consenting.get("/add/")
    assert len(consenting.session[SESSION_QUEUE]) == MAX_QUEUED


def test_identify_links_the_visitor_and_earlier_activity_follows(consenting, rf):
    consenting.get("/add/")
    key = consenting.cookies["remarket_id"].value
    request = rf.get("/")
    request.COOKIES.update({name: morsel.value for name, morsel in consenting.cookies.items()})
    request.session = consenting.session

    contact = remarket.identify(request, email="Ann@Example.com ")

    assert contact == Contact.objects.get(email="ann@example.com")
    assert Visitor.objects.get(key=key).contact == contact
    assert Activity.objects.get(kind="add_to_cart").contact == contact
    assert remarket.identify(request, email="not an email") is None


def test_logging_in_links_the_visitor(consenting):
    consenting.get("/add/")
    user = User.objects.create_user("ann", "ann@example.com", "pw")
    consenting.post("/signin/", {"username": "ann", "password": "pw"})
    consenting.get("/add/")

    contact = Contact.objects.get(user=user)
    assert Visitor.objects.get(key=consenting.cookies["remarket_id"].value).contact == contact
    assert {a.contact for a in Activity.objects.filter(kind="add_to_cart")} == {contact}


def test_the_engagement_beacon(consenting):
    post = consenting.post
    assert post("/remarket/collect/", "{}", content_type="text/plain").status_code == 400
    negative = post("/remarket/collect/", '{"seconds": -3}', content_type="text/plain")
    assert negative.status_code == 400
    response = post("/remarket/collect/", json.dumps({"seconds": 99999}), content_type="text/plain")

    assert response.status_code == 204
    row = Activity.objects.get(kind="engagement")
    assert row.data == {"path": "/remarket/collect/", "seconds": 1800}
    assert row.visitor_id == consenting.cookies["remarket_id"].value


@pytest.mark.parametrize(
    "body",
    ['{"seconds": 1e400}', "[" * 100, '{"seconds": "5"}', '{"seconds": true}', '{"seconds": 2.5}'],
)
def test_a_malformed_beacon_is_refused_politely(consenting, body):
    response = consenting.post("/remarket/collect/", body, content_type="text/plain")

    assert response.status_code == 400
    assert not Activity.objects.filter(kind="engagement").exists()


def test_an_oversized_beacon_is_refused(consenting):
    body = json.dumps({"seconds": 5, "pad": "x" * 1000})
    response = consenting.post("/remarket/collect/", body, content_type="text/plain")

    assert response.status_code == 413


def test_the_beacon_never_mints_a_visitor(consenting):
    consenting.cookies.pop("remarket_id")
    response = consenting.post("/remarket/collect/", '{"seconds": 5}', content_type="text/plain")

    assert response.status_code == 204
    assert not Activity.objects.filter(kind="engagement").exists()


def test_the_beacon_stores_nothing_without_consent(client):
    response = client.post("/remarket/collect/", '{"seconds": 5}', content_type="text/plain")
    assert response.status_code == 204
    assert not Activity.objects.exists()


def test_the_third_visit_to_an_offer_page_announces_the_audience(consenting):
    from remarket.tracking.models import AudienceRule

    AudienceRule.objects.create(
        name="offer-page-3x", kind=AudienceRule.Kind.URL_VISITS, url_pattern="/page/", min_count=3
    )
    pages = [consenting.get("/page/").content.decode() for _ in range(4)]

    assert ["remarket_audience" in html for html in pages] == [False, False, True, False]
    assert 'fbq("trackCustom","remarket_audience",{"audience":"offer-page-3x"}' in pages[2]


def test_an_audience_completed_before_a_redirect_fires_on_the_next_page(consenting):
    from remarket.tracking.models import AudienceRule

    AudienceRule.objects.create(
        name="mug-fans", kind=AudienceRule.Kind.VIEWED_PRODUCT, product_ids="sku-9"
    )
    AudienceRule.objects.create(name="carted", kind=AudienceRule.Kind.CART_WITHOUT_PURCHASE, days=1)
    response = consenting.get("/add/", follow=True)

    assert (
        'fbq("trackCustom","remarket_audience",{"audience":"carted"}' in response.content.decode()
    )
    assert "mug-fans" not in response.content.decode()


@pytest.mark.parametrize("amount", ["NaN", "Infinity", float("nan"), Decimal("-Infinity")])
def test_a_price_that_is_not_a_number_is_left_out(amount):
    event = build_event("add_to_cart", value=amount, items=[{"id": "k1", "price": amount}])

    assert event.value is None
    assert event.items[0].price is None
