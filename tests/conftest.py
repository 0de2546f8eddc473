"""Fixtures shared by every test package: real databases, no fakes.

Every test that stores anything asks for ``database_url``, which runs it once per
database backend: an SQLite file and PostgreSQL by default, one of them with
``pytest --db sqlite`` or ``--db postgresql`` (or ``COACH_TEST_DB``). The PostgreSQL
side is one private throwaway server per test session (loopback, a free port,
``fsync`` off), with a fresh database per test. Without the PostgreSQL binaries those
cases are skipped, unless ``COACH_REQUIRE_POSTGRES=1`` makes them fail (CI). Set
``COACH_PG_BIN`` to the directory of ``initdb``/``pg_ctl`` to choose a version.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _find_pg_bin() -> Path | None:
    candidates: list[Path] = []
    if configured := os.environ.get("COACH_PG_BIN"):
        candidates.append(Path(configured))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(Path(pg_ctl).parent)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    """A running private PostgreSQL server; superuser ``coach``, trust authentication."""

    bin_dir: Path
    directory: Path
    port: int
    user: str = "coach"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL command through ``psql`` (no event loop needed) and return its output."""
        completed = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return completed.stdout

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy async URL."""
        name = f"t_{uuid.uuid4().hex}"
        self.psql(f"CREATE DATABASE {name} STRATEGY FILE_COPY")
        return self.url(name)


def _as_postgres(*command: str | Path) -> list[str]:
    """initdb refuses to run as root: run the server's commands as ``postgres`` then."""
    argv = [str(part) for part in command]
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _start_server(bin_dir: Path) -> PostgresServer:
    directory = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    subprocess.run(
        _as_postgres(
            bin_dir / "initdb",
            "-D",
            directory / "data",
            "-A",
            "trust",
            "-U",
            "coach",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ),
        check=True,
        capture_output=True,
    )
    last_error = ""
    for _attempt in range(5):
        port = _free_port()
        options = (
            f"-k {directory} -h 127.0.0.1 -p {port} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        started = subprocess.run(
            _as_postgres(
                bin_dir / "pg_ctl",
                "-D",
                directory / "data",
                "-w",
                "-t",
                "30",
                "-l",
                directory / "log",
                "-o",
                options,
                "start",
            ),
            capture_output=True,
            text=True,
        )
        if started.returncode == 0:
            return PostgresServer(bin_dir=bin_dir, directory=directory, port=port)
        last_error = started.stderr + started.stdout  # most likely a port taken meanwhile
    shutil.rmtree(directory, ignore_errors=True)
    raise RuntimeError(f"could not start PostgreSQL: {last_error}")


def _stop_server(server: PostgresServer) -> None:
    subprocess.run(
        _as_postgres(server.bin_dir / "pg_ctl", "-D", server.directory / "data", "-m", "fast", "-w", "stop"),
        check=False,
        capture_output=True,
    )
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One private PostgreSQL server for the whole test session, stopped at its end."""
    bin_dir = _find_pg_bin()
    if bin_dir is None:
        reason = (
            "PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin, "
            "on PATH or in COACH_PG_BIN; install them (apt-get install postgresql)"
        )
        if os.environ.get("COACH_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"COACH_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    server = _start_server(bin_dir)
    try:
        yield server
    finally:
        _stop_server(server)


BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        action="append",
        choices=BACKENDS,
        help="run the database tests on this backend only (repeat for both; default: both, "
        "or the comma-separated COACH_TEST_DB)",
    )


def selected_backends(config: pytest.Config) -> tuple[str, ...]:
    chosen: list[str] | None = config.getoption("--db")
    if not chosen and (from_env := os.environ.get("COACH_TEST_DB")):
        chosen = [name.strip() for name in from_env.split(",") if name.strip()]
        if unknown := set(chosen) - set(BACKENDS):
            raise pytest.UsageError(f"COACH_TEST_DB names unknown backends: {sorted(unknown)}")
    return tuple(chosen) if chosen else BACKENDS


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run this database test only on these backends (sqlite, postgresql)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that reaches a database, directly or through a fixture, on each backend.

    A test about one backend's own behaviour says so with ``@pytest.mark.backends(...)``
    and is not generated for the other (rather than generated and skipped).
    """
    if "database_url" not in metafunc.fixturenames:
        return
    backends = selected_backends(metafunc.config)
    if (marker := metafunc.definition.get_closest_marker("backends")) is not None:
        backends = tuple(name for name in backends if name in marker.args)
    metafunc.parametrize("database_url", backends, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no schema yet): an SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


def _is_local(host: object) -> bool:
    if host is None or host in ("localhost", b"localhost", ""):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that reaches past loopback: fakes sit at the edge, nothing goes out.

    Guards name resolution and TCP connects (blocking and asyncio's), so a client left
    pointing at a real API fails loudly instead of quietly sending traffic.
    """
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise OSError(f"test tried to resolve {host!r}: no network outside loopback in tests")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise OSError(f"test tried to connect to {address!r}: no network outside loopback in tests")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def _restore_route_base() -> Iterator[None]:
    """``DISCORD_API_URL`` sets discord.py's process-wide base URL; put it back afterwards."""
    from discord.http import Route  # imported here: most tests never load discord.py

    original = Route.BASE
    yield
    Route.BASE = original
