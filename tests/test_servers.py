"""The throwaway servers of tests/servers.py really run, and a missing one is reported."""

from __future__ import annotations

import pytest
import redis
from django.db import connection

from tests import servers


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_postgres_session_runs_on_a_throwaway_postgresql() -> None:
    assert connection.vendor == "postgresql"
    assert connection.settings_dict["HOST"] == servers.HOST
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    assert version.startswith("PostgreSQL ")


@pytest.mark.redis
def test_redis_answers_ping_set_and_get(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping() is True
        client.set("remarket:test", "ok")
        assert client.get("remarket:test") == b"ok"
    finally:
        client.close()


def test_a_missing_server_is_skipped_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install the Debian package redis-server"):
        servers.missing("redis-server", "redis-server")


@pytest.mark.parametrize("value", ["true", "1"])
def test_a_missing_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="install the Debian package postgresql"):
        servers.missing("PostgreSQL (initdb, pg_ctl)", "postgresql")
