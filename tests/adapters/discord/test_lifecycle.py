"""Stopping the bot: turns under way finish and are answered before the connections close."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from adapters.discord.app import build_discord_bot
from coaching.inbound import Inbound
from tests.adapters.discord.conftest import GUILD, OTHER_USER, USER, DiscordWorld


class Slow:
    """The real service, except that a turn waits until the test lets it go."""

    def __init__(self, world: DiscordWorld) -> None:
        self.world = world
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def handle(self, inbound: Inbound, *, event_key: tuple[str, str, str] | None = None) -> Any:
        self.entered.set()
        await self.release.wait()
        return await self.world.app.service.handle(inbound, event_key=event_key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world.app.service, name)


async def test_closing_lets_a_turn_under_way_finish_and_answer(discord_world: DiscordWorld) -> None:
    await discord_world.bot.close()
    slow = Slow(discord_world)
    bot = build_discord_bot(
        discord_world.settings, service=slow, clock=discord_world.clock, state_dir=discord_world.state_dir
    )
    discord_world.bot = bot
    await bot.login()
    bot.client._connection.parse_message_create(discord_world.dm_payload("hello"))
    await asyncio.wait_for(slow.entered.wait(), 5)

    closing = asyncio.create_task(bot.close())
    await asyncio.sleep(0.05)
    assert not closing.done(), "close waits for the turn"
    slow.release.set()
    await asyncio.wait_for(closing, 5)

    assert discord_world.fake.dm(USER), "the turn's answer went out before the connection closed"
    assert bot.client.is_closed()


class RecordingTenants:
    def __init__(self) -> None:
        self.deactivated: list[tuple[str, str, str]] = []

    async def deactivate_tenant(self, platform: str, tenant: str, *, reason: str, now: datetime) -> int:
        self.deactivated.append((platform, tenant, reason))
        return 1


def guild_payload(guild_id: int) -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": "Makers",
        "owner_id": str(OTHER_USER),
        "roles": [],
        "emojis": [],
        "features": [],
        "channels": [],
        "members": [],
        "member_count": 2,
        "unavailable": False,
    }


async def test_removal_from_a_server_stops_its_check_ins_but_an_outage_does_not(
    discord_world: DiscordWorld,
) -> None:
    await discord_world.bot.close()
    tenants = RecordingTenants()
    bot = build_discord_bot(
        discord_world.settings,
        service=discord_world.app.service,
        clock=discord_world.clock,
        state_dir=discord_world.state_dir,
        tenants=tenants,
    )
    discord_world.bot = bot
    await bot.login()
    await discord_world.deliver(lambda: bot.client._connection.parse_guild_create(guild_payload(GUILD)))

    await discord_world.deliver(
        lambda: bot.client._connection.parse_guild_delete({"id": str(GUILD), "unavailable": True})
    )
    assert tenants.deactivated == [], "an outage is not a removal"

    await discord_world.deliver(lambda: bot.client._connection.parse_guild_delete({"id": str(GUILD)}))
    assert tenants.deactivated == [("discord", str(GUILD), "the bot was removed from the server")]
