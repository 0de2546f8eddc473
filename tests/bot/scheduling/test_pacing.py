"""Per-channel throttle and retry backoff, on a fake clock: nothing here really waits."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.scheduling.retry import RetryPolicy
from bot.scheduling.throttle import ChannelThrottle


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_messages_to_one_channel_are_spaced_and_other_channels_do_not_wait() -> None:
    time = FakeTime()
    throttle = ChannelThrottle(1.0, monotonic=time.monotonic, sleep=time.sleep)
    await throttle.wait("D1")
    await throttle.wait("D2")
    assert time.slept == []
    await throttle.wait("D1")
    await throttle.wait("D1")
    assert time.slept == [1.0, 1.0]
    time.now += 5
    await throttle.wait("D1")
    assert time.slept == [1.0, 1.0]


async def test_idle_channels_are_forgotten_and_zero_interval_never_waits() -> None:
    time = FakeTime()
    throttle = ChannelThrottle(1.0, monotonic=time.monotonic, sleep=time.sleep)
    for channel in range(100):
        await throttle.wait(channel)
    time.now += 2
    throttle.forget_idle()
    assert throttle._next == {}
    off = ChannelThrottle(0.0, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(3):
        await off.wait("D1")
    assert time.slept == []


def test_backoff_doubles_with_jitter_is_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=10), rng=random.Random(7))
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (6, 600), (40, 600)]:
        delay = policy.delay(attempt).total_seconds()
        assert ceiling / 2 <= delay <= ceiling, (attempt, delay)
    assert policy.delay(1, retry_after=90) == timedelta(seconds=90)
    assert not policy.gives_up(7) and policy.gives_up(8)
