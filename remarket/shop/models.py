"""What remarket stores about the host shop's carts (never the carts themselves)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
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
