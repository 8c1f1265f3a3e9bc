from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from remarket.people.models import Contact

pytestmark = pytest.mark.django_db


def test_contacts_come_from_recent_orders_and_idle_carts(shape):
    product = shape.product()
    shape.order(email="Recent@Example.com", items=[(product, 1)])
    shape.order(
        email="ancient@example.com",
        placed=timezone.now() - timedelta(days=400),
        items=[(product, 1)],
    )
    shape.cart(email="left@example.com", touched=timezone.now() - timedelta(hours=1))
    out = StringIO()

    call_command("remarket_sync_contacts", "--days", "30", stdout=out)

    assert set(Contact.objects.values_list("email", flat=True)) == {
        "recent@example.com",
        "left@example.com",
    }
    assert "Read 1 orders and 1 carts from the last 30 days: 2 new contacts." in out.getvalue()
    call_command("remarket_sync_contacts", "--days", "30", stdout=StringIO())
    assert Contact.objects.count() == 2


def test_bad_input_is_a_command_error(shape):
    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("remarket_sync_contacts", "--days", "0")


def test_a_broken_map_is_a_command_error_pointing_at_check(settings):
    settings.REMARKET = {"SITE_URL": "https://x.example"}

    with pytest.raises(CommandError, match=r"manage\.py check"):
        call_command("remarket_sync_contacts")
