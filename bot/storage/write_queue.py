"""One SQLite writer at a time in this process, with claims served before everything else.

SQLite has one write lock per file. Two of our own connections asking for it at once
do not queue: the loser spins in SQLite's busy handler, sleeping up to 100 ms between
tries. So in-process writers queue here first, leaving the busy handler to other
processes.

The queue has two lanes. A dispatch pass's senders wait on its claims, while nobody
waits on its outcome writes or on enqueueing the rest of a large batch: a claim queued
behind those left 50 workers idle for tens of milliseconds at a time. ``urgent``
waiters therefore go first; the others keep their order among themselves.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class WriteQueue:
    """An asyncio lock with an urgent lane; the lock is handed straight to the next waiter."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def hold(self, *, urgent: bool = False) -> AsyncIterator[None]:
        if self._held or self._urgent or (self._normal and not urgent):
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._normal).append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # handed the lock as we were cancelled: pass it on
                raise
        self._held = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        for lane in (self._urgent, self._normal):
            while lane:
                turn = lane.popleft()
                if not turn.done():  # a cancelled waiter's future is done already
                    turn.set_result(None)
                    return
        self._held = False
