"""The gateway lock on a real database: one holder on PostgreSQL, taken over when it is gone."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import make_engine
from bot.storage.leadership import Leadership, lock_key


@pytest.mark.backends("postgresql")
async def test_one_holder_at_a_time_and_the_next_takes_over_on_release(
    engine: AsyncEngine, database_url: str
) -> None:
    other_engine = make_engine(database_url)  # another replica: its own pool
    first, second = Leadership(engine, "discord-gateway"), Leadership(other_engine, "discord-gateway")
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire(), "held by the first"
        assert await first.try_acquire(), "asking again while holding is fine"
        unrelated = Leadership(other_engine, "something-else")
        assert await unrelated.try_acquire(), "names are independent"
        await unrelated.release()

        await first.release()
        assert await second.try_acquire()
        assert not await first.try_acquire()
    finally:
        await first.release()
        await second.release()
        await other_engine.dispose()


@pytest.mark.backends("postgresql")
async def test_a_holder_whose_connection_dies_loses_the_lock_and_says_so(
    engine: AsyncEngine, database_url: str
) -> None:
    other_engine = make_engine(database_url)
    holder, standby = Leadership(engine, "discord-gateway"), Leadership(other_engine, "discord-gateway")
    try:
        assert await holder.try_acquire()
        assert await holder.still_held()
        async with other_engine.begin() as connection:  # what a crashed process or a network cut does
            killed = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": lock_key("discord-gateway") & 0xFFFFFFFFFFFFFFFF},
            )
        assert killed == 1
        assert await standby.try_acquire(), "the lock went with the connection"
        assert not await holder.still_held()
        assert not holder.holding
    finally:
        await holder.release()
        await standby.release()
        await other_engine.dispose()


@pytest.mark.backends("sqlite")
async def test_on_sqlite_every_process_holds_it(engine: AsyncEngine) -> None:
    one, two = Leadership(engine, "discord-gateway"), Leadership(engine, "discord-gateway")
    assert await one.try_acquire() and await two.try_acquire()
    assert await one.still_held()
