"""The APScheduler runner: a pass at once on start, none at once twice, a clean stop.

Nothing here waits for the interval: the first pass is due at start, and the test
waits on events the fake dispatcher sets.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from bot.scheduling.dispatcher import PassReport
from bot.scheduling.runner import DispatchRunner

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


class BlockingPasses:
    """Each pass reports that it started, then waits to be let go."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.seen: list[datetime] = []
        self.stopped = False

    async def run_pass(self, now: datetime) -> PassReport:
        self.seen.append(now)
        self.started.set()
        await self.release.wait()
        return PassReport()

    def stop(self) -> None:
        self.stopped = True


async def test_the_first_pass_runs_at_start_with_the_injected_clock_and_stop_waits_for_it() -> None:
    passes = BlockingPasses()
    runner = DispatchRunner(passes, clock=lambda: NOW, interval=3600)
    runner.start()
    await asyncio.wait_for(passes.started.wait(), timeout=10)
    assert passes.seen == [NOW]

    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0)  # let stop() run up to its wait
    assert passes.stopped and not stopping.done()  # the pass under way is not abandoned
    passes.release.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert runner.passes == 1


async def test_a_failing_pass_is_logged_and_the_runner_carries_on(caplog: pytest.LogCaptureFixture) -> None:
    class Failing(BlockingPasses):
        async def run_pass(self, now: datetime) -> PassReport:
            self.started.set()
            raise ConnectionError("database went away")

    passes = Failing()
    runner = DispatchRunner(passes, clock=lambda: NOW, interval=3600)
    runner.start()
    await asyncio.wait_for(passes.started.wait(), timeout=10)
    await asyncio.wait_for(runner.stop(), timeout=10)
    assert "dispatch pass failed" in caplog.text


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        DispatchRunner(BlockingPasses(), clock=lambda: NOW, interval=0)


async def test_a_tick_skipped_during_a_long_pass_is_not_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    passes = BlockingPasses()
    runner = DispatchRunner(passes, clock=lambda: NOW, interval=3600)
    runner.start()
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    # What APScheduler logs when a tick comes while the previous pass still runs.
    scheduler_log.warning(
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)', "dispatch", 1
    )
    scheduler_log.warning("Run time of job was missed by 0:00:02")
    passes.release.set()
    await asyncio.wait_for(runner.stop(), timeout=10)
    assert "maximum number of running instances" not in caplog.text
    assert "was missed by" in caplog.text, "other warnings still come through"
