"""One turn at a time per plan, in the order the events arrived.

discord.py runs every event in a task of its own, so two messages a person sends in
quick succession would otherwise race, and the second could be taken as the answer to
the first question. The service keeps concurrent turns consistent (a version column)
but not in order; this keeps them in order within the process. Tasks start in the
order the gateway delivered the events, and ``asyncio.Lock`` wakes its waiters first
come, first served.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class InOrder:
    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        lock, waiting = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._locks[key]
            if waiting == 1:
                del self._locks[key]  # nobody else waits: memory does not grow with owners
            else:
                self._locks[key] = (lock, waiting - 1)

    def __len__(self) -> int:
        return len(self._locks)
