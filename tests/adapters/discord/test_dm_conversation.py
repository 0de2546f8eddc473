"""The conversation of a person's own plan, in the DM with the bot."""

from __future__ import annotations

from tests.adapters.discord.conftest import USER, DiscordWorld, buttons
from tests.coaching.harness import WORKED_EXAMPLE
from tests.fakes.discord_api import BOT_ID, user_payload


async def test_the_worked_example_in_a_dm_ends_with_the_stored_plan(discord_world: DiscordWorld) -> None:
    last = await discord_world.make_plan()

    plan = await discord_world.plan()
    assert plan is not None
    assert plan.purpose.audience == "People who build and sell small software tools on their own"
    assert [o.job.value for o in plan.ranked_objectives()] == ["support", "traffic", "trends"]
    assert sorted(t.label for t in plan.tactics) == ["Drinks with industry friends", "Email", "Twitter"]
    assert plan.priorities.hours_per_week == 5
    assert plan.timezone == "Europe/Berlin"
    assert last[0]["content"] == "Timezone set to Europe/Berlin."
    summary = last[-1]["embeds"][0]["description"]
    assert "That's your plan" in summary and "**Tactics**" in summary
    assert all(not m["flags"] & 64 for m in discord_world.fake.dm(USER)), "nothing in a DM is ephemeral"


async def test_a_button_in_the_dm_answers_and_shows_who_chose_what(discord_world: DiscordWorld) -> None:
    await discord_world.command("start")
    for answer in WORKED_EXAMPLE[:4]:
        replies = await discord_world.dm(answer)
    question = replies[-1]
    assert buttons(question) == ["Yes, continue", "Change something"]

    click = await discord_world.click(question, "Yes, continue")

    edited = discord_world.fake.messages[int(question["id"])]
    assert edited["components"] == []
    assert edited["content"].endswith(f"<@{USER}> chose **Yes, continue**")
    followups = discord_world.answers(click)
    assert "Step 2 of 4" in followups[-1]["content"]


async def test_a_message_delivered_twice_after_a_reconnect_is_answered_once(
    discord_world: DiscordWorld,
) -> None:
    await discord_world.command("start")
    first = await discord_world.dm(WORKED_EXAMPLE[0], message_id=1234567890123456789)
    again = await discord_world.dm(WORKED_EXAMPLE[0], message_id=1234567890123456789)

    assert first
    assert again == []


async def test_the_bot_ignores_its_own_messages_and_empty_ones(discord_world: DiscordWorld) -> None:
    await discord_world.command("start")
    before = len(discord_world.fake.calls)
    assert await discord_world.dm("   ") == []
    assert await discord_world.dm("Who do you want to reach?", author=user_payload(BOT_ID, bot=True)) == []
    assert len(discord_world.fake.calls) == before


async def test_a_button_of_an_earlier_question_leaves_that_message_as_it_was(
    discord_world: DiscordWorld,
) -> None:
    await discord_world.command("start")
    for answer in WORKED_EXAMPLE[:4]:
        replies = await discord_world.dm(answer)
    question = dict(replies[-1])
    await discord_world.dm("back")  # the confirmation is no longer the question
    before = dict(discord_world.fake.messages[int(question["id"])])

    click = await discord_world.click(question, "Yes, continue")

    assert discord_world.fake.messages[int(question["id"])] == before, "not shown as answered"
    assert "earlier question" in discord_world.answers(click)[0]["content"]
