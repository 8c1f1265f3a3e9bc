"""Django finds remarket's models here; each room owns its own."""

from __future__ import annotations

from remarket.people.models import Contact
from remarket.shop.models import CartEmail

__all__ = ["CartEmail", "Contact"]
