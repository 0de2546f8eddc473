"""Driving dispatch passes on a timer with APScheduler 3.x, for ``coach serve``.

APScheduler only ticks here: every ``interval`` seconds it starts one pass. The
schedules themselves live in our own tables (its job stores pickle jobs, need a
synchronous engine and cannot be shared between replicas). A pass that outlasts the
interval is not run twice at once (``max_instances=1``), ticks missed meanwhile
collapse into one (``coalesce``), and a late tick still runs (``misfire_grace_time``
None, where APScheduler's default would silently drop a tick more than a second late).
A second, optional job runs ``daily`` (the retention prune) once at start and every day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.scheduling.dispatcher import PassReport

log = logging.getLogger(__name__)


class Passes(Protocol):
    """What the runner drives (a :class:`~bot.scheduling.dispatcher.Dispatcher`)."""

    async def run_pass(self, now: datetime) -> PassReport: ...

    def stop(self) -> None: ...


class _OverlapIsExpected(logging.Filter):
    """Drops APScheduler's warning that a tick was skipped because the pass is still running.

    That is the runner working as designed (``max_instances=1``): on a busy day every
    tick during a long pass would otherwise log a warning nobody needs to act on.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


_OVERLAP_FILTER = _OverlapIsExpected()


class DispatchRunner:
    def __init__(
        self,
        dispatcher: Passes,
        *,
        clock: Callable[[], datetime],
        interval: float,
        daily: Callable[[datetime], Awaitable[object]] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("the dispatch interval must be positive")
        self._dispatcher = dispatcher
        self._clock = clock
        self._interval = interval
        self._daily = daily
        self._scheduler: AsyncIOScheduler | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.passes = 0

    def start(self) -> None:
        """Start ticking (the first pass right away); needs a running event loop."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        logging.getLogger("apscheduler.scheduler").addFilter(_OVERLAP_FILTER)  # a set: added once
        scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self._interval, timezone=UTC),
            id="dispatch",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
        if self._daily is not None:
            scheduler.add_job(
                self._run_daily,
                IntervalTrigger(days=1, timezone=UTC),
                args=(self._daily,),
                id="daily",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=datetime.now(UTC),
            )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """No more ticks; the pass under way finishes its sends and releases the rest.

        The scheduler is only paused until that pass is over: shutting it down would
        cancel the pass mid-send (APScheduler's asyncio executor cancels running jobs).
        """
        self._dispatcher.stop()
        if self._scheduler is None:
            return
        self._scheduler.pause()
        await self._idle.wait()
        self._scheduler.shutdown(wait=False)
        self._scheduler = None

    async def _tick(self) -> None:
        self._idle.clear()
        try:
            report = await self._dispatcher.run_pass(self._clock())
            self.passes += 1
            if report.claimed or report.enqueued:
                log.info("dispatch pass: %s", report)
        except Exception:  # the next tick tries again; claims left behind expire
            log.exception("dispatch pass failed")
        finally:
            self._idle.set()

    async def _run_daily(self, job: Callable[[datetime], Awaitable[object]]) -> None:
        """One run of the daily job; a failure is logged and tomorrow's run tries again."""
        try:
            log.info("daily job: %s", await job(self._clock()))
        except Exception:
            log.exception("daily job failed")
