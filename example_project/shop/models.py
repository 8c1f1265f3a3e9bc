"""Shop data model.

Field names are the shop's own vocabulary on purpose: remarket is mapped onto them through
settings, so they must stay stable.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A browsable group of products."""

    label = models.CharField(_("label"), max_length=80)
    slug = models.SlugField(_("slug"), unique=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        """Category listing page."""
        return reverse("shop:category", kwargs={"slug": self.slug})


class Product(models.Model):
    """Something the shop sells."""

    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    blurb = models.TextField(_("blurb"), blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    # FileField rather than ImageField: the placeholders are SVG and we avoid a Pillow dependency.
    picture = models.FileField(_("picture"), upload_to="products/", blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    in_stock = models.BooleanField(_("in stock"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["category", "title"], name="shop_product_cat_title_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """Product detail page."""
        return reverse("shop:product", kwargs={"slug": self.slug})


class Basket(models.Model):
    """A shopping basket, owned by a user or (for guests) referenced from the session."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ORDERED = "ordered", _("ordered")
        MERGED = "merged", _("merged")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="baskets",
    )
    shopper_email = models.EmailField(_("shopper email"), blank=True)
    shopper_name = models.CharField(_("shopper name"), max_length=120, blank=True)
    marketing_opt_in = models.BooleanField(_("marketing opt-in"), default=False)
    # Bumped whenever lines change, so "abandoned" means "untouched for a while".
    touched_at = models.DateTimeField(_("touched at"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.OPEN,
        db_index=True,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # Applied at checkout step 2; checked again (and redeemed) when the order is placed.
    coupon_code = models.CharField(_("coupon code"), max_length=64, blank=True)

    class Meta:
        ordering = ["-touched_at"]
        verbose_name = _("basket")
        verbose_name_plural = _("baskets")
        indexes = [
            # The typical abandoned-basket query: open baskets untouched since X.
            models.Index(fields=["status", "touched_at"], name="shop_basket_status_touch_idx"),
        ]

    def __str__(self) -> str:
        return gettext("Basket #%(pk)s (%(status)s)") % {
            "pk": self.pk,
            "status": self.get_status_display(),
        }

    def touch(self) -> None:
        """Record activity on the basket (lines added, changed or removed)."""
        self.touched_at = timezone.now()
        self.save(update_fields=["touched_at"])

    def total(self) -> Decimal:
        """Sum of all lines at the prices captured when they were added."""
        return sum((item.line_total() for item in self.items.all()), Decimal("0.00"))

    def item_count(self) -> int:
        """Number of units in the basket (what the header badge shows)."""
        return sum(item.qty for item in self.items.all())


class BasketItem(models.Model):
    """One product line in a basket."""

    basket = models.ForeignKey(
        Basket, verbose_name=_("basket"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE)
    qty = models.PositiveIntegerField(_("quantity"))
    # Captured at add time so later price changes don't silently alter an open basket.
    price_each = models.DecimalField(_("price each"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("basket item")
        verbose_name_plural = _("basket items")
        constraints = [
            models.UniqueConstraint(
                fields=["basket", "product"], name="shop_basketitem_unique_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qty} x {self.product}"

    def line_total(self) -> Decimal:
        """Quantity times captured unit price."""
        return self.price_each * self.qty


class Purchase(models.Model):
    """A completed order."""

    # Unguessable, so the order page can be shown to anyone who has the link.
    ref = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="purchases",
    )
    buyer_email = models.EmailField(_("buyer email"))
    buyer_name = models.CharField(_("buyer name"), max_length=120, blank=True)
    marketing_opt_in = models.BooleanField(_("marketing opt-in"), default=False)
    basket = models.ForeignKey(
        Basket,
        verbose_name=_("basket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="purchases",
    )
    grand_total = models.DecimalField(_("grand total"), max_digits=10, decimal_places=2)
    currency_code = models.CharField(_("currency"), max_length=3, default="EUR")
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    coupon_code = models.CharField(_("coupon code"), max_length=64, blank=True)
    # Already taken off grand_total; kept to show the order's discount line.
    discount = models.DecimalField(
        _("discount"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        indexes = [
            # Win-back style lookups: "last purchase by this email".
            models.Index(fields=["buyer_email", "created"], name="shop_purchase_email_idx"),
        ]

    def __str__(self) -> str:
        return gettext("Order %(ref)s") % {"ref": str(self.ref)[:8]}

    def get_absolute_url(self) -> str:
        """Order confirmation page."""
        return reverse("shop:order", kwargs={"ref": self.ref})


class PurchaseLine(models.Model):
    """One product line of a completed order."""

    purchase = models.ForeignKey(
        Purchase, verbose_name=_("purchase"), on_delete=models.CASCADE, related_name="lines"
    )
    # PROTECT: order history must not lose its products.
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("quantity"))
    price_paid = models.DecimalField(_("price paid"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")

    def __str__(self) -> str:
        return f"{self.qty} x {self.product}"

    def line_total(self) -> Decimal:
        """Quantity times the unit price paid."""
        return self.price_paid * self.qty


class Coupon(models.Model):
    """A single-use discount code, usually made by remarket for one person's email."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    email = models.EmailField(
        _("email"), blank=True, help_text=_("Only this shopper may use it; empty for anyone.")
    )
    percent_off = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_off = models.DecimalField(
        _("amount off"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    expires_at = models.DateTimeField(_("expires at"))
    created = models.DateTimeField(_("created"), default=timezone.now)
    redeemed_by = models.ForeignKey(
        Purchase,
        verbose_name=_("redeemed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coupons",
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(percent_off__isnull=False, amount_off__isnull=True)
                    | models.Q(percent_off__isnull=True, amount_off__isnull=False)
                ),
                name="shop_coupon_percent_xor_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValidationError(_("Give either a percentage or an amount off, not both."))
