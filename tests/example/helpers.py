"""What a shopper does in the example shop, as small functions over the test client."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from example_project.shop.models import Basket, Product


def add_to_basket(client: Client, product: Product, qty: int = 1, **kwargs):
    """Press "Add to basket" on a product page."""
    return client.post(
        reverse("shop:add_to_basket", kwargs={"slug": product.slug}), {"qty": qty}, **kwargs
    )


def give_details(client: Client, email: str = "guest@example.com", name: str = "", opt_in=False):
    """Fill in and submit checkout step 1."""
    data = {"name": name, "email": email}
    if opt_in:
        data["marketing_opt_in"] = "on"
    return client.post(reverse("shop:checkout"), data)


def session_basket(client: Client) -> Basket:
    """The basket this browser's session points at, fresh from the database."""
    return Basket.objects.get(pk=client.session["basket_id"])


def page(response) -> str:
    """The response body as text."""
    return response.content.decode()
