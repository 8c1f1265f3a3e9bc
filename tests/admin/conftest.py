"""Staff users for the admin tests: a builder (no publish), a publisher, and their clients."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.flows.conftest import shop  # noqa: F401  (the example shop, for the admin tests)

#: What a shop owner who builds flows gets: flows (and so their steps), no publishing.
BUILDER_PERMISSIONS = ("add_flow", "change_flow", "delete_flow", "view_flow")
PASSWORD = "staff-password"


def make_staff(username: str, *codenames: str, email: str = "") -> Any:
    """A staff user (not a superuser) holding exactly these ``remarket`` permissions."""
    user = get_user_model().objects.create_user(
        username=username,
        email=email or f"{username}@shop.example",
        password=PASSWORD,
        is_staff=True,
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="remarket", codename__in=codenames)
    )
    return user


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def builder() -> Any:
    """May build, preview and test flows; may not publish them."""
    return make_staff("builder", *BUILDER_PERMISSIONS)


@pytest.fixture
def publisher() -> Any:
    """May build and publish flows."""
    return make_staff("publisher", *BUILDER_PERMISSIONS, "publish_flow")


@pytest.fixture
def builder_client(builder: Any) -> Client:
    return client_for(builder)


@pytest.fixture
def publisher_client(publisher: Any) -> Client:
    return client_for(publisher)
