"""What remarket relies on in the example shop: login hand-over, restore links and seed data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from example_project.shop.models import Basket, BasketItem, Category, Product, Purchase
from remarket.shop import get_adapter
from remarket.shop.keys import key_of
from remarket.tracking.models import AudienceRule

from .helpers import add_to_basket, give_details, page, session_basket

pytestmark = pytest.mark.django_db

BASKET = reverse("shop:basket")


@pytest.fixture
def bob():
    return get_user_model().objects.create_user("bob", "bob@example.com", "bob-password")


def log_in(client: Client, username: str, password: str):
    """Submit the shop's login form, coming back to the basket."""
    return client.post(
        reverse("login"), {"username": username, "password": password, "next": BASKET}
    )


def lines(basket: Basket) -> dict[str, int]:
    return dict(basket.items.values_list("product__slug", "qty"))


# -- login hands the guest basket over -----------------------------------------------------


def test_logging_in_merges_the_guest_basket_into_the_users_open_basket(guest, catalogue, bob):
    own = Basket.objects.create(owner=bob)
    BasketItem.objects.create(basket=own, product=catalogue["beans"], qty=1, price_each="12.90")
    add_to_basket(guest, catalogue["beans"], qty=2)
    add_to_basket(guest, catalogue["mug"])
    guest_basket = session_basket(guest)

    response = log_in(guest, "bob", "bob-password")

    assert response.status_code == 302
    assert response.url == BASKET
    guest_basket.refresh_from_db()
    assert guest_basket.status == Basket.Status.MERGED
    assert guest_basket.merged_into == own
    assert lines(own) == {"house-blend": 3, "sand-mug": 1}
    assert session_basket(guest) == own
    html = page(guest.get(BASKET))
    assert "Hi, bob" in html
    assert "€54.70" in html  # 3 x 12.90 + 16.00


def test_details_given_as_a_guest_follow_the_lines_into_the_users_basket(guest, catalogue, bob):
    own = Basket.objects.create(owner=bob)
    add_to_basket(guest, catalogue["mug"])
    give_details(guest, email="bob.guest@example.com", name="Bob", opt_in=True)

    log_in(guest, "bob", "bob-password")

    own.refresh_from_db()
    assert own.shopper_email == "bob.guest@example.com"
    assert own.shopper_name == "Bob"
    assert own.marketing_opt_in is True
    assert get_adapter().get_cart(key_of(own)).email == "bob.guest@example.com"


def test_logging_in_without_an_open_basket_gives_the_guest_basket_to_the_user(
    guest, catalogue, bob
):
    Basket.objects.create(owner=bob, status=Basket.Status.ORDERED)  # old, not open
    add_to_basket(guest, catalogue["mug"], qty=2)
    guest_basket = session_basket(guest)

    log_in(guest, "bob", "bob-password")

    guest_basket.refresh_from_db()
    assert guest_basket.owner == bob
    assert guest_basket.status == Basket.Status.OPEN
    assert guest_basket.merged_into is None
    assert session_basket(guest) == guest_basket
    assert "Sand Mug" in page(guest.get(BASKET))


def test_a_failed_login_leaves_the_guest_basket_alone(guest, catalogue, bob):
    add_to_basket(guest, catalogue["mug"])

    response = log_in(guest, "bob", "wrong")

    assert response.status_code == 200
    basket = session_basket(guest)
    assert basket.owner is None
    assert basket.status == Basket.Status.OPEN


# -- restore through remarket --------------------------------------------------------------


def restore_in_fresh_browser(key: str) -> tuple[Client, str]:
    """Follow a "restore your basket" link in a new browser, as remarket's view would."""
    browser = Client()
    session = browser.session
    request = RequestFactory().get("/")
    request.session = session
    request.user = AnonymousUser()

    target = get_adapter().restore_cart(request, key)

    session.save()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return browser, target


def test_an_abandoned_guest_basket_can_be_restored_in_another_browser(guest, catalogue):
    add_to_basket(guest, catalogue["beans"], qty=2)
    add_to_basket(guest, catalogue["mug"])
    give_details(guest, email="sam@example.com", opt_in=True)
    basket = session_basket(guest)

    browser, target = restore_in_fresh_browser(key_of(basket))

    assert target == BASKET
    html = page(browser.get(target))
    assert "House Blend Beans" in html
    assert "Sand Mug" in html
    assert "€41.80" in html
    # ...and the checkout remembers who they are.
    assert 'value="sam@example.com"' in page(browser.get(reverse("shop:checkout")))


def test_a_restored_basket_can_be_ordered(guest, catalogue):
    add_to_basket(guest, catalogue["beans"])
    give_details(guest, email="sam@example.com")
    basket = session_basket(guest)
    browser, _target = restore_in_fresh_browser(key_of(basket))

    response = browser.post(reverse("shop:checkout_review"))

    purchase = Purchase.objects.get()
    assert response.url == purchase.get_absolute_url()
    assert purchase.basket == basket
    assert get_adapter().order_for_cart(key_of(basket)).key == key_of(purchase)


def test_restoring_an_account_basket_asks_to_log_in_first(catalogue, bob):
    basket = Basket.objects.create(owner=bob)
    BasketItem.objects.create(basket=basket, product=catalogue["mug"], qty=1, price_each="16.00")

    browser, target = restore_in_fresh_browser(key_of(basket))

    assert target == f"{settings.LOGIN_URL}?next={BASKET}"
    assert "basket_id" not in browser.session
    log_in(browser, "bob", "bob-password")
    assert "Sand Mug" in page(browser.get(BASKET))


# -- seed_shop -----------------------------------------------------------------------------


@pytest.fixture
def seeded(settings, tmp_path):
    """The demo data, seeded twice, with picture files kept out of the repository."""
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_shop", stdout=StringIO())
    counts = _counts()
    call_command("seed_shop", stdout=StringIO())
    return counts


def _counts() -> dict[str, int]:
    return {
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "purchases": Purchase.objects.count(),
        "baskets": Basket.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_seeding_twice_creates_the_catalogue_once(seeded):
    assert seeded == _counts()
    assert seeded == {"categories": 4, "products": 16, "purchases": 30, "baskets": 33, "users": 2}


def test_seeded_products_have_svg_pictures(seeded, tmp_path):
    for product in Product.objects.all():
        assert product.picture.name == f"products/{product.slug}.svg"
        assert (tmp_path / product.picture.name).read_text().startswith("<svg ")
    assert len(list((tmp_path / "products").iterdir())) == 16  # no duplicates on re-run


def test_seeding_creates_an_admin_and_a_customer_who_can_log_in(seeded):
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    browser = Client()
    assert log_in(browser, "alice", "alice").status_code == 302
    assert "Gooseneck Kettle, 1 l" in page(browser.get(BASKET))  # her abandoned basket


def test_seeded_shop_pages_show_the_pictures(seeded, client):
    html = page(client.get("/"))

    assert "/media/products/ethiopia-yirgacheffe.svg" in html
    assert "Ethiopia Yirgacheffe, 250 g" in html


def test_remarket_finds_the_seeded_abandoned_baskets_that_have_an_email(seeded):
    batches = list(get_adapter().idle_carts(timezone.now()))

    carts = {cart.email: cart for batch in batches for cart in batch}
    assert set(carts) == {"sam.guest@example.com", "alice@example.com"}
    assert carts["sam.guest@example.com"].consent is True
    assert carts["sam.guest@example.com"].item_count == 3
    assert carts["alice@example.com"].user_id is not None
    # The third abandoned basket never got an email, so nobody can be reminded about it.
    assert Basket.objects.filter(status=Basket.Status.OPEN).count() == 3


def test_the_seeded_audiences_fire_on_the_third_category_page(seeded, client):
    assert set(AudienceRule.objects.values_list("name", flat=True)) == {
        "category-3x",
        "cart-no-buy-1d",
    }
    client.post("/remarket/consent/", {"choice": "accept", "next": "/"})
    for _ in range(2):
        assert "remarket_audience" not in page(client.get("/c/mugs/"))
    html = page(client.get("/c/tea/"))
    assert 'fbq("trackCustom","remarket_audience",{"audience":"category-3x"}' in html
    assert "remarket_audience" not in page(client.get("/c/mugs/"))
