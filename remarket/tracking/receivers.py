"""Signal receivers of the tracking room, connected in ``RemarketConfig.ready()``."""

from __future__ import annotations

from typing import Any


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A visitor who signs in is linked to the account's contact; past activity follows."""
    if request is None:
        return
    from remarket.tracking.identity import identify

    identify(request, user=user)
