"""Signal receivers of the people room, connected in ``RemarketConfig.ready()``."""

from __future__ import annotations

from typing import Any

from remarket.people.services import contact_for_user


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A person who signs in becomes (or stays) a contact linked to the account."""
    contact_for_user(user)
