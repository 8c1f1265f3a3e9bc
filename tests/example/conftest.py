"""Fixtures for the example shop tests: a small catalogue and a guest browser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from example_project.shop.models import Category, Product


@pytest.fixture
def catalogue() -> dict[str, Product]:
    """Two categories, two products in stock and one that is not."""
    coffee = Category.objects.create(label="Coffee", slug="coffee")
    mugs = Category.objects.create(label="Mugs", slug="mugs")
    return {
        "beans": Product.objects.create(
            title="House Blend Beans",
            slug="house-blend",
            category=coffee,
            price=Decimal("12.90"),
            blurb="Chocolate and nuts.",
        ),
        "mug": Product.objects.create(
            title="Sand Mug", slug="sand-mug", category=mugs, price=Decimal("16.00")
        ),
        "sold_out": Product.objects.create(
            title="Rare Gesha Beans",
            slug="rare-gesha",
            category=coffee,
            price=Decimal("40.00"),
            in_stock=False,
        ),
    }


@pytest.fixture
def guest() -> Client:
    """A browser nobody has logged in with."""
    return Client()
