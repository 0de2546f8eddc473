"""Team plans in a server channel: any member answers, and no guild sees another's plan."""

from __future__ import annotations

from adapters.discord.identity import personal_owner, team_owner
from tests.adapters.discord.conftest import (
    CHANNEL,
    GUILD,
    MANAGE_CHANNELS,
    OTHER_CHANNEL,
    OTHER_GUILD,
    OTHER_USER,
    USER,
    DiscordWorld,
    buttons,
)
from tests.coaching.harness import WORKED_EXAMPLE
from tests.fakes.discord_api import EPHEMERAL


async def test_any_member_answers_a_team_question_through_the_answer_form(
    discord_world: DiscordWorld,
) -> None:
    started = await discord_world.command("team", "start", guild=GUILD, channel=CHANNEL)
    [question] = discord_world.answers(started)
    assert not question["flags"] & EPHEMERAL, "a team plan is worked on in the open"
    assert buttons(question) == ["Type an answer"]

    opened = await discord_world.click(question, "Type an answer", user=OTHER_USER, guild=GUILD)
    answered = await discord_world.submit(
        opened, {"answer": WORKED_EXAMPLE[0]}, user=OTHER_USER, guild=GUILD, channel=CHANNEL
    )

    replies = discord_world.answers(answered, user=OTHER_USER)
    assert replies[0]["content"].startswith(f"<@{OTHER_USER}>: People who build")
    assert not replies[0]["flags"] & EPHEMERAL
    plan = await discord_world.app.service.plan(team_owner(GUILD, CHANNEL))
    assert plan is not None and plan.purpose.audience == WORKED_EXAMPLE[0]
    assert await discord_world.plan(OTHER_USER) is None, "the member's own plan is untouched"


async def test_two_guilds_never_see_each_others_plans(discord_world: DiscordWorld) -> None:
    opened = await discord_world.command("team", "edit", guild=GUILD, channel=CHANNEL, section="purpose")
    await discord_world.submit(opened, {"audience": "Speedrunners of Celeste"}, guild=GUILD, channel=CHANNEL)

    elsewhere = await discord_world.command(
        "team", "plan", user=OTHER_USER, guild=OTHER_GUILD, channel=OTHER_CHANNEL
    )
    [answer] = discord_world.answers(elsewhere, user=OTHER_USER)
    assert "Speedrunners" not in str(answer)
    forged = team_owner(OTHER_GUILD, CHANNEL)  # the first guild's channel id under another tenant
    assert await discord_world.app.service.plan(forged) is None
    assert all(
        "Speedrunners" not in str(m) for m in discord_world.fake.channel(OTHER_CHANNEL, seen_by=OTHER_USER)
    )

    mine = await discord_world.command("plan", guild=GUILD, channel=CHANNEL)
    [own] = discord_world.answers(mine)
    assert own["flags"] & EPHEMERAL
    assert "Speedrunners" not in str(own), "a person's plan is not the channel's"
    own_plan = await discord_world.plan(USER)
    assert own_plan is None or own_plan.purpose.audience is None


async def test_a_personal_plan_is_the_same_from_a_guild_and_from_the_dm(discord_world: DiscordWorld) -> None:
    started = await discord_world.command("start", guild=GUILD, channel=CHANNEL)
    [question] = discord_world.answers(started)
    assert question["flags"] & EPHEMERAL, "only the person sees their own plan in a channel"
    assert buttons(question) == ["Type an answer"]

    await discord_world.dm(WORKED_EXAMPLE[0])

    plan = await discord_world.app.service.plan(personal_owner(USER))
    assert plan is not None and plan.purpose.audience == WORKED_EXAMPLE[0]


async def test_team_commands_need_a_server_channel(discord_world: DiscordWorld) -> None:
    asked = await discord_world.command("team", "start")
    [answer] = discord_world.answers(asked)
    assert answer["content"].startswith("A team plan belongs to a server channel")


async def test_deleting_a_team_plan_needs_manage_channels_and_is_confirmed_privately(
    discord_world: DiscordWorld,
) -> None:
    opened = await discord_world.command("team", "edit", guild=GUILD, channel=CHANNEL, section="purpose")
    await discord_world.submit(opened, {"audience": "Speedrunners of Celeste"}, guild=GUILD, channel=CHANNEL)
    refused = await discord_world.command("team", "forget", guild=GUILD, channel=CHANNEL)
    [no] = discord_world.answers(refused)
    assert no["content"] == "Only people who can manage this channel can delete its plan."

    asked = await discord_world.command(
        "team", "forget", guild=GUILD, channel=CHANNEL, permissions=MANAGE_CHANNELS
    )
    [confirm] = discord_world.answers(asked)
    assert confirm["flags"] & EPHEMERAL
    assert buttons(confirm) == ["Yes, delete everything", "No, keep it", "Type an answer"]
    await discord_world.click(confirm, "Yes, delete everything", guild=GUILD, permissions=MANAGE_CHANNELS)

    assert await discord_world.app.service.plan(team_owner(GUILD, CHANNEL)) is None
