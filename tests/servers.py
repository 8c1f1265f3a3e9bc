"""Throwaway PostgreSQL and Redis servers for the test suite.

Each server is started from the installed binaries, listens only on 127.0.0.1 on a free
port, keeps all its files in a fresh temporary directory, and is stopped and removed
again when the ``with`` block ends::

    with postgres_server() as pg:
        psycopg.connect(host=pg.host, port=pg.port, user=pg.user, dbname=pg.database)

    with redis_server() as redis:
        Redis.from_url(redis.url)

Nothing here touches a server the machine already runs (Debian's packages may start
their own on 5432 and 6379; they are neither used nor needed).

A missing binary skips the tests that need it, with the Debian package to install in the
reason; under CI (environment variable ``CI`` set, e.g. ``CI=true``) it fails them
instead, because a missing server in CI is a broken machine, not an optional extra.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import NoReturn

import pytest

HOST = "127.0.0.1"
# Where Debian (and Ubuntu) install the server binaries; they are not on PATH there.
DEBIAN_POSTGRES_BINDIRS = "/usr/lib/postgresql/*/bin"
# Settings that trade durability for speed: the data dies with the test session anyway.
POSTGRES_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
"""
START_ATTEMPTS = 3  # a "free" port can be taken by someone else before the server binds it


def in_ci() -> bool:
    """True when the environment variable ``CI`` is set to anything but a false value."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(what: str, package: str) -> NoReturn:
    """Skip (or, under CI, fail) because ``what`` is not installed."""
    reason = f"{what} not found: install the Debian package {package}"
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so a missing server is an error)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresServer:
    """Where a throwaway PostgreSQL listens. Loopback connections need no password."""

    host: str
    port: int
    user: str = "postgres"
    database: str = "postgres"


def find_postgres_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None.

    Looked for on PATH, then with ``pg_config --bindir``, then in Debian's
    /usr/lib/postgresql/<version>/bin (the newest version wins).
    """
    candidates: list[Path] = []
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))

    def version(bindir: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(bindir).parent.name))

    candidates += [
        Path(d) for d in sorted(glob(DEBIAN_POSTGRES_BINDIRS), key=version, reverse=True)
    ]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _as_postgres_user() -> list[str]:
    """Command prefix to run PostgreSQL's tools: none, or ``runuser`` when we are root.

    initdb and postgres refuse to run as root. Debian's postgresql package creates a
    ``postgres`` system user, and root can run the tools as that user without a password.
    """
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        missing("the 'postgres' system user (initdb cannot run as root)", "postgresql")
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    if not Path(runuser).is_file():
        missing("runuser (to run initdb as 'postgres' instead of root)", "util-linux")
    return [runuser, "-u", "postgres", "--"]


def _run(command: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n"
            f"{result.stdout}{result.stderr}"
        )


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Run a fresh PostgreSQL cluster for the duration of the ``with`` block.

    The cluster (data, unix socket, log) lives in a temporary directory; as root that
    directory belongs to ``postgres``, who must be able to reach it (the default /tmp is
    fine; a TMPDIR under /root is not). ``initdb -A trust`` lets any local user in as
    ``postgres`` without a password, over loopback and the socket only. The server is
    stopped with ``pg_ctl stop -m immediate`` (no checkpoint: nothing is worth keeping)
    and the directory removed.
    """
    bindir = find_postgres_bindir()
    if bindir is None:
        missing("PostgreSQL (initdb, pg_ctl)", "postgresql")
    as_postgres = _as_postgres_user()

    tmp = Path(tempfile.mkdtemp(prefix="remarket-postgres-"))
    data, log = tmp / "data", tmp / "postgres.log"
    initdb = [*as_postgres, str(bindir / "initdb"), "--pgdata", str(data)]
    pg_ctl = [*as_postgres, str(bindir / "pg_ctl"), "--pgdata", str(data), "--log", str(log)]
    started = False
    try:
        if as_postgres:
            shutil.chown(tmp, user="postgres")
        options = "--username postgres --auth trust --encoding UTF8 --locale C --no-sync"
        _run([*initdb, *options.split()], cwd=tmp, what="initdb")
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(POSTGRES_CONF.format(socket_dir=tmp))

        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            start = [*pg_ctl, "--wait", "--timeout", "60", "--options", f"-p {port}", "start"]
            result = subprocess.run(start, cwd=tmp, capture_output=True, text=True, timeout=90)
            if result.returncode == 0:
                started = True
                break
            if attempt == START_ATTEMPTS:
                raise RuntimeError(
                    f"PostgreSQL did not start (pg_ctl exit {result.returncode}):\n"
                    f"{result.stdout}{result.stderr}\n{log}:\n{_tail(log)}"
                )
        yield PostgresServer(host=HOST, port=port)
    finally:
        if started:
            stop = [*pg_ctl, "--mode", "immediate", "--wait", "stop"]
            subprocess.run(stop, cwd=tmp, capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


# Redis -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisServer:
    """Where a throwaway Redis listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def _pings(port: int) -> bool:
    """Whether a Redis on ``port`` answers PING (an inline command, no client library)."""
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Run a fresh Redis, without persistence, for the duration of the ``with`` block."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server", "redis-server")

    tmp = Path(tempfile.mkdtemp(prefix="remarket-redis-"))
    log = tmp / "redis.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            command = [binary, "--port", str(port), "--bind", HOST, "--dir", str(tmp)]
            command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
            with log.open("ab") as out:
                process = subprocess.Popen(
                    command, cwd=tmp, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
                )
            deadline = time.monotonic() + 15
            while process.poll() is None and time.monotonic() < deadline:
                if _pings(port):
                    yield RedisServer(host=HOST, port=port)
                    return
                time.sleep(0.05)
            _stop(process)
            if attempt == START_ATTEMPTS:
                raise RuntimeError(f"redis-server did not answer PING:\n{log}:\n{_tail(log)}")
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(tmp, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
