"""Create and update contacts from carts, orders and signed-in users.

Every function is idempotent and keyed on the normalised address, so the same person
arriving through a cart, an order and a login is one :class:`Contact`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from remarket.emails import clean_email, normalize_email
from remarket.people.history import (
    ChangeKind,
    ChangeSource,
    ContactConsentChange,
    consent_change,
    record_change,
    unsubscribe_returning,
)
from remarket.people.models import Consent, ConsentSource, Contact
from remarket.shop.snapshots import CartSnapshot, OrderSnapshot

Snapshot = CartSnapshot | OrderSnapshot
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _grant(contact: Contact, granted: bool | None, at: datetime, source: str) -> bool:
    """Record a tick in the shop's consent box, unless the person withdrew later.

    An unticked box is not a withdrawal, so ``False`` never changes anything.
    """
    if granted is not True or contact.consent == Consent.GRANTED:
        return False
    if contact.consent == Consent.WITHDRAWN and contact.consent_at and contact.consent_at >= at:
        return False
    contact.consent, contact.consent_source, contact.consent_at = Consent.GRANTED, source, at
    return True


def _fill(contact: Contact, *, name: str = "", locale: str = "") -> bool:
    """Fill blanks only: what the person or staff set is never overwritten."""
    changed = False
    if name and not contact.name:
        contact.name, changed = name[:150], True
    if locale and not contact.locale:
        contact.locale, changed = locale[:35], True
    return changed


def get_or_create_contact(email: str, **defaults: Any) -> tuple[Contact, bool]:
    """The contact for ``email``, created if needed; safe against concurrent creation."""
    email = normalize_email(email)
    try:
        with transaction.atomic():
            contact, created = Contact.objects.get_or_create(email=email, defaults=defaults)
        if created:
            unsubscribe_returning([contact])
        return contact, created
    except IntegrityError:
        # Another request created it between our SELECT and INSERT.
        return Contact.objects.get(email=email), False


def contact_for_user(user: Any) -> Contact | None:
    """The contact of a signed-in user, linked to the account; ``None`` without an email."""
    email = clean_email(getattr(user, get_user_model().get_email_field_name(), ""))
    if not email:
        return None
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    contact, _created = get_or_create_contact(email, name=name)
    if contact.user_id != user.pk:
        with transaction.atomic():
            # The account's address changed: the link follows the current address.
            Contact.objects.filter(user=user).exclude(pk=contact.pk).update(user=None)
            if contact.user_id is None:
                contact.user = user
                contact.save(update_fields=["user", "updated_at"])
    if _fill(contact, name=name):
        contact.save(update_fields=["name", "updated_at"])
    return contact


def contacts_from_snapshots(
    snapshots: Iterable[Snapshot], *, source: str = ConsentSource.CHECKOUT
) -> dict[str, Contact]:
    """Contacts for the emails of many carts or orders, in a fixed number of queries.

    Six at most for up to 500 addresses (SQLite splits the insert into batches of its
    own parameter limit, about 75 rows): the contacts, erased addresses coming back, the
    account links, the updates and the consent history.

    Missing contacts are created; blanks (name, language, account link) are filled; a
    ticked consent box grants consent. Returns the contacts by email.
    """
    people: dict[str, dict[str, Any]] = {}
    for snapshot in snapshots:
        if not snapshot.email:
            continue
        at = getattr(snapshot, "placed_at", None) or getattr(snapshot, "last_activity", None)
        person = people.setdefault(snapshot.email, {"name": "", "locale": "", "user_id": None})
        # Any snapshot may fill a blank; the newest tick of the consent box counts.
        person["name"] = person["name"] or snapshot.name
        person["locale"] = person["locale"] or snapshot.locale
        person["user_id"] = person["user_id"] or snapshot.user_id
        at = at or timezone.now()
        if snapshot.consent and at > person.get("consent_at", _EPOCH):
            person["consent_at"] = at
    if not people:
        return {}
    contacts = contacts_for_emails(people)
    user_ids = {p["user_id"] for p in people.values() if p["user_id"]}
    linked = set(Contact.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    changed: list[Contact] = []
    granted: list[ContactConsentChange] = []
    for email, person in people.items():
        contact = contacts[email]
        dirty = _fill(contact, name=person["name"], locale=person["locale"])
        if "consent_at" in person and _grant(contact, True, person["consent_at"], source):
            granted.append(
                consent_change(contact.pk, ChangeKind.GRANTED, source, at=person["consent_at"])
            )
            dirty = True
        user_pk = _as_pk(person["user_id"]) if person["user_id"] else None
        if user_pk is not None and contact.user_id is None and user_pk not in linked:
            contact.user_id = user_pk
            linked.add(user_pk)
            dirty = True
        if dirty:
            changed.append(contact)
    if changed:
        for contact in changed:
            contact.updated_at = timezone.now()
        Contact.objects.bulk_update(
            changed,
            ["name", "locale", "consent", "consent_source", "consent_at", "user", "updated_at"],
            batch_size=500,
        )
    if granted:
        ContactConsentChange.objects.bulk_create(granted, batch_size=500)
    return contacts


def contacts_for_emails(emails: Iterable[str]) -> dict[str, Contact]:
    """Contacts for normalised addresses, created where missing: three queries.

    An address erased earlier comes back unsubscribed (see :func:`unsubscribe_returning`).
    """
    emails = set(emails)
    Contact.objects.bulk_create(
        [Contact(email=email) for email in emails], ignore_conflicts=True, batch_size=500
    )
    contacts = {c.email: c for c in Contact.objects.filter(email__in=emails)}
    unsubscribe_returning(contacts.values())
    return contacts


def _as_pk(user_id: str) -> Any:
    return get_user_model()._meta.pk.to_python(user_id)


def sync_contacts(since: datetime, *, idle_since: datetime | None = None) -> dict[str, int]:
    """Create or update contacts from orders placed since ``since`` and from idle carts.

    Reads the shop through the adapter in batches; returns how many orders and carts were
    read and how many contacts exist afterwards that did not before.
    """
    from remarket.shop import get_adapter

    adapter = get_adapter()
    before = Contact.objects.count()
    orders = carts = 0
    for batch in adapter.orders_placed_since(since):
        contacts_from_snapshots(batch)
        orders += len(batch)
    for batch in adapter.idle_carts(idle_since or timezone.now(), active_after=since):
        contacts_from_snapshots(batch)
        carts += len(batch)
    return {"orders": orders, "carts": carts, "created": Contact.objects.count() - before}


def suppress(
    contact: Contact, reason: str, at: datetime, *, source: str = ChangeSource.ESP
) -> None:
    """Stop all email to this address (an earlier suppression keeps its reason and time).

    ``source`` says who found out, for the consent history: the ESP's report by default.
    """
    if Contact.objects.filter(pk=contact.pk, suppressed_at__isnull=True).update(
        suppressed_at=at, suppression_reason=reason, updated_at=at
    ):
        record_change(contact.pk, ChangeKind.SUPPRESSED, source, at=at, detail=reason)


def unsubscribe_contacts(
    contacts: Any, *, source: str, staff: Any = None, reason: str = ""
) -> list[Any]:
    """Unsubscribe every contact of a queryset that is still subscribed; their ids.

    Erased contacts are left alone (they are unsubscribed for good). Four queries.
    """
    at = timezone.now()
    ids = list(
        contacts.filter(unsubscribed_at__isnull=True, erased_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Contact.objects.filter(pk__in=ids, unsubscribed_at__isnull=True).update(
        unsubscribed_at=at, unsubscribe_reason=reason[:200], updated_at=at
    )
    ContactConsentChange.objects.bulk_create(
        consent_change(pk, ChangeKind.UNSUBSCRIBED, source, at=at, staff=staff, detail=reason)
        for pk in ids
    )
    return ids


def resubscribe_contacts(contacts: Any, *, source: str, staff: Any = None) -> list[Any]:
    """Subscribe again, with consent granted from ``source``, everyone who lacks either.

    Suppression (bounces, complaints) is not lifted: the mailbox or the person's
    provider refused mail, and only staff who checked that may clear it.
    """
    at = timezone.now()
    ids = list(
        contacts.filter(erased_at__isnull=True)
        .filter(Q(unsubscribed_at__isnull=False) | ~Q(consent=Consent.GRANTED))
        .values_list("pk", flat=True)
    )
    Contact.objects.filter(pk__in=ids).update(
        unsubscribed_at=None,
        unsubscribe_reason="",
        consent=Consent.GRANTED,
        consent_source=source,
        consent_at=at,
        updated_at=at,
    )
    ContactConsentChange.objects.bulk_create(
        consent_change(pk, ChangeKind.RESUBSCRIBED, source, at=at, staff=staff) for pk in ids
    )
    return ids
