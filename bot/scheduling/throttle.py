"""At most one message per interval per channel, so a fan-out never trips per-channel limits.

Slack allows about one message per second per channel. Different channels do not wait
for each other; two nudges for one channel in the same pass are spaced out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable


class ChannelThrottle:
    def __init__(
        self,
        interval: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[Hashable, float] = {}

    async def wait(self, channel: Hashable) -> None:
        """Wait for the channel's turn and book the next one (a no-op with interval 0)."""
        if self._interval <= 0:
            return
        now = self._monotonic()
        turn = max(now, self._next.get(channel, now))
        self._next[channel] = turn + self._interval
        if turn > now:
            await self._sleep(turn - now)

    def forget_idle(self) -> None:
        """Drop channels whose next turn has passed, so memory does not grow with owners."""
        now = self._monotonic()
        self._next = {channel: turn for channel, turn in self._next.items() if turn > now}
