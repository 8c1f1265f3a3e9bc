"""The Oscar adapter's reading of baskets, orders and products, against real Oscar models."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from example_oscar.shop import place_order
from remarket.flows.models import Enrollment, EnrollmentState
from remarket.flows.tick import run_tick
from remarket.shop import CartState, get_adapter
from remarket.shop.models import CartEmail

from .conftest import add_to_basket, give_email_at_checkout

Basket = get_model("basket", "Basket")


def guest_basket(products, email: str, *titles: str) -> tuple[Client, object]:
    client = Client()
    for title in titles:
        add_to_basket(client, products[title])
    give_email_at_checkout(client, email)
    return client, Basket.objects.filter(owner=None).latest("pk")


def sign_in(client: Client, email: str, password: str = "tea-for-two") -> None:
    """Oscar's own login form, sent with the guest's basket cookie."""
    response = client.post(
        reverse("customer:login"),
        {"login-username": email, "login-password": password, "login_submit": "1"},
    )
    assert response.status_code == 302, response.content[:300]


def test_merged_guest_basket_is_followed_to_the_account(
    clock, products, flow, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client, guest = guest_basket(products, "ann@example.com", "Jasmine Pearls")
    get_user_model().objects.create_user(
        username="ann", email="ann@example.com", password="tea-for-two"
    )
    clock.shift(timedelta(hours=2))
    run_tick()
    assert len(mail.outbox) == 1

    # Ann signs in: Oscar merges the guest basket into her account's basket.
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client, "ann@example.com")
        add_to_basket(client, products["Earl Grey"])
    guest.refresh_from_db()
    assert guest.status == Basket.MERGED
    mine = Basket.objects.get(owner__email="ann@example.com", status=Basket.OPEN)
    assert CartEmail.objects.get(cart_key=str(guest.pk)).user_key == str(mine.owner_id)

    cart = get_adapter().get_cart(str(guest.pk))
    assert cart.key == str(mine.pk)
    assert cart.state is CartState.OPEN
    assert [line.name for line in cart.lines] == ["Jasmine Pearls", "Earl Grey"]
    assert get_adapter().get_cart(str(guest.pk), follow_merges=False).state is CartState.GONE

    # The second reminder still goes out, about the basket that survived.
    clock.shift(timedelta(days=1))
    run_tick()
    assert [m.subject for m in mail.outbox] == ["You left tea in your basket", "Still thinking?"]
    assert Enrollment.objects.get().state == EnrollmentState.COMPLETED

    # The recovery link for the old guest basket asks a stranger to sign in first.
    response = Client().get(_recover_path(str(guest.pk)))
    assert response.status_code == 302
    assert response.url == "http://testserver/accounts/login/?next=/basket/"

    # Once Ann orders, the old guest basket reads as ordered, with her order.
    order = place_order(mine, user=mine.owner)
    assert get_adapter().cart_state(str(guest.pk)) is CartState.ORDERED
    assert get_adapter().order_for_cart(str(guest.pk)).key == str(order.pk)


def _recover_path(key: str) -> str:
    from remarket.mail.links import make_token

    return reverse("remarket:recover", args=[make_token("recover", {"m": None, "k": key})])


def test_states_of_oscar_baskets(products):
    user = get_user_model().objects.create_user(username="bo", email="bo@example.com")
    adapter = get_adapter()
    baskets = {}
    for status in (Basket.OPEN, Basket.SAVED, Basket.FROZEN, Basket.SUBMITTED):
        basket = Basket.objects.create(owner=user)
        basket.strategy = _strategy()
        basket.add_product(products["Earl Grey"])
        Basket.objects.filter(pk=basket.pk).update(status=status)
        baskets[status] = str(basket.pk)
    empty = Basket.objects.create(owner=user)
    assert adapter.cart_state(baskets[Basket.OPEN]) is CartState.OPEN
    assert adapter.cart_state(baskets[Basket.SAVED]) is CartState.OPEN
    assert adapter.cart_state(baskets[Basket.FROZEN]) is CartState.GONE
    assert adapter.cart_state(baskets[Basket.SUBMITTED]) is CartState.ORDERED
    assert adapter.cart_state(str(empty.pk)) is CartState.GONE
    assert adapter.cart_state("404") is CartState.GONE
    assert adapter.cart_state("not-a-key") is CartState.GONE


def _strategy():
    from remarket.shop.oscar.build import strategy

    return strategy()


def test_idle_baskets_cost_the_same_queries_however_many(clock, products):
    adapter = get_adapter()

    def make(count: int, start: int) -> None:
        user_model = get_user_model()
        for n in range(start, start + count):
            user = user_model.objects.create_user(username=f"u{n}", email=f"u{n}@example.com")
            basket = Basket.objects.create(owner=user)
            basket.strategy = _strategy()
            basket.add_product(products["Sencha Superior"], 2)
            basket.add_product(products["Cast-iron Teapot"])

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as seen:
            found = [cart for batch in adapter.idle_carts(timezone.now()) for cart in batch]
        return len(found), len(seen)

    make(2, 0)
    clock.shift(timedelta(hours=1))
    few = queries()
    make(6, 2)
    clock.shift(timedelta(hours=1))
    many = queries()
    assert (few[0], many[0]) == (2, 8)
    assert few[1] == many[1] <= 5  # baskets, lines, images, stockrecords, captured emails
    [cart] = [c for c in next(adapter.idle_carts(timezone.now())) if c.email == "u0@example.com"]
    assert (cart.total, cart.currency, cart.item_count) == (Decimal("64.00"), "EUR", 3)
    keys = [str(b.pk) for b in Basket.objects.all()]
    with CaptureQueriesContext(connection) as seen:
        assert len(adapter.get_carts(keys)) == 8
    assert len(seen) <= 5


def test_orders_customers_and_recommendations(clock, products):
    adapter = get_adapter()
    _client, basket = guest_basket(products, "cy@example.com", "Sencha Superior", "Earl Grey")
    order = place_order(basket, email="Cy@Example.com")
    clock.shift(timedelta(seconds=1))

    snapshot = adapter.order_for_cart(str(basket.pk))
    assert snapshot.key == str(order.pk)
    assert (snapshot.email, snapshot.total, snapshot.currency) == (
        "cy@example.com",
        Decimal("22.30"),
        "EUR",
    )
    assert list(adapter.orders_placed_since(timezone.now())) == []
    [[placed]] = adapter.orders_placed_since(timezone.now() - timedelta(minutes=1))
    assert placed == snapshot
    stats = adapter.customer_stats(emails=["CY@example.com"])
    assert stats["cy@example.com"].orders == 1
    bought = adapter.purchased_product_ids("cy@example.com")
    assert bought == {str(products["Sencha Superior"].pk), str(products["Earl Grey"].pk)}

    # Oscar's recommended products first, then the same category; never what was bought.
    related = adapter.related_products([str(products["Sencha Superior"].pk)], exclude=bought)
    assert [p.name for p in related] == ["Cast-iron Teapot", "Jasmine Pearls"]
    assert (related[0].price, related[0].currency) == (Decimal("39.00"), "EUR")
    assert related[0].url.startswith("http://testserver/catalogue/cast-iron-teapot_")


def test_checks_name_what_oscar_needs(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "BasketMiddleware" not in m]
    settings.ROOT_URLCONF = "remarket.urls"
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    assert "remarket.E301" in str(raised.value)
    assert "remarket.E302" in str(raised.value)
