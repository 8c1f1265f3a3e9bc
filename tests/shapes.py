"""Two shop shapes that every adapter test runs against.

``basket`` is the example shop (integer keys, email on the basket or its owner);
``trolley`` is tests/trolley (UUID keys, email on a related customer, a boolean to close
a cart). Each shape offers the same small vocabulary to build carts and orders, so a
test reads the same whatever the models are called.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from example_project.remarket_map import REMARKET as BASKET_REMARKET
from example_project.shop import models as shop
from remarket.shop.keys import key_of
from tests.trolley import models as trolley

_counter = itertools.count()

TROLLEY_LINE = {
    "product": "item",
    "name": "item.label",
    "quantity": "amount",
    "unit_price": "unit_cost",
}

TROLLEY_REMARKET: dict[str, Any] = {
    "SITE_URL": "https://trolley.example",
    "CURRENCY": "VND",
    "CART": {
        "model": "trolley.Trolley",
        "last_activity": "modified",
        "lines": "entries",
        "email": "customer__mail",
        "user": "customer__account",
        "name": "customer.full_name",
        "locale": "customer.language",
        "open": {"closed": False},
        "merged_into": "absorbed_by",
        "currency": "money",
        "session_key": "trolley",
        "cart_url": "/trolley/",
        "line": {**TROLLEY_LINE, "image_url": "item.extra.image"},
    },
    "ORDER": {
        "model": "trolley.Sale",
        "placed_at": "ordered_on",
        "lines": "entries",
        "email": "customer__mail",
        "user": "customer__account",
        "cart": "source",
        "total": "amount_due",
        "currency": "money",
        "line": TROLLEY_LINE,
    },
    "PRODUCT": {
        "model": "trolley.Item",
        "name": "label",
        "price": "cost",
        "category": "family",
        "created": "added_on",
    },
}


def make_user(email: str = "", username: str = "") -> Any:
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(username=username, email=email, password="x")


class BasketShape:
    """The example shop."""

    name = "basket"
    settings = BASKET_REMARKET
    currency = "EUR"

    def product(self, title: str = "", price: str = "10.00", category: str = "misc") -> Any:
        n = next(_counter)
        cat, _ = shop.Category.objects.get_or_create(slug=category, defaults={"label": category})
        return shop.Product.objects.create(
            title=title or f"Product {n}", slug=f"p-{n}", category=cat, price=Decimal(price)
        )

    def cart(
        self,
        *,
        email: str = "",
        user: Any = None,
        touched: datetime | None = None,
        items: list[tuple[Any, int]] | None = None,
        name: str = "",
        consent: bool = False,
    ) -> Any:
        basket = shop.Basket.objects.create(
            owner=user, shopper_email=email, shopper_name=name, marketing_opt_in=consent
        )
        for product, qty in items if items is not None else [(self.product(), 1)]:
            shop.BasketItem.objects.create(
                basket=basket, product=product, qty=qty, price_each=product.price
            )
        shop.Basket.objects.filter(pk=basket.pk).update(touched_at=touched or timezone.now())
        basket.refresh_from_db()
        return basket

    def order(
        self,
        *,
        cart: Any = None,
        email: str = "",
        user: Any = None,
        placed: datetime | None = None,
        items: list[tuple[Any, int]] | None = None,
    ) -> Any:
        if items is None:
            items = [(i.product, i.qty) for i in cart.items.all()] if cart else []
        purchase = shop.Purchase.objects.create(
            basket=cart,
            buyer=user,
            buyer_email=email or (cart.shopper_email if cart else ""),
            grand_total=sum((p.price * q for p, q in items), Decimal("0")),
            created=placed or timezone.now(),
        )
        for product, qty in items:
            shop.PurchaseLine.objects.create(
                purchase=purchase, product=product, qty=qty, price_paid=product.price
            )
        if cart is not None:
            shop.Basket.objects.filter(pk=cart.pk).update(status="ordered")
        return purchase

    def merge(self, guest: Any, into: Any) -> None:
        for item in guest.items.all():
            item.basket = into
            item.save()
        shop.Basket.objects.filter(pk=guest.pk).update(status="merged", merged_into=into)

    def empty(self, cart: Any) -> None:
        cart.items.all().delete()

    def bulk_carts(self, count: int, touched: datetime) -> None:
        product = self.product()
        baskets = shop.Basket.objects.bulk_create(
            shop.Basket(shopper_email=f"Bulk{i}@Example.com", touched_at=touched)
            for i in range(count)
        )
        shop.BasketItem.objects.bulk_create(
            shop.BasketItem(basket=b, product=product, qty=1, price_each=product.price)
            for b in baskets
        )

    def key(self, obj: Any) -> str:
        return key_of(obj)


class TrolleyShape:
    """tests/trolley: UUID keys, email on a related customer."""

    name = "trolley"
    settings = TROLLEY_REMARKET
    currency = "VND"

    def product(self, title: str = "", price: str = "10.00", category: str = "misc") -> Any:
        family, _ = trolley.Family.objects.get_or_create(name=category)
        return trolley.Item.objects.create(
            label=title or f"Item {next(_counter)}", cost=Decimal(price), family=family
        )

    def _customer(self, email: str, user: Any, name: str = "") -> Any:
        if not email and user is None:
            return None
        return trolley.Customer.objects.create(mail=email, account=user, full_name=name)

    def cart(
        self,
        *,
        email: str = "",
        user: Any = None,
        touched: datetime | None = None,
        items: list[tuple[Any, int]] | None = None,
        name: str = "",
        consent: bool = False,
    ) -> Any:
        cart = trolley.Trolley.objects.create(
            customer=self._customer(email, user, name), modified=touched or timezone.now()
        )
        for item, qty in items if items is not None else [(self.product(), 1)]:
            trolley.TrolleyEntry.objects.create(
                trolley=cart, item=item, amount=qty, unit_cost=item.cost
            )
        return cart

    def order(
        self,
        *,
        cart: Any = None,
        email: str = "",
        user: Any = None,
        placed: datetime | None = None,
        items: list[tuple[Any, int]] | None = None,
    ) -> Any:
        if items is None:
            items = [(e.item, e.amount) for e in cart.entries.all()] if cart else []
        customer = cart.customer if cart and cart.customer else self._customer(email, user)
        sale = trolley.Sale.objects.create(
            source=cart,
            customer=customer,
            amount_due=sum((i.cost * q for i, q in items), Decimal("0")),
            ordered_on=placed or timezone.now(),
        )
        for item, qty in items:
            trolley.SaleEntry.objects.create(sale=sale, item=item, amount=qty, unit_cost=item.cost)
        if cart is not None:
            trolley.Trolley.objects.filter(pk=cart.pk).update(closed=True)
        return sale

    def merge(self, guest: Any, into: Any) -> None:
        guest.entries.update(trolley=into)
        trolley.Trolley.objects.filter(pk=guest.pk).update(closed=True, absorbed_by=into)

    def empty(self, cart: Any) -> None:
        cart.entries.all().delete()

    def bulk_carts(self, count: int, touched: datetime) -> None:
        item = self.product()
        customers = trolley.Customer.objects.bulk_create(
            trolley.Customer(mail=f"Bulk{i}@Example.com") for i in range(count)
        )
        carts = trolley.Trolley.objects.bulk_create(
            trolley.Trolley(customer=c, modified=touched) for c in customers
        )
        trolley.TrolleyEntry.objects.bulk_create(
            trolley.TrolleyEntry(trolley=c, item=item, amount=1, unit_cost=item.cost) for c in carts
        )

    def key(self, obj: Any) -> str:
        return key_of(obj)


SHAPES = [BasketShape(), TrolleyShape()]
