"""Two ``coach serve`` replicas with ``DISCORD_TOKEN`` on one PostgreSQL: one gateway at a time.

Discord expects each shard of a bot connected once. Both replicas log in over REST (both
may send check-ins), but only the holder of the gateway lock identifies on the gateway;
when it is killed with SIGKILL, the other takes the gateway over at its next try.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator

import pytest

from tests.fakes.discord_api import TOKEN, FakeDiscordApi
from tests.production.conftest import Replica, Replicas, stopped, wait_until

pytestmark = pytest.mark.slow

RETRY = 0.3  # COACH_GATEWAY_RETRY: a standby's tries, a holder's checks of its lock


@pytest.fixture
async def fake_discord(_restore_route_base: None) -> AsyncIterator[FakeDiscordApi]:
    fake = FakeDiscordApi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def holds_gateway(replica: Replica) -> bool:
    return "this replica connects it" in replica.output()


async def test_only_one_replica_connects_the_gateway_and_the_other_takes_over_when_it_dies(
    replicas: Replicas, fake_discord: FakeDiscordApi
) -> None:
    discord = {"DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": fake_discord.api_url}
    first = replicas.start("a", environment=discord, gateway_retry=RETRY, log_format="text")
    second = replicas.start("b", environment=discord, gateway_retry=RETRY, log_format="text")
    await replicas.ready(first, second)

    async def one_identified() -> bool:
        return len(fake_discord.identified) == 1 and (holds_gateway(first) or holds_gateway(second))

    await wait_until(one_identified, seconds=60, what="one replica to connect the gateway")
    holder, standby = (first, second) if holds_gateway(first) else (second, first)

    async def standing_by() -> bool:
        return "stands by" in standby.output()

    await wait_until(standing_by, seconds=30, what="the other replica to stand by")
    assert len(fake_discord.identified) == 1, "the standby did not connect a second gateway"
    assert not holds_gateway(standby)

    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait(timeout=30)

    async def taken_over() -> bool:
        return len(fake_discord.identified) == 2 and holds_gateway(standby)

    await wait_until(taken_over, seconds=30, what="the standby to take the gateway over")
    assert await stopped(standby, signal.SIGTERM) == 0
