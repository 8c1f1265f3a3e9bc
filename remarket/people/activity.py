"""What people did on the storefront, as far as remarket needs it for flows and audiences."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Activity(models.Model):
    """One storefront event (``view_item``, ``add_to_cart``...) by a known or anonymous person.

    Browse-abandonment flows read ``view_item`` rows of known contacts; the tracking room
    writes them through ``remarket.track()``.
    """

    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("contact"),
    )
    visitor_id = models.CharField(_("visitor id"), max_length=64, blank=True)
    kind = models.CharField(
        _("event"), max_length=64, help_text=_("Event name, e.g. view_item or add_to_cart.")
    )
    product_id = models.CharField(_("product id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=now)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["kind", "created_at"], name="remarket_activity_kind_time"),
            models.Index(fields=["contact", "created_at"], name="remarket_activity_contact"),
            # Audiences read one visitor's recent activity.
            models.Index(fields=["visitor_id", "created_at"], name="remarket_activity_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id}".strip()
