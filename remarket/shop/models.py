"""What remarket stores about the host shop's carts (never the carts themselves)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CartEmail(models.Model):
    """An email address remarket captured for a cart that does not carry one itself.

    Shops such as django-oscar keep guest emails in the checkout session, not on the
    basket; the adapter records them here (from a checkout signal, ``identify()`` or the
    push API) so an idle guest cart still counts as having a known email.
    """

    cart_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("cart model"),
    )
    cart_key = models.CharField(_("cart key"), max_length=64)
    email = models.EmailField(_("email address"), max_length=254)
    captured_at = models.DateTimeField(_("captured at"), default=timezone.now)
    user_key = models.CharField(
        _("signed in as"),
        max_length=64,
        blank=True,
        help_text=_(
            "The account that signed in with this guest cart, e.g. 42: a cart the shop "
            "merged into that account's cart is followed there."
        ),
    )

    class Meta:
        verbose_name = _("captured cart email")
        verbose_name_plural = _("captured cart emails")
        constraints = [
            models.UniqueConstraint(
                fields=["cart_type", "cart_key"], name="remarket_cartemail_cart_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cart_key} → {self.email}"


class CartStateChoices(models.TextChoices):
    OPEN = "open", _("open")
    ORDERED = "ordered", _("ordered")
    GONE = "gone", _("gone")


class PushedCart(models.Model):
    """A cart a shop pushed with :func:`remarket.shop.api.cart_updated` (headless shops).

    ``snapshot`` is the whole :class:`~remarket.shop.CartSnapshot`; the columns beside it
    are copies the push adapter filters on.
    """

    key = models.CharField(
        _("cart key"),
        max_length=128,
        unique=True,
        help_text=_("The shop's id, e.g. a checkout token"),
    )
    email = models.EmailField(_("email address"), max_length=254, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=CartStateChoices.choices, default=CartStateChoices.OPEN
    )
    last_activity = models.DateTimeField(_("last activity"))
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    snapshot = models.JSONField(_("snapshot"), encoder=DjangoJSONEncoder)
    recover_url = models.URLField(
        _("recovery URL"),
        max_length=1000,
        blank=True,
        help_text=_(
            "Where the shop's front end restores this cart, e.g. https://shop.example/cart/abc"
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pushed cart")
        verbose_name_plural = _("pushed carts")
        indexes = [
            models.Index(fields=["state", "last_activity"], name="remarket_pushedcart_idle"),
        ]

    def __str__(self) -> str:
        return self.key


class PushedOrder(models.Model):
    """An order a shop pushed with :func:`remarket.shop.api.order_placed`; recorded once."""

    key = models.CharField(
        _("order key"), max_length=128, unique=True, help_text=_("The shop's order id, e.g. 1042")
    )
    cart_key = models.CharField(_("cart key"), max_length=128, blank=True, db_index=True)
    email = models.EmailField(_("email address"), max_length=254, blank=True, db_index=True)
    placed_at = models.DateTimeField(_("placed at"))
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    snapshot = models.JSONField(_("snapshot"), encoder=DjangoJSONEncoder)
    # Orders are read by when they arrived, so one pushed late is still seen by the tick.
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("pushed order")
        verbose_name_plural = _("pushed orders")

    def __str__(self) -> str:
        return self.key
