"""What remarket remembers about consent: every change, and the addresses it was told to forget.

Every code path that changes a contact's consent, subscription or suppression writes a
:class:`ContactConsentChange`, so staff (and the person, in their data export) can see who
changed what, when and through which door. :class:`ErasedAddress` keeps a keyed hash, never
the address, of people whose data was erased, so a returning address starts unsubscribed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from remarket.emails import normalize_email
from remarket.people.models import ConsentSource


class ChangeKind(models.TextChoices):
    GRANTED = "granted", _("consent granted")
    WITHDRAWN = "withdrawn", _("consent withdrawn")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    RESUBSCRIBED = "resubscribed", _("resubscribed")
    SUPPRESSED = "suppressed", _("address suppressed")
    ERASED = "erased", _("personal data erased")


#: Where a change came from: every consent source (one list, ConsentSource's), plus the
#: doors of the email itself.
ChangeSource = models.TextChoices(
    "ChangeSource",
    [(source.name, (source.value, source.label)) for source in ConsentSource]
    + [
        ("EMAIL_LINK", ("email_link", _("unsubscribe link in an email"))),
        ("ESP", ("esp", _("email provider report"))),
        ("SENDING", ("sending", _("found while sending"))),
        ("ERASURE", ("erasure", _("an earlier erasure of this address"))),
    ],
    module=__name__,
)


class ContactConsentChange(models.Model):
    """One change of a contact's consent or reachability, with who and where it came from."""

    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.CASCADE,
        related_name="consent_changes",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("change"), max_length=16, choices=ChangeKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=ChangeSource.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
    )
    # The name stays readable after the staff account is deleted.
    staff_name = models.CharField(_("staff user name"), max_length=150, blank=True)
    detail = models.CharField(
        _("detail"),
        max_length=200,
        blank=True,
        help_text=_("e.g. one-click unsubscribe, or the suppression reason."),
    )
    created_at = models.DateTimeField(_("time"), default=now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        indexes = [
            models.Index(fields=["contact", "created_at"], name="remarket_consentchange_contact")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_source_display()})"


def consent_change(
    contact_id: Any,
    kind: str,
    source: str,
    *,
    at: datetime | None = None,
    staff: Any = None,
    detail: str = "",
) -> ContactConsentChange:
    """An unsaved change row (for ``bulk_create``); :func:`record_change` saves one."""
    return ContactConsentChange(
        contact_id=contact_id,
        kind=kind,
        source=source,
        staff=staff if getattr(staff, "pk", None) else None,
        staff_name=staff.get_username() if getattr(staff, "pk", None) else "",
        detail=str(detail)[:200],
        created_at=at or timezone.now(),
    )


def record_change(contact_id: Any, kind: str, source: str, **fields: Any) -> ContactConsentChange:
    """Write one change of consent or reachability for the contact with ``contact_id``."""
    change = consent_change(contact_id, kind, source, **fields)
    change.save()
    return change


class ErasedAddress(models.Model):
    """A keyed hash of an erased contact's address: enough to recognise it, never to read it.

    The hash is an HMAC keyed with ``SECRET_KEY`` (Django's ``salted_hmac``): without the
    key, nobody can test guessed addresses against the table.
    """

    digest = models.CharField(_("address digest"), max_length=64, unique=True)
    erased_at = models.DateTimeField(_("erased at"), default=now)

    class Meta:
        verbose_name = _("erased address")
        verbose_name_plural = _("erased addresses")

    def __str__(self) -> str:
        return self.digest[:12]


def address_digest(email: str) -> str:
    """The keyed hash :class:`ErasedAddress` stores for ``email`` (normalised first)."""
    return salted_hmac(
        "remarket.people.erased", normalize_email(email), algorithm="sha256"
    ).hexdigest()


def unsubscribe_returning(contacts: Iterable[Any]) -> list[Any]:
    """Start contacts whose address was erased earlier unsubscribed; one query if none was.

    The erased person asked to be forgotten, which includes their marketing; coming back
    (from the preferences page or by staff) is a fresh choice. Each digest is used once:
    from then on the new contact carries the state itself.
    """
    from remarket.people.models import Contact

    by_digest = {address_digest(contact.email): contact for contact in contacts}
    if not by_digest:
        return []
    found = list(
        ErasedAddress.objects.filter(digest__in=by_digest).values_list("digest", flat=True)
    )
    # The erased row's address was overwritten, so any contact with it is a new one.
    returning = [by_digest[digest] for digest in found]
    if not returning:
        return []
    at = timezone.now()
    reason = _("asked to be forgotten earlier")
    Contact.objects.filter(pk__in=[c.pk for c in returning], unsubscribed_at__isnull=True).update(
        unsubscribed_at=at, unsubscribe_reason=str(reason), updated_at=at
    )
    ContactConsentChange.objects.bulk_create(
        consent_change(c.pk, ChangeKind.UNSUBSCRIBED, ChangeSource.ERASURE, at=at, detail=reason)
        for c in returning
    )
    ErasedAddress.objects.filter(digest__in=found).delete()
    for contact in returning:
        contact.unsubscribed_at, contact.unsubscribe_reason = at, str(reason)
    return returning
