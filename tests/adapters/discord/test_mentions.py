"""Nothing a person types can ping anyone: escaped in the text, and no mentions allowed on any send."""

from __future__ import annotations

import re

from tests.adapters.discord.conftest import CHANNEL, GUILD, OTHER_USER, USER, DiscordWorld
from tests.coaching.harness import WORKED_EXAMPLE

INJECTION = "@everyone and @here, ask <@123456789012345678> and <@&223456789012345678>"
UNESCAPED_MENTION = re.compile(r"(?<!\\)(@everyone|@here|<@)")


def assert_no_mentions_allowed(world: DiscordWorld) -> None:
    calls = world.fake.message_calls()
    assert calls
    for call in calls:
        body = call.message_body or {}
        assert body.get("allowed_mentions", {}).get("parse") == [], (call.method, call.path, body)
        assert not body.get("allowed_mentions", {}).get("users")
        assert not body.get("allowed_mentions", {}).get("roles")


async def test_mentions_typed_into_a_dm_answer_are_inert(discord_world: DiscordWorld) -> None:
    await discord_world.command("start")
    for answer in [f"Streamers who {INJECTION}", *WORKED_EXAMPLE[1:4]]:
        replies = await discord_world.dm(answer)

    shown = replies[-1]["content"]
    assert r"\@everyone and \@here, ask \<\@123456789012345678\>" in shown
    assert not UNESCAPED_MENTION.search(shown)
    plan = await discord_world.plan()
    assert plan is not None and plan.purpose.audience == f"Streamers who {INJECTION}", "stored as typed"
    assert_no_mentions_allowed(discord_world)


async def test_mentions_typed_into_a_team_answer_are_inert(discord_world: DiscordWorld) -> None:
    started = await discord_world.command("team", "start", guild=GUILD, channel=CHANNEL)
    [question] = discord_world.answers(started)
    opened = await discord_world.click(question, "Type an answer", user=OTHER_USER, guild=GUILD)
    answered = await discord_world.submit(
        opened, {"answer": INJECTION}, user=OTHER_USER, guild=GUILD, channel=CHANNEL
    )

    echo = discord_world.answers(answered, user=OTHER_USER)[0]["content"]
    assert echo.startswith(
        f"<@{OTHER_USER}>: "
    )  # the bot's own mention of who answered: shown, never pinging
    assert not UNESCAPED_MENTION.search(echo.removeprefix(f"<@{OTHER_USER}>: "))
    assert_no_mentions_allowed(discord_world)


async def test_every_kind_of_send_carries_no_mentions(discord_world: DiscordWorld) -> None:
    """Follow-ups, channel messages, interaction answers and message edits alike."""
    await discord_world.make_plan()
    await discord_world.command("help", guild=GUILD, channel=CHANNEL)
    await discord_world.command("team", "start")  # answered straight away: not in a channel
    await discord_world.command("checkin")
    question = discord_world.fake.dm(USER)[-1]
    await discord_world.click(question, "Yes")

    methods = {(c.method, c.path.split("/")[1]) for c in discord_world.fake.message_calls()}
    assert {
        ("POST", "channels"),
        ("POST", "webhooks"),
        ("POST", "interactions"),
        ("PATCH", "webhooks"),
    } <= methods
    assert_no_mentions_allowed(discord_world)
