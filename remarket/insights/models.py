"""What remarketing earned: orders and the message they are attributed to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from remarket.flows.models import Flow


class AttributionRule(models.TextChoices):
    COUPON = "coupon", _("used the coupon from the email")
    CLICK = "click", _("clicked within the click window")
    OPEN = "open", _("opened within the open window")
    NONE = "none", _("unattributed")


class Conversion(models.Model):
    """An order placed by someone remarket was working on."""

    order_key = models.CharField(_("order key"), max_length=64, unique=True)
    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.CASCADE,
        related_name="conversions",
        verbose_name=_("contact"),
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    placed_at = models.DateTimeField(_("placed at"), db_index=True)
    message = models.ForeignKey(
        "remarket.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversions",
        verbose_name=_("attributed message"),
    )
    flow = models.ForeignKey(
        "remarket.Flow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversions",
        verbose_name=_("attributed flow"),
    )
    # The attributed message's step, kept here so the figures count orders per step
    # without looking up every order's message (denormalised: a message never changes step).
    step = models.ForeignKey(
        "remarket.Step",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attributed step"),
    )
    rule = models.CharField(
        _("attribution rule"), max_length=8, choices=AttributionRule.choices, default="none"
    )

    class Meta:
        verbose_name = _("conversion")
        verbose_name_plural = _("conversions")

    def __str__(self) -> str:
        return f"{self.order_key} ({self.value} {self.currency})"


class FlowReport(Flow):
    """The figures of the flows: the admin's dashboard (``remarket.view_flowreport``).

    A proxy, so "view figures" is a permission of its own, apart from editing flows.
    """

    class Meta:
        proxy = True
        verbose_name = _("figures")
        verbose_name_plural = _("figures")
