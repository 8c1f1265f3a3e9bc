"""The example shop as a guest sees it: catalogue, basket editing and languages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from example_project.shop.models import Basket, BasketItem

from .helpers import add_to_basket, page, session_basket

pytestmark = pytest.mark.django_db


# -- catalogue ---------------------------------------------------------------------------


def test_home_page_lists_every_product_with_its_price(guest, catalogue):
    response = guest.get("/")

    assert response.status_code == 200
    html = page(response)
    for product in catalogue.values():
        assert product.title in html
        assert product.get_absolute_url() in html
    assert "€12.90" in html
    assert "Out of stock" in html  # the sold-out product says so on its card


def test_home_page_without_products_explains_how_to_seed(guest):
    assert "manage.py seed_shop" in page(guest.get("/"))


def test_category_page_lists_only_its_products(guest, catalogue):
    response = guest.get(reverse("shop:category", kwargs={"slug": "mugs"}))

    assert response.status_code == 200
    html = page(response)
    assert catalogue["mug"].title in html
    assert catalogue["beans"].title not in html


def test_unknown_product_is_404(guest, catalogue):
    assert guest.get(reverse("shop:product", kwargs={"slug": "nope"})).status_code == 404


def test_product_page_shows_details_and_an_add_to_basket_form(guest, catalogue):
    beans = catalogue["beans"]

    response = guest.get(beans.get_absolute_url())

    assert response.status_code == 200
    html = page(response)
    assert f"<h1>{beans.title}</h1>" in html
    assert "€12.90" in html
    assert "Chocolate and nuts." in html
    assert f'action="{reverse("shop:add_to_basket", kwargs={"slug": beans.slug})}"' in html
    assert "Add to basket" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_sold_out_product_page_has_no_add_button(guest, catalogue):
    html = page(guest.get(catalogue["sold_out"].get_absolute_url()))

    assert "Out of stock" in html
    assert "Add to basket" not in html


# -- basket ------------------------------------------------------------------------------


def test_adding_to_the_basket_shows_the_line_and_the_total(guest, catalogue):
    beans = catalogue["beans"]

    response = add_to_basket(guest, beans, qty=2)

    assert response.status_code == 302
    assert response.url == reverse("shop:basket")
    html = page(guest.get(response.url))
    assert f"{beans.title} was added to your basket." in html
    assert beans.title in html
    assert 'value="2"' in html
    assert "€25.80" in html  # 2 x 12.90, as subtotal and total
    assert "Go to checkout" in html
    basket = session_basket(guest)
    assert basket.status == Basket.Status.OPEN
    assert basket.owner is None
    assert [(i.product, i.qty, i.price_each) for i in basket.items.all()] == [
        (beans, 2, beans.price)
    ]


def test_adding_the_same_product_again_increases_the_line(guest, catalogue):
    add_to_basket(guest, catalogue["beans"])
    add_to_basket(guest, catalogue["beans"], qty=2)
    add_to_basket(guest, catalogue["mug"])

    html = page(guest.get(reverse("shop:basket")))

    assert "€54.70" in html  # 3 x 12.90 + 16.00
    assert Basket.objects.count() == 1
    assert sorted(session_basket(guest).items.values_list("qty", flat=True)) == [1, 3]


def test_the_add_to_basket_form_works_with_csrf_checks_on(catalogue):
    browser = Client(enforce_csrf_checks=True)
    beans = catalogue["beans"]
    html = page(browser.get(beans.get_absolute_url()))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    assert add_to_basket(browser, beans).status_code == 403  # a forged post is refused
    response = browser.post(
        reverse("shop:add_to_basket", kwargs={"slug": beans.slug}),
        {"qty": 1, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert session_basket(browser).items.count() == 1


def test_a_sold_out_product_cannot_be_added(guest, catalogue):
    sold_out = catalogue["sold_out"]

    response = add_to_basket(guest, sold_out, follow=True)

    assert f"Sorry, {sold_out.title} is out of stock." in page(response)
    assert not Basket.objects.exists()


def test_an_impossible_quantity_is_refused(guest, catalogue):
    response = add_to_basket(guest, catalogue["beans"], qty=0, follow=True)

    assert "Please choose a quantity between 1 and 99." in page(response)
    assert not BasketItem.objects.exists()


def test_changing_a_quantity_updates_the_line_and_the_total(guest, catalogue):
    add_to_basket(guest, catalogue["beans"])
    add_to_basket(guest, catalogue["mug"])
    line = session_basket(guest).items.get(product=catalogue["beans"])

    response = guest.post(
        reverse("shop:update_line", kwargs={"item_id": line.pk}), {"qty": 4}, follow=True
    )

    html = page(response)
    assert "Quantity updated." in html
    assert "€51.60" in html  # beans subtotal 4 x 12.90
    assert "€67.60" in html  # plus the mug
    line.refresh_from_db()
    assert line.qty == 4


def test_removing_a_line_leaves_the_rest(guest, catalogue):
    add_to_basket(guest, catalogue["beans"])
    add_to_basket(guest, catalogue["mug"])
    line = session_basket(guest).items.get(product=catalogue["mug"])

    response = guest.post(
        reverse("shop:update_line", kwargs={"item_id": line.pk}), {"remove": "1"}, follow=True
    )

    html = page(response)
    assert "Sand Mug was removed from your basket." in html
    assert f'href="{catalogue["mug"].get_absolute_url()}"' not in html
    assert catalogue["beans"].title in html
    assert list(session_basket(guest).items.values_list("product__slug", flat=True)) == [
        "house-blend"
    ]


def test_quantity_zero_removes_the_last_line_and_the_basket_is_empty(guest, catalogue):
    add_to_basket(guest, catalogue["beans"])
    line = session_basket(guest).items.get()

    response = guest.post(
        reverse("shop:update_line", kwargs={"item_id": line.pk}), {"qty": 0}, follow=True
    )

    assert "Your basket is empty." in page(response)
    assert not BasketItem.objects.exists()
    assert session_basket(guest).status == Basket.Status.OPEN


def test_nobody_can_edit_a_line_of_another_basket(guest, catalogue):
    other = Client()
    add_to_basket(other, catalogue["beans"])
    add_to_basket(guest, catalogue["mug"])
    foreign_line = session_basket(other).items.get()

    response = guest.post(
        reverse("shop:update_line", kwargs={"item_id": foreign_line.pk}), {"qty": 0}
    )

    assert response.status_code == 404
    assert BasketItem.objects.filter(pk=foreign_line.pk).exists()


def test_an_empty_basket_page_invites_to_shop(guest):
    response = guest.get(reverse("shop:basket"))

    assert response.status_code == 200
    assert "Your basket is empty." in page(response)
    assert "basket_id" not in guest.session


# -- language ----------------------------------------------------------------------------


def test_pages_are_english_and_left_to_right_by_default(guest, catalogue):
    assert '<html lang="en" dir="ltr">' in page(guest.get("/"))


def test_a_persian_browser_gets_a_right_to_left_page(catalogue):
    browser = Client(HTTP_ACCEPT_LANGUAGE="fa")

    assert '<html lang="fa" dir="rtl">' in page(browser.get("/"))


def test_the_language_picker_switches_the_shop_to_persian_and_back(guest, catalogue):
    response = guest.post(reverse("set_language"), {"language": "fa", "next": "/"})

    assert response.status_code == 302
    assert '<html lang="fa" dir="rtl">' in page(guest.get("/"))
    guest.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert '<html lang="vi" dir="ltr">' in page(guest.get("/"))
