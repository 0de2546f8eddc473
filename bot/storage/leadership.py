"""One process at a time, for work that must not run on every replica: the Discord gateway.

Discord expects each shard of a bot to be connected once, so of several ``coach serve``
replicas only one may open the gateway. The holder keeps a PostgreSQL session-level
advisory lock on a connection of its own. If the process dies, the server drops that
connection and the lock with it, and a standby gets it at its next try: no lease to
renew, no clocks to agree on.

SQLite has no such lock and one writing process by design, so there every process
holds it (two processes on one SQLite file would each connect the gateway, as before).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class Leadership:
    """Whether this process holds ``name``; :meth:`try_acquire` never waits for it."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self._engine = engine
        self._key = lock_key(name)
        self._shared = engine.dialect.name != "postgresql"
        self._connection: AsyncConnection | None = None

    @property
    def holding(self) -> bool:
        return self._shared or self._connection is not None

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process holds it now."""
        if self.holding:
            return True
        connection = await self._engine.connect()
        try:
            taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
            await connection.commit()  # a session lock outlives the transaction; no idle one is left open
        except BaseException:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        """Whether the lock's connection still answers; False once it is gone (and the lock with it)."""
        if self._shared:
            return True
        if self._connection is None:
            return False
        try:
            await self._connection.scalar(text("SELECT 1"))
            await self._connection.commit()
        except (DBAPIError, OSError):
            await self._forget_connection()
            return False
        return True

    async def release(self) -> None:
        """Let another process take it (closing the connection would too; this is at once)."""
        if self._connection is None:
            return
        try:
            await self._connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            await self._connection.commit()
        except (DBAPIError, OSError):
            pass  # the connection is gone, and the lock went with it
        await self._forget_connection()

    async def _forget_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except (DBAPIError, OSError):
                await connection.invalidate()
