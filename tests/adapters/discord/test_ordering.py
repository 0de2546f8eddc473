"""Turns of one plan run one at a time, in arrival order; other plans do not wait."""

from __future__ import annotations

import asyncio

from adapters.discord.ordering import InOrder


async def test_turns_of_one_key_run_in_arrival_order_and_others_do_not_wait() -> None:
    in_order = InOrder()
    done: list[str] = []

    async def turn(key: str, name: str, pause: float) -> None:
        async with in_order.turn(key):
            await asyncio.sleep(pause)
            done.append(name)

    await asyncio.gather(
        turn("alice", "alice-1", 0.03), turn("alice", "alice-2", 0.0), turn("bob", "bob-1", 0.01)
    )

    assert done == ["bob-1", "alice-1", "alice-2"]
    assert len(in_order) == 0, "no lock is kept once nobody waits"
