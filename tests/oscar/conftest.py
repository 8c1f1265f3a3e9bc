"""Fixtures of the Oscar tests: the seeded catalogue, a clock, guests shopping.

Like the main suite, ``REMARKET_TEST_DB=postgres`` runs them on a throwaway PostgreSQL
(tests/servers.py), where the adapter's SQL (key casts, subqueries) meets the real thing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from example_oscar.shop import seed_catalogue
from remarket.flows.models import ConsentPolicy, Flow, FlowStatus, Step, Trigger
from tests import servers

POSTGRES = (os.environ.get("REMARKET_TEST_DB") or "sqlite") == "postgres"

#: A Monday at noon UTC.
NOON = datetime.fromisoformat("2026-03-02T12:00:00+00:00")


@pytest.fixture(autouse=True)
def anymail_test_backend(settings: Any) -> None:
    """Django's test setup forces locmem; anymail's test backend also sets anymail_status."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'throwaway PostgreSQL' if POSTGRES else 'SQLite in memory'} (Oscar)"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[servers.PostgresServer]:
    with servers.postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, request: pytest.FixtureRequest
) -> None:
    """On PostgreSQL, point the default database at the throwaway server (as tests/conftest)."""
    if not POSTGRES:
        return
    from django.conf import settings
    from django.db import connections

    server: servers.PostgresServer = request.getfixturevalue("postgres_server")
    settings.DATABASES["default"].update(
        ENGINE="django.db.backends.postgresql",
        NAME=server.database,
        USER=server.user,
        PASSWORD="",
        HOST=server.host,
        PORT=str(server.port),
    )
    for connection in connections.all(initialized_only=True):
        connection.close()
        del connections[connection.alias]


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def products(db: None) -> dict[str, Any]:
    return seed_catalogue()


@pytest.fixture
def flow(db: None) -> Flow:
    """Abandoned basket: an email with a 10 % coupon after an idle hour, another a day later."""
    flow = Flow.objects.create(
        name="Abandoned basket",
        slug="abandoned-basket",
        trigger=Trigger.CART_ABANDONED,
        trigger_settings={"idle_minutes": 60},
        status=FlowStatus.LIVE,
        consent_policy=ConsentPolicy.ANY_EMAIL,
    )
    Step.objects.create(
        flow=flow,
        position=1,
        delay=timedelta(0),
        subject="You left tea in your basket",
        body=(
            "<p>{% for line in cart.lines %}{{ line.name }} x {{ line.quantity }};"
            "{% endfor %} {{ cart.total }} {{ cart.currency }}</p>"
            '<p>Code {{ coupon.code }}</p><p><a href="{{ links.cart_url }}">Back</a></p>'
        ),
        coupon_kind="percent",
        coupon_value=10,
        coupon_days=3,
    )
    Step.objects.create(
        flow=flow, position=2, delay=timedelta(days=1), subject="Still thinking?", body="<p>Hi</p>"
    )
    return flow


def add_to_basket(client: Client, product: Any, quantity: int = 1) -> None:
    response = client.post(reverse("basket:add", args=[product.pk]), {"quantity": quantity})
    assert response.status_code == 302, response.content[:500]


def give_email_at_checkout(client: Client, email: str) -> None:
    """Oscar's checkout gateway, as a guest: this is where Oscar sends start_checkout."""
    response = client.post(reverse("checkout:index"), {"username": email, "options": "anonymous"})
    assert response.status_code == 302, response.content[:500]
    assert response.url == reverse("checkout:shipping-address")


def pytest_configure(config: pytest.Config) -> None:
    # Oscar 4.2 itself still calls treebeard's deprecated class methods: not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:Using Category.:Warning")
