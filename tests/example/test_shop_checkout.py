"""Two-step checkout: details (and consent) first, then review and place the order."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from example_project.shop import views
from example_project.shop.models import Basket, Purchase
from remarket.shop import get_adapter
from remarket.shop.keys import key_of

from .helpers import add_to_basket, give_details, page, session_basket

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("shop:checkout")
REVIEW = reverse("shop:checkout_review")


def consent_checkbox(html: str) -> str:
    """The marketing-consent <input> tag of the details form."""
    return re.search(r'<input[^>]*name="marketing_opt_in"[^>]*>', html).group(0)


@pytest.fixture
def filled(guest, catalogue):
    """A guest with 2 x beans and 1 x mug (total 41.80) in the basket."""
    add_to_basket(guest, catalogue["beans"], qty=2)
    add_to_basket(guest, catalogue["mug"])
    return guest


# -- step 1: details ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [CHECKOUT, REVIEW])
def test_checkout_with_an_empty_basket_goes_back_to_the_basket(guest, url):
    response = guest.get(url, follow=True)

    assert response.redirect_chain == [(reverse("shop:basket"), 302)]
    assert "Your basket is empty." in page(response)


def test_details_form_starts_empty_with_consent_unticked(filled):
    response = filled.get(CHECKOUT)

    assert response.status_code == 200
    html = page(response)
    assert 'type="checkbox"' in consent_checkbox(html)
    assert "checked" not in consent_checkbox(html)
    assert "Send me offers and reminders by email" in html
    assert "Continue to review" in html
    assert "€41.80" in html  # order summary next to the form
    assert 'name="email"' in html
    assert 'value="' not in re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)


def test_details_are_saved_on_the_basket_without_consent_by_default(filled):
    Basket.objects.update(touched_at=timezone.now() - timedelta(hours=3))
    before = session_basket(filled).touched_at

    response = give_details(filled, email="sam@example.com", name="Sam")

    assert response.status_code == 302
    assert response.url == REVIEW
    basket = session_basket(filled)
    assert (basket.shopper_email, basket.shopper_name) == ("sam@example.com", "Sam")
    assert basket.marketing_opt_in is False
    assert basket.status == Basket.Status.OPEN
    assert basket.touched_at > before  # giving details counts as activity
    assert not Purchase.objects.exists()


def test_ticking_the_box_records_consent(filled):
    give_details(filled, email="sam@example.com", opt_in=True)

    assert session_basket(filled).marketing_opt_in is True


def test_an_invalid_email_shows_the_form_again_and_saves_nothing(filled):
    response = give_details(filled, email="not-an-email")

    assert response.status_code == 200
    assert "Enter a valid email address." in page(response)
    assert session_basket(filled).shopper_email == ""


def test_details_form_is_prefilled_from_the_basket(filled):
    give_details(filled, email="sam@example.com", name="Sam Guest", opt_in=True)

    html = page(filled.get(CHECKOUT))

    assert 'value="sam@example.com"' in html
    assert 'value="Sam Guest"' in html
    assert "checked" in consent_checkbox(html)  # the shopper's own earlier choice


def test_details_form_is_prefilled_from_the_logged_in_user(client, catalogue):
    user = get_user_model().objects.create_user(
        "nina", "nina@example.com", "pw", first_name="Nina", last_name="Berg"
    )
    client.force_login(user)
    add_to_basket(client, catalogue["beans"])

    html = page(client.get(CHECKOUT))

    assert 'value="nina@example.com"' in html
    assert 'value="Nina Berg"' in html
    assert "checked" not in consent_checkbox(html)


# -- step 2: review and place the order --------------------------------------------------


def test_review_without_details_sends_the_shopper_to_step_one(filled):
    response = filled.get(REVIEW, follow=True)

    assert response.redirect_chain == [(CHECKOUT, 302)]
    assert "Please enter your details first." in page(response)


def test_ordering_without_details_is_not_possible(filled):
    response = filled.post(REVIEW)

    assert response.status_code == 302
    assert response.url == CHECKOUT
    assert not Purchase.objects.exists()


def test_review_shows_lines_total_email_and_the_place_order_button(filled, catalogue):
    give_details(filled, email="sam@example.com", name="Sam Guest")

    response = filled.get(REVIEW)

    assert response.status_code == 200
    html = page(response)
    assert "Review your order" in html
    assert "2 \N{MULTIPLICATION SIGN} House Blend Beans" in html
    assert "1 \N{MULTIPLICATION SIGN} Sand Mug" in html
    assert "€25.80" in html
    assert "€41.80" in html
    assert "sam@example.com" in html
    assert "Sam Guest" in html
    assert "You chose not to receive offers and reminders by email." in html
    assert f'<form method="post" action="{REVIEW}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Place order" in html
    assert f'href="{CHECKOUT}"' in html  # details can still be changed


def test_review_mentions_consent_when_given(filled):
    give_details(filled, email="sam@example.com", opt_in=True)

    assert "You agreed to receive offers and reminders by email." in page(filled.get(REVIEW))


def test_placing_the_order(filled, catalogue):
    give_details(filled, email="sam@example.com", name="Sam Guest", opt_in=True)
    basket = session_basket(filled)

    response = filled.post(REVIEW)

    purchase = Purchase.objects.get()
    assert response.status_code == 302
    assert response.url == purchase.get_absolute_url()
    assert purchase.basket == basket
    assert purchase.buyer is None
    assert (purchase.buyer_email, purchase.buyer_name) == ("sam@example.com", "Sam Guest")
    assert purchase.marketing_opt_in is True
    assert purchase.grand_total == Decimal("41.80")
    assert purchase.currency_code == "EUR"
    assert [(line.product, line.qty, line.price_paid) for line in purchase.lines.all()] == [
        (catalogue["beans"], 2, Decimal("12.90")),
        (catalogue["mug"], 1, Decimal("16.00")),
    ]
    basket.refresh_from_db()
    assert basket.status == Basket.Status.ORDERED
    assert "basket_id" not in filled.session

    html = page(filled.get(response.url))
    assert "Thank you! Your order has been placed." in html
    assert str(purchase.ref) in html
    assert "House Blend Beans" in html
    assert "€41.80" in html
    assert "Contact email for this order: sam@example.com" in html
    assert "Your basket is empty." in page(filled.get(reverse("shop:basket")))


def test_the_order_is_not_reminded_about(filled):
    give_details(filled, email="sam@example.com")
    filled.post(REVIEW)

    batches = get_adapter().idle_carts(timezone.now() + timedelta(days=1))

    assert [cart for batch in batches for cart in batch] == []


def test_a_logged_in_customer_is_the_buyer(client, catalogue):
    user = get_user_model().objects.create_user("nina", "nina@example.com", "pw")
    client.force_login(user)
    add_to_basket(client, catalogue["beans"])
    give_details(client, email="nina@example.com")

    client.post(REVIEW)

    assert Purchase.objects.get().buyer == user


def test_submitting_twice_creates_one_order(filled):
    give_details(filled, email="sam@example.com")
    filled.post(REVIEW)

    response = filled.post(REVIEW, follow=True)

    assert Purchase.objects.count() == 1
    assert response.redirect_chain == [(reverse("shop:basket"), 302)]
    assert "Your basket is empty." in page(response)


def test_an_item_that_sold_out_meanwhile_blocks_the_order(filled, catalogue):
    give_details(filled, email="sam@example.com")
    catalogue["mug"].in_stock = False
    catalogue["mug"].save()

    response = filled.post(REVIEW, follow=True)

    assert response.redirect_chain == [(reverse("shop:basket"), 302)]
    assert "Please remove items that are out of stock: Sand Mug" in page(response)
    assert not Purchase.objects.exists()
    assert session_basket(filled).status == Basket.Status.OPEN


def test_a_basket_checked_out_elsewhere_meanwhile_is_reported(filled, monkeypatch):
    give_details(filled, email="sam@example.com")
    real_place_order = views.place_order

    def another_tab_wins(basket, **kwargs):
        Basket.objects.filter(pk=basket.pk).update(status=Basket.Status.ORDERED)
        return real_place_order(basket, **kwargs)

    monkeypatch.setattr(views, "place_order", another_tab_wins)

    response = filled.post(REVIEW, follow=True)

    assert "This basket has already been checked out." in page(response)
    assert not Purchase.objects.exists()


# -- leaving after step 1: an abandoned basket with a known email ------------------------


def test_a_guest_who_leaves_after_giving_an_email_leaves_a_reachable_basket(filled, catalogue):
    give_details(filled, email="Sam@Example.com", name="Sam", opt_in=True)
    filled.get(REVIEW)  # looks at the review page... and closes the tab

    basket = session_basket(filled)
    assert basket.status == Basket.Status.OPEN
    assert basket.shopper_email == "Sam@Example.com"
    assert not Purchase.objects.exists()

    carts = [c for batch in get_adapter().idle_carts(timezone.now()) for c in batch]
    assert [c.key for c in carts] == [key_of(basket)]
    assert carts[0].email == "sam@example.com"  # normalised by remarket
    assert carts[0].consent is True
    assert carts[0].total == Decimal("41.80")
    assert carts[0].item_count == 3
