from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from remarket.people.models import Contact
from tests.insights.data import enroll, flow_with_steps, message, order


@pytest.mark.django_db
def test_no_migration_is_missing():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when changes are pending
        pytest.fail(f"Missing migrations (exit {exc.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_existing_conversions_take_their_messages_step():
    """0008 fills Conversion.step from the attributed message (and leaves the rest null)."""
    flow = flow_with_steps("cart", steps=2)
    second = flow.steps.get(position=2)
    contact = Contact.objects.create(email="ann@example.com")
    attributed = order(message(enroll(flow, contact), second), "30.00")
    walk_in = order(None, "12.00")

    executor = MigrationExecutor(connection)
    executor.migrate([("remarket", "0007_tracking")])
    executor.loader.build_graph()
    executor.migrate([("remarket", "0008_conversion_step")])

    attributed.refresh_from_db()
    walk_in.refresh_from_db()
    assert attributed.step_id == second.pk
    assert walk_in.step_id is None
