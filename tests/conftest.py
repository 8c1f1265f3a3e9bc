"""Fixtures for the whole suite, and the choice of database.

The suite runs in two sessions (``make test`` runs both):

* ``pytest``: SQLite in memory, every test except those marked ``postgres``;
* ``REMARKET_TEST_DB=postgres pytest``: a throwaway PostgreSQL server (tests/servers.py)
  started once for the session, running the tests marked ``postgres`` plus everything in
  ``POSTGRES_SESSION_DIRS``, the code whose SQL differs between the two databases.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from remarket.shop import ShopAdapter, get_adapter
from tests import servers
from tests.browser import chromium
from tests.shapes import SHAPES

TEST_DB = os.environ.get("REMARKET_TEST_DB") or "sqlite"

# tests/oscar needs django-oscar and its own settings: `make test-oscar` runs it apart.
collect_ignore = ["oscar"]
POSTGRES_SESSION = TEST_DB == "postgres"

# Besides the tests marked postgres, the PostgreSQL session runs these directories whole:
# the adapter and contact tests, where UUID keys and CAST(pk AS text) differ by database,
# and the audience rules, evaluated in SQL (GLOB or LIKE, INSTR or STRPOS, casefold).
TESTS = Path(__file__).resolve().parent
POSTGRES_SESSION_DIRS = [
    TESTS / "shop",
    TESTS / "people",
    TESTS / "tracking" / "test_audiences.py",
    TESTS / "tracking" / "test_audience_costs.py",
]


@pytest.fixture(autouse=True)
def anymail_test_backend(settings: Any) -> None:
    """Django's test setup forces locmem; anymail's test backend also sets anymail_status."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture(params=SHAPES, ids=lambda shape: shape.name)
def shape(request: pytest.FixtureRequest, settings: Any) -> Any:
    """Each shop shape in turn, with ``REMARKET`` mapped onto it."""
    settings.REMARKET = request.param.settings
    return request.param


@pytest.fixture
def adapter(shape: Any) -> ShopAdapter:
    return get_adapter()


def pytest_configure(config: pytest.Config) -> None:
    if TEST_DB not in {"sqlite", "postgres"}:
        raise pytest.UsageError(
            f"REMARKET_TEST_DB={TEST_DB!r}: use sqlite (the default) or postgres"
        )


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_SESSION:
        return "database: throwaway PostgreSQL (REMARKET_TEST_DB=postgres)"
    return "database: SQLite in memory (REMARKET_TEST_DB=postgres for the PostgreSQL session)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``postgres`` tests on SQLite; on PostgreSQL keep only what that session runs."""
    if not POSTGRES_SESSION:
        skip = pytest.mark.skip(reason="runs in the PostgreSQL session (REMARKET_TEST_DB=postgres)")
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)
        return

    def selected(item: pytest.Item) -> bool:
        return bool(item.get_closest_marker("postgres")) or any(
            item.path.is_relative_to(directory) for directory in POSTGRES_SESSION_DIRS
        )

    deselected = [item for item in items if not selected(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if selected(item)]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[servers.PostgresServer]:
    """A throwaway PostgreSQL server for the whole session (skipped if not installed)."""
    with servers.postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, request: pytest.FixtureRequest
) -> None:
    """In the PostgreSQL session, point the default database at the throwaway server.

    pytest-django calls this just before it creates the test database (``test_postgres``,
    made from the server's ``postgres`` database), so only the connection settings
    change here; Django itself was set up long before, on tests/settings.py.
    """
    if not POSTGRES_SESSION:
        return
    from django.conf import settings
    from django.db import connections

    server: servers.PostgresServer = request.getfixturevalue("postgres_server")
    # In place: django.db.connections holds this very dict, with its defaults filled in.
    settings.DATABASES["default"].update(
        ENGINE="django.db.backends.postgresql",
        NAME=server.database,
        USER=server.user,
        PASSWORD="",
        HOST=server.host,
        PORT=str(server.port),
    )
    for connection in connections.all(initialized_only=True):  # opened on SQLite: forget it
        connection.close()
        del connections[connection.alias]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of a throwaway Redis server for the whole session."""
    with servers.redis_server() as server:
        yield server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium for the session (tests/browser.py)."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies, no storage) and one page in it."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(autouse=True)
def fresh_audience_rules() -> Iterator[None]:
    """Rules cached by one test must not outlive its rolled-back transaction."""
    from remarket.tracking import audiences

    audiences._cached = None
    yield
    audiences._cached = None
