"""Anonymous visitors (the first-party cookie) and the log of their consent choices."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Visitor(models.Model):
    """One browser, known by the opaque id in remarket's first-party cookie.

    A row exists only once there is something to keep: a consent choice, click ids from
    an ad, or a link to a contact (login or an email given at checkout). Page views by a
    visitor with a cookie and nothing new cost no query.
    """

    key = models.CharField(_("visitor id"), max_length=64, unique=True)
    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visitors",
        verbose_name=_("contact"),
    )
    click_ids = models.JSONField(
        _("click ids"),
        default=dict,
        blank=True,
        help_text=_("The latest ad click ids and campaign tags, e.g. gclid or utm_source."),
    )
    landing_path = models.CharField(_("landing page"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("first seen"), default=now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")

    def __str__(self) -> str:
        return self.key


class ConsentChoice(models.TextChoices):
    GRANTED = "granted", _("granted")
    DENIED = "denied", _("denied")


class ConsentChannel(models.TextChoices):
    BANNER = "banner", _("cookie banner")
    API = "api", _("shop code")


class ConsentRecord(models.Model):
    """One change of a browser's retargeting consent, kept as evidence.

    ``receipt`` is the random id stored in the strictly necessary consent cookie, so a
    choice made before any visitor id existed (a refusal) can still be shown later.
    """

    receipt = models.CharField(_("receipt"), max_length=32, db_index=True)
    visitor_key = models.CharField(_("visitor id"), max_length=64, blank=True, db_index=True)
    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_records",
        verbose_name=_("contact"),
    )
    choice = models.CharField(_("choice"), max_length=16, choices=ConsentChoice.choices)
    source = models.CharField(_("source"), max_length=16, choices=ConsentChannel.choices)
    gpc = models.BooleanField(
        _("Global Privacy Control"),
        default=False,
        help_text=_("The browser sent Sec-GPC: 1, which keeps ad tracking off regardless."),
    )
    created_at = models.DateTimeField(_("time"), default=now, editable=False)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.choice} ({self.source})"
