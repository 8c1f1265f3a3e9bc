"""remarket in the Django admin: each module registers its own ModelAdmins on import."""

from __future__ import annotations

from remarket.admin import dashboard  # noqa: F401  (the figures)
