"""Editing a section in a Discord modal: one page, a page per item, and errors after the fact."""

from __future__ import annotations

from typing import Any

from adapters.discord.identity import team_owner
from tests.adapters.discord.conftest import CHANNEL, GUILD, USER, DiscordWorld, buttons
from tests.fakes.discord_api import EPHEMERAL


def fields(modal: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """custom id → (label, description) of each input in a modal as the bot sent it."""
    return {c["component"]["custom_id"]: (c["label"], c.get("description")) for c in modal["components"]}


def defaults(modal: dict[str, Any]) -> dict[str, str]:
    out = {}
    for c in modal["components"]:
        inner = c["component"]
        if inner["type"] == 3:
            out[inner["custom_id"]] = next((o["value"] for o in inner["options"] if o.get("default")), "")
        else:
            out[inner["custom_id"]] = inner.get("value") or ""
    return out


async def test_editing_the_purpose_in_a_modal_saves_it(discord_world: DiscordWorld) -> None:
    opened = await discord_world.command("edit", guild=GUILD, channel=CHANNEL, section="purpose")

    assert opened.modal is not None
    assert opened.modal["title"] == "Edit purpose"
    assert list(fields(opened.modal)) == ["audience", "why", "what", "start_with"]
    saved = await discord_world.submit(
        opened,
        {"audience": "Indie game developers who sell on Steam", "why": "Honest numbers from a peer"},
        guild=GUILD,
        channel=CHANNEL,
    )

    plan = await discord_world.plan()
    assert plan is not None
    assert plan.purpose.audience == "Indie game developers who sell on Steam"
    assert plan.purpose.why == "Honest numbers from a peer"
    [answer] = discord_world.answers(saved)
    assert answer["content"].startswith("Saved the purpose.")
    assert answer["flags"] & EPHEMERAL


async def test_a_rejected_form_lists_the_problems_and_fix_it_reopens_what_was_typed(
    discord_world: DiscordWorld,
) -> None:
    await discord_world.make_plan()
    opened = await discord_world.command("edit", guild=GUILD, channel=CHANNEL, section="priorities")
    assert defaults(opened.modal or {})["hours_per_week"] == "5h"

    rejected = await discord_world.submit(
        opened, {"hours_per_week": "lots", "boundaries": "no weekends"}, guild=GUILD, channel=CHANNEL
    )

    [answer] = discord_world.answers(rejected)
    assert answer["flags"] & EPHEMERAL
    assert "**Hours a week for social media**: A number of hours from 1 to 80" in answer["content"]
    assert buttons(answer) == ["Fix it"]
    plan = await discord_world.plan()
    assert plan is not None and plan.priorities.hours_per_week == 5, "nothing saved"

    fix = await discord_world.click(answer, "Fix it", guild=GUILD)
    assert fix.modal is not None
    assert defaults(fix.modal) == {"hours_per_week": "lots", "boundaries": "no weekends"}
    assert (fields(fix.modal)["hours_per_week"][1] or "").startswith("⚠ A number of hours")
    await discord_world.submit(fix, {"hours_per_week": "6"}, guild=GUILD, channel=CHANNEL)

    plan = await discord_world.plan()
    assert plan is not None
    assert plan.priorities.hours_per_week == 6
    assert plan.priorities.boundaries == ("no weekends",)


async def test_objectives_get_a_page_each_and_the_others_stay_as_they_were(
    discord_world: DiscordWorld,
) -> None:
    await discord_world.make_plan()
    before = await discord_world.plan()
    assert before is not None

    chooser = await discord_world.command("edit", guild=GUILD, channel=CHANNEL, section="objectives")
    assert chooser.modal is None
    [menu] = discord_world.answers(chooser)
    assert menu["flags"] & EPHEMERAL
    labels = buttons(menu)
    assert labels[-1] == "Add an objective"
    email = next(label for label in labels if label.startswith("Grow email sales"))

    opened = await discord_world.click(menu, email, guild=GUILD)
    assert opened.modal is not None
    email_id = next(o.id for o in before.objectives if o.description.startswith("Grow email"))
    assert list(fields(opened.modal)) == [
        f"{email_id}.description",
        f"{email_id}.target",
        f"{email_id}.baseline",
        f"{email_id}.deadline",
    ]
    await discord_world.submit(opened, {f"{email_id}.target": "60"}, guild=GUILD, channel=CHANNEL)

    after = await discord_world.plan()
    assert after is not None
    changed = {o.id: o for o in after.objectives}
    assert changed[email_id].target == 60
    for objective in before.objectives:
        if objective.id != email_id:
            assert changed[objective.id] == objective


async def test_a_tactics_page_offers_the_stage_as_a_menu(discord_world: DiscordWorld) -> None:
    await discord_world.make_plan()
    chooser = await discord_world.command("edit", guild=GUILD, channel=CHANNEL, section="tactics")
    [menu] = discord_world.answers(chooser)
    opened = await discord_world.click(menu, "Twitter", guild=GUILD)
    assert opened.modal is not None
    stage = next(
        c["component"] for c in opened.modal["components"] if c["component"]["custom_id"].endswith(".stage")
    )
    assert stage["type"] == 3
    assert [o["value"] for o in stage["options"]] == ["listen", "participate", "lead"]

    tactic = stage["custom_id"].split(".")[0]
    await discord_world.submit(opened, {f"{tactic}.stage": "lead"}, guild=GUILD, channel=CHANNEL)

    plan = await discord_world.plan()
    assert plan is not None
    twitter = next(t for t in plan.tactics if t.id == tactic)
    assert (twitter.label, twitter.stage, twitter.hours_per_week) == ("Twitter", "lead", 2)


async def test_a_team_form_is_announced_in_the_channel(discord_world: DiscordWorld) -> None:
    opened = await discord_world.command("team", "edit", guild=GUILD, channel=CHANNEL, section="purp")
    assert opened.modal is not None and opened.modal["custom_id"] == "coach:e:t:purpose:"
    await discord_world.submit(opened, {"audience": "Our Discord's modders"}, guild=GUILD, channel=CHANNEL)

    plan = await discord_world.app.service.plan(team_owner(GUILD, CHANNEL))
    assert plan is not None and plan.purpose.audience == "Our Discord's modders"
    [announcement] = discord_world.fake.public(CHANNEL)
    assert announcement["content"] == f"<@{USER}> updated this channel's purpose."


async def test_an_unknown_section_is_explained(discord_world: DiscordWorld) -> None:
    asked = await discord_world.command("edit", guild=GUILD, channel=CHANNEL, section="budget")
    [answer] = discord_world.answers(asked)
    assert answer["content"].startswith("Pick one of purpose")
    assert asked.modal is None
