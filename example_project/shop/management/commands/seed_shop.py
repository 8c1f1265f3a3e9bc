"""``manage.py seed_shop``: fill the demo shop with a catalogue, customers and history."""

from __future__ import annotations

import hashlib
import random
import re
import textwrap
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from example_project.shop import seed_data
from example_project.shop.models import (
    Basket,
    BasketItem,
    Category,
    Product,
    Purchase,
    PurchaseLine,
)
from remarket.tracking.models import AudienceRule

# Seeded purchases get stable refs, which is what makes re-running the command idempotent.
SEED_NAMESPACE = uuid.UUID("6f1c7f0e-3b8e-4d5e-9a53-2a1d2c0e7b11")


def seed_ref(index: int) -> uuid.UUID:
    """Deterministic reference of the index-th seeded purchase."""
    return uuid.uuid5(SEED_NAMESPACE, f"purchase-{index}")


def placeholder_svg(title: str, slug: str) -> str:
    """A square SVG with the product's initials, coloured by a hash of its slug."""
    hue = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:2], "big") % 360
    words = re.findall(r"[^\W\d_]+", title)
    initials = escape("".join(w[0] for w in words[:2]).upper() or "?")
    caption = textwrap.wrap(title, width=24)[:2]
    lines = "".join(
        f'<text x="200" y="{300 + i * 30}" font-size="22">{escape(line)}</text>'
        for i, line in enumerate(caption)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400">'
        f'<rect width="400" height="400" fill="hsl({hue}, 48%, 64%)"/>'
        f'<circle cx="200" cy="160" r="95" fill="hsl({hue}, 45%, 80%)"/>'
        f'<g fill="hsl({hue}, 50%, 20%)" font-family="Georgia, serif" text-anchor="middle">'
        f'<text x="200" y="190" font-size="88" font-weight="bold">{initials}</text>'
        f"{lines}</g></svg>\n"
    )


class Command(BaseCommand):
    help = "Seed the demo shop with products, users, past purchases and abandoned baskets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all shop data (catalogue, baskets, purchases) before seeding.",
        )

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        with transaction.atomic():
            if reset:
                self._reset()
            products = self._catalogue()
            users = self._users()
            # Baskets have no natural key, so they are only created on the first seeding run.
            first_run = not Purchase.objects.filter(ref=seed_ref(0)).exists()
            purchases = self._purchases(products, users)
            baskets = self._abandoned_baskets(products, users) if first_run else 0
            audiences = self._audiences()

        self.stdout.write(
            self.style.SUCCESS(
                f"Shop seeded: {Category.objects.count()} categories, "
                f"{len(products)} products, {purchases} new purchases "
                f"({Purchase.objects.count()} total), {baskets} new abandoned baskets, "
                f"audience rules: {', '.join(audiences)}."
            )
        )
        self.stdout.write("Log in as admin/admin (staff) or alice/alice (customer).")

    def _audiences(self) -> list[str]:
        """Two audience rules, so browsing the demo shows ``remarket_audience`` events."""
        rules = {
            "category-3x": {
                "kind": AudienceRule.Kind.URL_VISITS,
                "url_pattern": "/c/",
                "min_count": 3,
                "days": 7,
            },
            "cart-no-buy-1d": {"kind": AudienceRule.Kind.CART_WITHOUT_PURCHASE, "days": 1},
        }
        for name, fields in rules.items():
            AudienceRule.objects.update_or_create(name=name, defaults=fields)
        return list(rules)

    def _reset(self) -> None:
        """Delete shop data in dependency order (PROTECT foreign keys) and picture files."""
        for product in Product.objects.exclude(picture=""):
            product.picture.delete(save=False)
        PurchaseLine.objects.all().delete()
        Purchase.objects.all().delete()
        BasketItem.objects.all().delete()
        Basket.objects.all().delete()
        Product.objects.all().delete()
        Category.objects.all().delete()
        self.stdout.write("Existing shop data deleted.")

    def _catalogue(self) -> dict[str, Product]:
        """Create or update categories and products, generating missing pictures."""
        categories = {
            slug: Category.objects.update_or_create(slug=slug, defaults={"label": label})[0]
            for slug, label in seed_data.CATEGORIES
        }
        now = timezone.now()
        products: dict[str, Product] = {}
        for index, (slug, cat, title, price, blurb, in_stock) in enumerate(seed_data.PRODUCTS):
            product, _created = Product.objects.update_or_create(
                slug=slug,
                defaults={
                    "title": title,
                    "category": categories[cat],
                    "price": price,
                    "blurb": blurb,
                    "in_stock": in_stock,
                },
                # Staggered so "newest first" listings have a stable order.
                create_defaults={
                    "title": title,
                    "category": categories[cat],
                    "price": price,
                    "blurb": blurb,
                    "in_stock": in_stock,
                    "created": now - timedelta(days=180 - index),
                },
            )
            self._ensure_picture(product)
            products[slug] = product
        return products

    def _ensure_picture(self, product: Product) -> None:
        """Save ``products/<slug>.svg`` unless the product already has a picture on disk."""
        storage = product.picture.storage
        if product.picture and storage.exists(product.picture.name):
            return
        name = f"products/{product.slug}.svg"
        if storage.exists(name):
            # A stale file would make the storage pick "<slug>_abc123.svg" instead.
            storage.delete(name)
        svg = placeholder_svg(product.title, product.slug)
        product.picture.save(f"{product.slug}.svg", ContentFile(svg.encode()), save=True)

    def _users(self) -> dict[str, Any]:
        """The staff account and the demo customer, created only when missing."""
        user_model = get_user_model()
        users: dict[str, Any] = {}
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@example.com", "admin")
            self.stdout.write("Created superuser admin/admin.")
        users["admin"] = user_model.objects.get(username="admin")
        if not user_model.objects.filter(username="alice").exists():
            user_model.objects.create_user(
                "alice", "alice@example.com", "alice", first_name="Alice", last_name="Martin"
            )
            self.stdout.write("Created customer alice/alice.")
        users["alice"] = user_model.objects.get(username="alice")
        return users

    def _purchases(self, products: dict[str, Product], users: dict[str, Any]) -> int:
        """Create the deterministic purchase history; returns how many were new."""
        rng = random.Random(seed_data.RANDOM_SEED)
        now = timezone.now()
        slugs = list(products)
        primaries = list(seed_data.PRIMARY_WEIGHTS)
        weights = list(seed_data.PRIMARY_WEIGHTS.values())
        created = 0
        for index in range(seed_data.PURCHASE_COUNT):
            # Draw every random value even for existing rows so the sequence stays stable.
            email, name, opt_in, username = rng.choice(seed_data.CUSTOMERS)
            picked = rng.choices(primaries, weights=weights)
            if rng.random() < seed_data.PARTNER_PROBABILITY:
                picked.append(seed_data.PARTNERS[picked[0]])
            extra = rng.choice(slugs)
            if rng.random() < seed_data.EXTRA_LINE_PROBABILITY and extra not in picked:
                picked.append(extra)
            qtys = [rng.choice([1, 1, 1, 2]) for _ in picked]
            when = now - timedelta(days=rng.uniform(1, seed_data.HISTORY_DAYS))

            if Purchase.objects.filter(ref=seed_ref(index)).exists():
                continue
            buyer = users.get(username) if username else None
            lines = [(products[s], q) for s, q in zip(picked, qtys, strict=True)]
            self._create_purchase(index, lines, buyer, email, name, opt_in, when)
            created += 1
        return created

    def _create_purchase(
        self,
        index: int,
        lines: list[tuple[Product, int]],
        buyer: Any,
        email: str,
        name: str,
        opt_in: bool,
        when: datetime,
    ) -> None:
        """One historic order plus the ordered basket it came from, as checkout would."""
        basket = Basket.objects.create(
            owner=buyer,
            shopper_email=email,
            shopper_name=name,
            marketing_opt_in=opt_in,
            status=Basket.Status.ORDERED,
            touched_at=when - timedelta(minutes=7),
        )
        # auto_now_add ignores passed values, so backdate with an update.
        Basket.objects.filter(pk=basket.pk).update(created=when - timedelta(minutes=25))
        BasketItem.objects.bulk_create(
            BasketItem(basket=basket, product=p, qty=q, price_each=p.price) for p, q in lines
        )
        purchase = Purchase.objects.create(
            ref=seed_ref(index),
            buyer=buyer,
            buyer_email=email,
            buyer_name=name,
            marketing_opt_in=opt_in,
            basket=basket,
            grand_total=sum((p.price * q for p, q in lines), Decimal("0.00")),
            currency_code="EUR",
            created=when,
        )
        PurchaseLine.objects.bulk_create(
            PurchaseLine(purchase=purchase, product=p, qty=q, price_paid=p.price) for p, q in lines
        )

    def _abandoned_baskets(self, products: dict[str, Product], users: dict[str, Any]) -> int:
        """Three open baskets left behind at different stages, for abandoned-cart flows."""
        now = timezone.now()
        specs: list[dict[str, Any]] = [
            {  # Guest who typed an email at checkout and opted in: reachable.
                "fields": {
                    "shopper_email": "sam.guest@example.com",
                    "shopper_name": "Sam Guest",
                    "marketing_opt_in": True,
                },
                "age": timedelta(hours=2),
                "lines": [("ethiopia-yirgacheffe", 2), ("stoneware-mug-sand", 1)],
            },
            {  # Logged-in customer: the email comes from the user account.
                "fields": {"owner": users["alice"]},
                "age": timedelta(hours=3),
                "lines": [("gooseneck-kettle", 1), ("ceramic-dripper", 1)],
            },
            {  # Anonymous guest who never gave an email: not reachable by email.
                "fields": {},
                "age": timedelta(hours=5),
                "lines": [("uji-sencha", 1)],
            },
        ]
        for spec in specs:
            basket = Basket.objects.create(touched_at=now - spec["age"], **spec["fields"])
            Basket.objects.filter(pk=basket.pk).update(
                created=now - spec["age"] - timedelta(minutes=20)
            )
            BasketItem.objects.bulk_create(
                BasketItem(basket=basket, product=products[s], qty=q, price_each=products[s].price)
                for s, q in spec["lines"]
            )
        return len(specs)
