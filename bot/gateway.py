"""The Discord gateway on exactly one replica of ``coach serve``.

Every replica logs the bot in over REST (enough to send check-ins and answer nothing
else), but only the holder of the ``discord-gateway`` lock connects to the gateway and
so receives events. The others try again every ``retry`` seconds and take over when the
holder is gone. A holder that loses its lock's connection stops the whole process
rather than risk two gateways: the orchestrator restarts it, as a standby.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

LOCK_NAME = "discord-gateway"


class Lock(Protocol):
    """What :class:`~bot.storage.leadership.Leadership` offers."""

    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


class Gateway(Protocol):
    async def start(self) -> None: ...

    def stand_by(self) -> None: ...


class GatewayOwner:
    def __init__(
        self, leadership: Lock, gateway: Gateway, *, retry: float, on_lost: Callable[[], None]
    ) -> None:
        self._leadership = leadership
        self._gateway = gateway
        self._retry = retry
        self._on_lost = on_lost
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="discord-gateway-owner")

    async def stop(self) -> None:
        """Stop trying (or watching) and let another replica take the gateway at once."""
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._leadership.release()

    async def _run(self) -> None:
        if not await self._acquire():
            self._gateway.stand_by()
            log.info("Discord gateway held by another replica; this one stands by")
            while not await self._acquire():
                if await self._stopped_within(self._retry):
                    return
        if self._stopping.is_set():
            return
        await self._gateway.start()
        log.info("Discord gateway: this replica connects it")
        while not await self._stopped_within(self._retry):
            if not await self._leadership.still_held():
                log.error("lost the Discord gateway lock; stopping so that only one replica holds it")
                self._on_lost()
                return

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _acquire(self) -> bool:
        try:
            return await self._leadership.try_acquire()
        except Exception:  # the database is away for a moment: try again later
            log.warning("could not ask for the Discord gateway lock", exc_info=True)
            return False
