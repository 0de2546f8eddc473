"""``DISCORD_TOKEN`` wires the bot into the app: the dispatcher sends Discord check-ins with it."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.adapters.discord.conftest import USER, DiscordWorld, buttons

MONDAY = datetime.fromisoformat("2026-11-30T08:00:00+00:00")


async def test_the_apps_dispatcher_sends_discord_check_ins(discord_world: DiscordWorld) -> None:
    await discord_world.make_plan()
    discord_world.clock.now = MONDAY + timedelta(minutes=5)

    dispatcher = await discord_world.app.open_dispatcher()
    report = await dispatcher.run_pass(discord_world.clock())

    assert (report.claimed, report.sent) == (1, 1)
    assert buttons(discord_world.fake.dm(USER)[-1]) == ["Yes", "Somewhat", "No", "Ask me tomorrow"]
    bot = await discord_world.app.discord_bot()
    assert bot is not None and bot is await discord_world.app.discord_bot(), "one client per app"
