"""remarket in the Django admin: each module registers its own ModelAdmins on import."""

from __future__ import annotations

from remarket.admin import (
    audiences,  # noqa: F401  (retargeting audience rules and their matches)
    dashboard,  # noqa: F401  (the figures)
    flows,  # noqa: F401  (the flow builder: flows and their steps, publish, pause)
    outbox,  # noqa: F401  (enrollments and messages, read-only)
    people,  # noqa: F401  (contacts: timeline, export, erase)
    steps,  # noqa: F401  (the step editor: variables, preview, send me a test)
)
