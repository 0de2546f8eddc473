"""The Discord gateway's owner: connects only while holding the lock, stops the process if it is lost."""

from __future__ import annotations

import asyncio

from bot.gateway import GatewayOwner

TICK = 0.001  # the retry interval; the tests wait on events, not on this


class Lock:
    def __init__(self, *, free_after: int = 0) -> None:
        self.tries = 0
        self.free_after = free_after
        self.held = False
        self.released = False
        self.checked = asyncio.Event()
        self.tried_five_times = asyncio.Event()

    async def try_acquire(self) -> bool:
        self.tries += 1
        if self.tries >= 5:
            self.tried_five_times.set()
        self.held = self.tries > self.free_after
        return self.held

    async def still_held(self) -> bool:
        self.checked.set()
        return self.held

    async def release(self) -> None:
        self.released = True
        self.held = False


class Gateway:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.standing_by = False

    async def start(self) -> None:
        self.standing_by = False
        self.started.set()

    def stand_by(self) -> None:
        self.standing_by = True


async def test_a_standby_connects_once_the_lock_is_free_and_hands_it_back_on_stop() -> None:
    lock, gateway = Lock(free_after=3), Gateway()
    owner = GatewayOwner(lock, gateway, retry=TICK, on_lost=lambda: None)
    owner.start()
    await asyncio.wait_for(gateway.started.wait(), timeout=10)
    assert lock.tries == 4 and not gateway.standing_by
    await owner.stop()
    assert lock.released


async def test_a_holder_that_loses_the_lock_asks_the_process_to_stop() -> None:
    lock, gateway = Lock(), Gateway()
    lost = asyncio.Event()
    owner = GatewayOwner(lock, gateway, retry=TICK, on_lost=lost.set)
    owner.start()
    await asyncio.wait_for(lock.checked.wait(), timeout=10)
    lock.held = False  # the lock's connection went away
    await asyncio.wait_for(lost.wait(), timeout=10)
    await owner.stop()


async def test_a_replica_that_never_gets_the_lock_stands_by_and_never_connects() -> None:
    lock, gateway = Lock(free_after=10**9), Gateway()
    owner = GatewayOwner(lock, gateway, retry=TICK, on_lost=lambda: None)
    owner.start()
    await asyncio.wait_for(lock.tried_five_times.wait(), timeout=10)
    assert gateway.standing_by and not gateway.started.is_set()
    await owner.stop()
