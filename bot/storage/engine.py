"""Creating the async engine, with the per-backend settings the store relies on."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import AbstractAsyncContextManager, closing, nullcontext
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

from bot.storage.write_queue import WriteQueue

#: Execution option naming the SQLite BEGIN flavour of a connection's transactions.
SQLITE_BEGIN_OPTION = "coach_sqlite_begin"

#: :data:`SQLITE_BEGIN_OPTION` for a connection that runs one statement, atomic by itself:
#: no ``BEGIN`` (SQLite commits the statement on its own), which saves the round trips
#: to the driver's thread that ``BEGIN`` and its cursor cost.
SINGLE_STATEMENT = "NONE"

#: Milliseconds SQLite waits for another writer before reporting "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000


def dumps_json(value: Any) -> str:
    """Compact JSON that keeps non-ASCII text as is (smaller rows, readable in psql).

    NaN and infinities are refused: PostgreSQL's JSONB cannot hold them, and a value
    SQLite would accept but PostgreSQL would not is a bug waiting for production.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def make_engine(url: str) -> AsyncEngine:
    """An :class:`AsyncEngine` for ``url`` (``sqlite+aiosqlite`` or ``postgresql+asyncpg``).

    SQLite: the parent directory is created (a first run needs no setup), and every
    connection gets WAL (readers never block the writer), enforced foreign keys (so
    ``ON DELETE CASCADE`` works) and a busy timeout (a second writer waits instead of
    failing). The sqlite3 driver's own transaction handling is switched off and
    SQLAlchemy emits ``BEGIN`` itself, so reads sit inside the transaction too and a
    writer can ask for ``BEGIN IMMEDIATE`` (see :data:`SQLITE_BEGIN_OPTION`), which
    takes the write lock up front instead of failing on a lock upgrade half-way.

    PostgreSQL: a modest pool with pre-ping (connections survive a database restart)
    and recycling (no connection outlives an idle timeout of a proxy in between).
    """
    parsed: URL = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed)
    return create_async_engine(
        parsed,
        json_serializer=dumps_json,
        pool_size=5,
        max_overflow=10,
        pool_timeout=30,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _switch_to_wal(path: Path) -> None:
    """Put the database file in WAL mode once, before any pooled connection opens it.

    WAL is a property of the file, but switching to it needs an exclusive lock, and
    SQLite reports that pragma's lock conflicts at once instead of waiting the busy
    timeout. Replicas or engines opening a new file together would then fail, so the
    switch happens here, with retries, while nothing async is running yet.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            with closing(sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as db:
                db.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _make_sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:") and not url.query:
        path = Path(database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        _switch_to_wal(path)
    engine = create_async_engine(
        url,
        json_serializer=dumps_json,
        # None: the driver never emits BEGIN by itself; the "begin" hook below does.
        connect_args={"isolation_level": None},
        # Every connection is used through ``begin()`` or ``connect()``, whose end
        # commits or rolls back; the pool's own rollback on return would be one more
        # hop to the driver's thread for every transaction, with nothing to undo.
        pool_reset_on_return=None,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0].lower() != "wal":  # not switched by _switch_to_wal
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # In WAL mode NORMAL stays consistent after a crash and skips an fsync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        flavour = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        if flavour == SINGLE_STATEMENT:
            return
        if flavour not in {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}:
            raise ValueError(f"unknown SQLite BEGIN flavour {flavour!r}")
        # Straight to aiosqlite: one hop to its thread, where a cursor would take three.
        driver = connection.connection.driver_connection
        assert driver is not None  # a connection in use always has its driver connection
        await_(driver.execute(f"BEGIN {flavour}"))

    return engine


_sqlite_write_queues: WeakKeyDictionary[Engine, WriteQueue] = WeakKeyDictionary()


def write_lock(engine: AsyncEngine, *, urgent: bool = False) -> AbstractAsyncContextManager[object]:
    """Hold around a write transaction: on SQLite, one writer at a time in this process
    (see :mod:`bot.storage.write_queue`; ``urgent`` ones first). PostgreSQL locks rows,
    not the database: no-op."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    queue = _sqlite_write_queues.get(engine.sync_engine)
    if queue is None:
        queue = _sqlite_write_queues[engine.sync_engine] = WriteQueue()
    return queue.hold(urgent=urgent)
