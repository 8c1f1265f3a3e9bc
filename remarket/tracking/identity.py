"""Who a visitor is: the opaque visitor id, ad click ids, Meta's ``_fbp``/``_fbc``, contacts.

Meta's cookie formats (developers.facebook.com, "fbp and fbc parameters"):
``_fbp = fb.<subdomain index>.<creation time in ms>.<random>`` and
``_fbc = fb.<subdomain index>.<creation time in ms>.<fbclid>``. The server sets them
(Safari caps cookies written by script); ``1`` is the index Meta asks server-side code to
use. The fbclid is case-sensitive and is copied exactly as it arrived.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

if TYPE_CHECKING:
    from django.http import HttpRequest

    from remarket.people.models import Contact

#: Click ids of the ad platforms, read from the landing page's query string.
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "ttclid", "msclkid", "li_fat_id", "ScCid")
#: Campaign tags kept with them.
UTM_TAGS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id")
_MAX_VALUE = 500
#: remarket's visitor ids: 22 URL-safe characters (128 random bits). Anything else in the
#: cookie is discarded, so a forged value can never reach a query or a page.
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_FB_COOKIE = re.compile(r"fb\.\d\.\d{10,16}\.[^.\s;,]+(\.[A-Za-z0-9_-]+)?")
SESSION_CONTACT = "_remarket_contact"


def new_visitor_id() -> str:
    """A fresh opaque visitor id (random, carries no personal data)."""
    return secrets.token_urlsafe(16)


def valid_visitor_id(value: str | None) -> str | None:
    return value if value and VISITOR_ID.fullmatch(value) else None


def capture(query: Any) -> dict[str, str]:
    """The click ids and campaign tags of a landing URL's query (a ``QueryDict``)."""
    found = {}
    for key in (*CLICK_IDS, *UTM_TAGS):
        value = query.get(key)
        if value:
            found[key] = value[:_MAX_VALUE]
    return found


def now_ms() -> int:
    return int(time.time() * 1000)


def make_fbp(at_ms: int | None = None) -> str:
    """A new ``_fbp`` browser id: ``fb.1.<ms>.<random 31-bit number>``."""
    return f"fb.1.{now_ms() if at_ms is None else at_ms}.{secrets.randbelow(2**31)}"


def make_fbc(fbclid: str, at_ms: int | None = None) -> str:
    """The ``_fbc`` click cookie for an ``fbclid``, which is kept byte for byte."""
    return f"fb.1.{now_ms() if at_ms is None else at_ms}.{fbclid}"


def valid_fb_cookie(value: str | None) -> bool:
    """Whether a ``_fbp``/``_fbc`` value has Meta's 4- or 5-part shape (kept unchanged)."""
    return bool(value and _FB_COOKIE.fullmatch(value))


def fbc_click_id(value: str | None) -> str:
    """The fbclid inside an ``_fbc`` value ("" if malformed)."""
    if not valid_fb_cookie(value):
        return ""
    return value.split(".")[3]


def remember_clicks(visitor_key: str, found: dict[str, str], path: str) -> None:
    """Store the latest click ids on the visitor row (created if needed): one query or two."""
    from remarket.people.visitors import Visitor

    clicks = {**found, "at": timezone.now().isoformat()}
    updated = Visitor.objects.filter(key=visitor_key).update(
        click_ids=clicks, landing_path=path[:500], updated_at=timezone.now()
    )
    if not updated:
        Visitor.objects.get_or_create(
            key=visitor_key, defaults={"click_ids": clicks, "landing_path": path[:500]}
        )


def link_visitor(visitor_key: str, contact: Contact) -> None:
    """Tie a visitor to a contact; the visitor's earlier anonymous activity follows."""
    from remarket.people.activity import Activity
    from remarket.people.visitors import Visitor

    with transaction.atomic():
        visitor, created = Visitor.objects.get_or_create(
            key=visitor_key, defaults={"contact": contact}
        )
        if not created and visitor.contact_id != contact.pk:
            visitor.contact = contact
            visitor.save(update_fields=["contact", "updated_at"])
        Activity.objects.filter(visitor_id=visitor_key, contact__isnull=True).update(
            contact=contact
        )


def identify(request: HttpRequest, *, email: str = "", user: Any = None) -> Contact | None:
    """Tell remarket who this visitor is: an email typed at checkout, or a signed-in user.

    Creates or finds the :class:`~remarket.people.models.Contact`, remembers it in the
    session so later events carry it, and, when the visitor has retargeting consent, links
    the visitor id so its earlier activity follows. Returns the contact (``None`` for an
    invalid email). Marketing email consent is a separate matter: this grants nothing.
    """
    from remarket.emails import clean_email
    from remarket.people.services import contact_for_user, get_or_create_contact
    from remarket.tracking.context import get_tracker

    if user is not None:
        contact = contact_for_user(user)
    else:
        address = clean_email(email)
        contact = get_or_create_contact(address)[0] if address else None
    if contact is None:
        return None
    if hasattr(request, "session"):
        request.session[SESSION_CONTACT] = contact.pk
    tracker = get_tracker(request)
    tracker.known_contact = contact.pk
    key = tracker.visitor_key()
    if key:
        link_visitor(key, contact)
    return contact
