"""The real client on the fake gateway: found through DISCORD_API_URL, identified with the
intents it needs, and resuming after a dropped connection without answering anything twice."""

from __future__ import annotations

from adapters.discord.app import build_discord_bot
from tests.adapters.discord.conftest import USER, DiscordWorld, command_data
from tests.coaching.harness import WORKED_EXAMPLE
from tests.fakes.discord_api import TOKEN


def answers_in_dm(world: DiscordWorld) -> int:
    return len([m for m in world.fake.dm(USER) if m["author"]["id"] != str(USER)])


async def test_the_bot_connects_through_the_api_url_and_resumes_after_a_drop(
    discord_world: DiscordWorld,
) -> None:
    fake = discord_world.fake
    await discord_world.bot.close()
    discord_world.bot = build_discord_bot(
        discord_world.settings,
        service=discord_world.app.service,
        clock=discord_world.clock,
        state_dir=discord_world.state_dir,
    )
    await discord_world.bot.start()
    await fake.wait_for(lambda: bool(fake.identified), what="IDENTIFY")
    [identify] = fake.identified
    assert identify["token"] == TOKEN
    assert identify["intents"] == 4097, "guilds and direct messages, nothing privileged"
    assert identify["shard"] == [0, 1], "the shard count Discord recommended"

    start = discord_world.interaction_payload(
        2, command_data(("start",), {}), user=USER, guild=None, channel=None
    )
    await fake.dispatch("INTERACTION_CREATE", start)
    await fake.wait_for(lambda: answers_in_dm(discord_world) == 1, what="the first question")

    answer = discord_world.dm_payload(WORKED_EXAMPLE[0])
    await fake.drop_connections()
    await fake.dispatch("MESSAGE_CREATE", answer)  # while the bot is away: replayed on RESUME
    await fake.wait_for(lambda: bool(fake.resumed), what="RESUME")
    assert fake.resumed[0]["session_id"] == "session-1"
    assert len(fake.identified) == 1, "resumed, not identified again"

    await fake.dispatch("MESSAGE_CREATE", answer)  # and delivered once more, as a reconnect may
    await fake.dispatch("MESSAGE_CREATE", discord_world.dm_payload(WORKED_EXAMPLE[1]))
    await fake.wait_for(lambda: answers_in_dm(discord_world) >= 3, what="the answers")
    assert await discord_world.bot.inflight.drain(5)

    assert answers_in_dm(discord_world) == 3, "each message answered once"
    plan = await discord_world.plan()
    assert plan is not None and plan.purpose.why == WORKED_EXAMPLE[1]
