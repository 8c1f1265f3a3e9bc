"""Email addresses as remarket stores and compares them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from remarket.exceptions import InvalidEmail


def normalize_email(raw: object) -> str:
    """Strip and lower-case an address, or raise :class:`InvalidEmail`.

    remarket treats ``Ann@Example.com `` and ``ann@example.com`` as one person: every
    provider that matters delivers them to the same mailbox, and one person must never
    get the same reminder twice because they typed a capital letter.
    """
    email = str(raw or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidEmail(f"{raw!r} is not a valid email address.") from exc
    return email


def clean_email(raw: object) -> str:
    """Like :func:`normalize_email`, but an unusable address gives ``""``."""
    try:
        return normalize_email(raw)
    except InvalidEmail:
        return ""
