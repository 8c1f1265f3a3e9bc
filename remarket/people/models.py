"""People remarket can write to: one :class:`Contact` per email address."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from remarket.emails import normalize_email


class Consent(models.TextChoices):
    UNKNOWN = "unknown", _("not asked")
    GRANTED = "granted", _("granted")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ConsentSource(models.TextChoices):
    CHECKOUT = "checkout", _("checkout")
    SIGNUP = "signup", _("account sign-up")
    BANNER = "banner", _("cookie banner")
    PREFERENCES = "preferences", _("preferences page")
    ADMIN = "admin", _("admin")
    IMPORT = "import", _("import")
    API = "api", _("API")


class Suppression(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("hard bounce")
    SOFT_BOUNCES = "soft_bounces", _("repeated soft bounces")
    COMPLAINT = "complaint", _("spam complaint")
    ESP_UNSUBSCRIBE = "esp_unsubscribe", _("unsubscribed at the email provider")
    INVALID = "invalid", _("invalid address")
    MANUAL = "manual", _("suppressed by staff")
    ERASED = "erased", _("personal data erased")


class ContactQuerySet(models.QuerySet):
    def for_email(self, email: str) -> ContactQuerySet:
        return self.filter(email=normalize_email(email))

    def reachable(self) -> ContactQuerySet:
        """Contacts that have neither unsubscribed nor been suppressed."""
        return self.filter(unsubscribed_at__isnull=True, suppressed_at__isnull=True)


class Contact(models.Model):
    """A person known by email address: one row per address, whatever its case."""

    email = models.EmailField(
        _("email address"),
        max_length=254,
        unique=True,
        help_text=_("Stored in lower case, e.g. ann@example.com."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remarket_contact",
        verbose_name=_("user account"),
    )
    name = models.CharField(_("name"), max_length=150, blank=True)
    locale = models.CharField(
        _("language"),
        max_length=35,
        blank=True,
        help_text=_("Language code for emails, e.g. fa, vi or en. Empty: the site default."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("IANA time zone for quiet hours, e.g. Asia/Tehran. Empty: the shop's."),
    )
    consent = models.CharField(
        _("marketing consent"),
        max_length=16,
        choices=Consent.choices,
        default=Consent.UNKNOWN,
    )
    consent_source = models.CharField(
        _("consent source"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    consent_at = models.DateTimeField(_("consent changed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    unsubscribe_reason = models.CharField(_("unsubscribe reason"), max_length=200, blank=True)
    suppressed_at = models.DateTimeField(_("suppressed at"), null=True, blank=True)
    suppression_reason = models.CharField(
        _("suppression reason"), max_length=16, choices=Suppression.choices, blank=True
    )
    soft_bounces = models.PositiveSmallIntegerField(
        _("soft bounces in a row"),
        default=0,
        help_text=_("Reset by a delivery; at 7 the address is suppressed."),
    )
    erased_at = models.DateTimeField(
        _("personal data erased at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The row stays, anonymous, so the shop's figures still count it."),
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["email"]
        constraints = [
            # The database itself refuses "Ann@Example.com " next to "ann@example.com".
            models.CheckConstraint(
                condition=models.Q(email=Lower(Trim("email"))),
                name="remarket_contact_email_normalized",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_reachable(self) -> bool:
        return self.unsubscribed_at is None and self.suppressed_at is None

    @property
    def has_consent(self) -> bool:
        return self.consent == Consent.GRANTED
