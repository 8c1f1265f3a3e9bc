"""The Oscar example's catalogue, and an order placed the way Oscar's checkout places it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from oscar.core.loading import get_class, get_model

#: (title, category, price in EUR); the first two recommend the teapot.
TEAS = [
    ("Sencha Superior", "Green tea", Decimal("12.50")),
    ("Jasmine Pearls", "Green tea", Decimal("18.00")),
    ("Darjeeling First Flush", "Black tea", Decimal("15.90")),
    ("Earl Grey", "Black tea", Decimal("9.80")),
    ("Cast-iron Teapot", "Teaware", Decimal("39.00")),
]


@transaction.atomic
def seed_catalogue() -> dict[str, Any]:
    """Products with prices, stock, categories and recommendations (idempotent)."""
    Category = get_model("catalogue", "Category")
    Partner = get_model("partner", "Partner")
    Product = get_model("catalogue", "Product")
    ProductCategory = get_model("catalogue", "ProductCategory")
    ProductClass = get_model("catalogue", "ProductClass")
    ProductRecommendation = get_model("catalogue", "ProductRecommendation")
    StockRecord = get_model("partner", "StockRecord")

    tea, _ = ProductClass.objects.get_or_create(
        name="Tea", defaults={"slug": "tea", "requires_shipping": True, "track_stock": True}
    )
    partner, _ = Partner.objects.get_or_create(name="Remarket Tea House")
    products = {}
    for title, category_name, price in TEAS:
        category = Category.objects.filter(name=category_name).first() or _add_root(
            Category, category_name
        )
        product, created = Product.objects.get_or_create(
            title=title, defaults={"product_class": tea, "is_public": True}
        )
        if created:
            ProductCategory.objects.create(product=product, category=category)
            StockRecord.objects.create(
                product=product,
                partner=partner,
                partner_sku=f"TEA-{product.pk}",
                price=price,
                price_currency="EUR",
                num_in_stock=100,
            )
        products[title] = product
    teapot = products["Cast-iron Teapot"]
    for title in ("Sencha Superior", "Jasmine Pearls"):
        ProductRecommendation.objects.get_or_create(
            primary=products[title], recommendation=teapot, defaults={"ranking": 5}
        )
    return products


def _add_root(Category: Any, name: str) -> Any:
    """A top-level category; treebeard 7 moved add_root() onto the manager."""
    if hasattr(Category.objects, "add_root"):
        return Category.objects.add_root({"name": name})
    return Category.add_root(name=name)


def place_order(basket: Any, *, email: str = "", user: Any = None) -> Any:
    """Place an order for ``basket`` with Oscar's OrderCreator, as Oscar's checkout does.

    Offers and vouchers are applied by Oscar's Applicator; shipping is free.
    """
    Applicator = get_class("offer.applicator", "Applicator")
    OrderCreator = get_class("order.utils", "OrderCreator")
    OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
    Selector = get_class("partner.strategy", "Selector")
    Free = get_class("shipping.methods", "Free")

    user = user or AnonymousUser()  # what Oscar's checkout passes for a guest
    basket.strategy = Selector().strategy(user=user)
    basket.reset_offer_applications()
    Applicator().apply(basket, user)
    shipping = Free()
    charge = shipping.calculate(basket)
    total = OrderTotalCalculator().calculate(basket, charge)
    with transaction.atomic():
        order = OrderCreator().place_order(
            basket=basket,
            total=total,
            shipping_method=shipping,
            shipping_charge=charge,
            user=user,
            guest_email=email,
        )
        basket.submit()
    return order
