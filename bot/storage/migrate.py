"""Running the Alembic migrations from code, safely when several replicas start at once.

The bot upgrades its own database on start-up, so no ini file or working directory is
assumed: the script location is this package's ``migrations`` folder. Run by hand with
``python -m bot.storage`` (uses ``COACH_DATABASE_URL``) or, from the repository
root, ``alembic upgrade head`` (uses ``alembic.ini``).

Alembic itself is imported only when there is something to upgrade: the import takes
0.4 s on these machines, a fifth of ``coach chat``'s start-up, and telling whether a
database is current needs only its ``alembic_version`` row and the scripts' revision
lines.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.engine import SQLITE_BEGIN_OPTION, SQLITE_BUSY_TIMEOUT_MS

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Alembic's default, which ``env.py`` keeps.
VERSION_TABLE = "alembic_version"

_REVISION_RE = re.compile(r"^revision\b[^=\n]*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION_RE = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED_RE = re.compile(r"['\"]([^'\"]+)['\"]")

#: Key of the PostgreSQL session advisory lock that serialises concurrent upgrades.
MIGRATION_LOCK_KEY = zlib.crc32(b"popt-coach:alembic-upgrade")

#: How long an SQLite upgrade waits for another process's upgrade to finish.
SQLITE_MIGRATION_BUSY_TIMEOUT_MS = 300_000


def alembic_config() -> Config:
    """An Alembic config that finds the migrations by package path, without an ini file."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The head revision(s) of the migration scripts (read once per process): the
    revisions no script names as its ``down_revision``. A test holds this to Alembic's
    own answer, so a script it cannot read fails there."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revisions.update(_REVISION_RE.findall(source))
        for down in _DOWN_REVISION_RE.findall(source):
            parents.update(_QUOTED_RE.findall(down))
    return frozenset(revisions - parents)


def _current_revisions(connection: Connection) -> frozenset[str]:
    if not connection.dialect.has_table(connection, VERSION_TABLE):
        return frozenset()
    return frozenset(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _upgrade(connection: Connection) -> None:
    from alembic import command

    config = alembic_config()
    # env.py runs the migrations on this connection instead of opening its own.
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


_process_locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


def _in_process_lock() -> asyncio.Lock:
    """The lock serialising this event loop's Alembic runs (an asyncio lock is per loop)."""
    loop = asyncio.get_running_loop()
    lock = _process_locks.get(loop)
    if lock is None:
        lock = _process_locks[loop] = asyncio.Lock()
    return lock


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Run a pragma on the driver connection, outside any SQLAlchemy transaction."""
    driver_connection = connection.connection.dbapi_connection
    if driver_connection is None:
        raise RuntimeError("the connection was closed during the migration")
    cursor = driver_connection.cursor()
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


@asynccontextmanager
async def migration_lock(connection: AsyncConnection) -> AsyncIterator[None]:
    """Hold the migration lock on ``connection`` for the duration of the block.

    On PostgreSQL this is a session advisory lock, so it must stay on this one
    connection (a pooled connection or a transaction-scoped lock would silently let
    it go). On SQLite the migration transaction begins ``IMMEDIATE`` (the database's
    write lock) instead.
    """
    if connection.dialect.name == "sqlite":
        # The migration's transaction takes the write lock at BEGIN, so a second
        # process waits (busy timeout) and then finds the schema current, instead of
        # failing when it tries to turn its read snapshot into a write.
        await connection.rollback()
        await connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        # A table rebuild (Alembic batch mode) drops the old table, and with foreign
        # keys on, that DROP would cascade-delete every child row. The pragma only
        # takes effect outside a transaction; env.py runs foreign_key_check instead.
        await connection.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=OFF")
        # Another process's migration (a table rebuild) may take longer than a turn's
        # busy timeout; waiting for it is right, failing start-up is not.
        await connection.run_sync(_sqlite_pragma, f"PRAGMA busy_timeout={SQLITE_MIGRATION_BUSY_TIMEOUT_MS}")
        try:
            yield
        finally:
            try:
                await connection.rollback()
                await connection.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=ON")
                await connection.run_sync(_sqlite_pragma, f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            except BaseException:
                await connection.invalidate()  # no pooled connection without foreign keys
                raise
        return
    if connection.dialect.name != "postgresql":
        yield
        return
    await connection.rollback()
    await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    await connection.commit()
    try:
        yield
    finally:
        try:
            await connection.rollback()
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await connection.commit()
        except BaseException:
            # Never hand a connection still holding the lock back to the pool: closing
            # the session is what releases the lock then.
            await connection.invalidate()
            raise


async def upgrade_database(engine: AsyncEngine) -> None:
    """Bring the database to the newest schema (``alembic upgrade head``).

    Checks the stored revision first without taking any lock, so a start-up against an
    up-to-date database costs one small query. Otherwise the upgrade runs on a single
    connection under :func:`migration_lock`; a replica that waited for the lock finds the
    work done (Alembic re-reads the revision) and does nothing.
    """
    async with engine.connect() as connection:
        if await connection.run_sync(_current_revisions) == head_revisions():
            await connection.rollback()
            return
    # Alembic keeps its running context in module globals, so two upgrades in one
    # process must not interleave even on different databases.
    async with _in_process_lock(), engine.connect() as connection, migration_lock(connection):
        await connection.run_sync(_upgrade)
        await connection.commit()
