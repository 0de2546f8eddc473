"""``/coach``: the command tree as Discord gets it, options, autocomplete, embeds and files."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import discord

from adapters.discord.app import PERMISSIONS, build_discord_bot, invite_url
from coaching.forms import Field, FormResult
from coaching.inbound import Inbound
from coaching.model import Owner, Plan
from tests.adapters.discord.conftest import CHANNEL, GUILD, USER, DiscordWorld
from tests.fakes.discord_api import APPLICATION_ID, DEFERRED_MESSAGE, DEFERRED_UPDATE, EPHEMERAL

COMMANDS = f"/applications/{APPLICATION_ID}/commands"


async def test_commands_are_synced_once_and_again_only_when_they_change(discord_world: DiscordWorld) -> None:
    [synced] = discord_world.fake.of("PUT", COMMANDS)
    [coach] = synced.body
    assert coach["name"] == "coach"
    assert coach["contexts"] == [0, 1] and coach["integration_types"] == [0]
    names = [o["name"] for o in coach["options"]]
    assert names == [
        "start", "plan", "checkin", "edit", "schedule", "pause", "timezone",
        "resume", "export", "forget", "help", "team",
    ]  # fmt: skip
    team = next(o for o in coach["options"] if o["name"] == "team")
    assert [o["name"] for o in team["options"]] == names[:-1]

    await discord_world.restart()
    assert len(discord_world.fake.of("PUT", COMMANDS)) == 1, "unchanged commands are not synced again"

    (discord_world.state_dir / "discord-commands.json").write_text(json.dumps({str(APPLICATION_ID): "old"}))
    await discord_world.restart()
    assert len(discord_world.fake.of("PUT", COMMANDS)) == 2


async def test_autocomplete_offers_sections_weekdays_times_and_zones(discord_world: DiscordWorld) -> None:
    assert await discord_world.autocomplete("edit", focused="section", section="ob") == ["objectives"]
    assert await discord_world.autocomplete("team", "schedule", focused="weekday", weekday="fr") == ["friday"]
    assert "08:30" in await discord_world.autocomplete(
        "schedule", focused="time", weekday="friday", time="08"
    )
    assert await discord_world.autocomplete("timezone", focused="zone", zone="Berlin") == ["Europe/Berlin"]


async def test_schedule_and_pause_take_their_options(discord_world: DiscordWorld) -> None:
    await discord_world.make_plan()
    moved = await discord_world.command("schedule", weekday="friday", time="08:30")
    assert "Friday" in discord_world.answers(moved)[0]["content"]
    paused = await discord_world.command("pause", until="2027-01-04")
    assert "2027-01-04" in discord_world.answers(paused)[0]["content"]

    plan = await discord_world.plan()
    assert plan is not None
    assert (plan.schedule.weekday, plan.schedule.time) == ("friday", "08:30")
    assert str(plan.schedule.paused_until) == "2027-01-04"


async def test_plan_is_an_embed_with_the_progress_chart(discord_world: DiscordWorld) -> None:
    await discord_world.make_plan()
    await discord_world.command("checkin")
    for answer in ["yes", "yes", "yes", "70", "25", "2", "nothing"]:
        await discord_world.dm(answer)

    shown = await discord_world.command("plan", guild=GUILD, channel=CHANNEL)

    [message] = discord_world.answers(shown)
    assert message["flags"] & EPHEMERAL
    [embed] = message["embeds"]
    assert embed["title"] == "Your social-media plan"
    assert "**Objectives**" in embed["description"] and "60% → 70%" in embed["description"]
    assert embed["footer"]["text"].startswith("Next check-in: ")
    assert embed["image"]["url"] == "attachment://progress.png"
    [followup] = [
        c for c in discord_world.fake.calls if c.path.startswith("/webhooks/") and shown.token in c.path
    ]
    [(name, content)] = followup.files
    assert name == "progress.png" and content.startswith(b"\x89PNG")


async def test_export_attaches_the_plan_files(discord_world: DiscordWorld) -> None:
    await discord_world.make_plan()
    exported = await discord_world.command("export")
    files = [name for c in discord_world.fake.calls if c.path.startswith("/webhooks/") for name, _ in c.files]
    assert {"plan.md", "plan.json"} <= set(files)
    assert any(m["attachments"] for m in discord_world.answers(exported))


class Watching:
    """The real service, checking at every turn that Discord already got its acknowledgement."""

    def __init__(self, world: DiscordWorld) -> None:
        self.world = world
        self.turns = 0

    def _acknowledged(self) -> None:
        latest = self.world.interactions[-1]
        assert latest.answered, "the turn ran before the interaction was acknowledged"
        self.turns += 1

    async def handle(self, inbound: Inbound, *, event_key: tuple[str, str, str] | None = None) -> Any:
        self._acknowledged()
        return await self.world.app.service.handle(inbound, event_key=event_key)

    async def overview(self, owner: Owner, *, now: datetime) -> Any:
        self._acknowledged()
        return await self.world.app.service.overview(owner, now=now)

    async def form(self, owner: Owner, section: str) -> Sequence[Field]:
        return await self.world.app.service.form(owner, section)

    async def submit_form(
        self, owner: Owner, section: str, values: Mapping[str, str], *, now: datetime
    ) -> FormResult:
        self._acknowledged()
        return await self.world.app.service.submit_form(owner, section, values, now=now)

    async def plan(self, owner: Owner) -> Plan | None:
        return await self.world.app.service.plan(owner)


async def test_interactions_are_acknowledged_before_any_slow_work(discord_world: DiscordWorld) -> None:
    await discord_world.bot.close()
    watching = Watching(discord_world)
    discord_world.bot = build_discord_bot(
        discord_world.settings, service=watching, clock=discord_world.clock, state_dir=discord_world.state_dir
    )
    await discord_world.bot.login()

    started = await discord_world.command("start", guild=GUILD, channel=CHANNEL)
    [question] = discord_world.answers(started)
    opened = await discord_world.click(question, "Type an answer", guild=GUILD)
    await discord_world.submit(opened, {"answer": "Indie developers"}, guild=GUILD, channel=CHANNEL)
    await discord_world.command("plan", guild=GUILD, channel=CHANNEL)
    edit = await discord_world.command("edit", guild=GUILD, channel=CHANNEL, section="purpose")
    await discord_world.submit(edit, {"audience": "Indie game developers"}, guild=GUILD, channel=CHANNEL)

    assert watching.turns == 4
    first_answers = [
        next(c for c in discord_world.fake.calls if f"/{i.token}/" in c.path + "/")
        for i in discord_world.interactions
    ]
    assert all(c.path.endswith("/callback") for c in first_answers)
    types = [c.body["type"] for c in first_answers]
    assert types == [DEFERRED_MESSAGE, 9, DEFERRED_MESSAGE, DEFERRED_MESSAGE, 9, DEFERRED_MESSAGE]


async def test_a_click_is_acknowledged_as_an_update_of_its_message(discord_world: DiscordWorld) -> None:
    await discord_world.make_plan()
    await discord_world.command("checkin")
    click = await discord_world.click(discord_world.fake.dm(USER)[-1], "No")
    [callback] = [c for c in discord_world.fake.calls if c.path.endswith(f"/{click.token}/callback")]
    assert callback.body["type"] == DEFERRED_UPDATE


def test_the_client_is_sharded_with_only_the_intents_it_needs(discord_world: DiscordWorld) -> None:
    client = discord_world.bot.client
    assert isinstance(client, discord.AutoShardedClient)
    assert client.intents == discord.Intents(guilds=True, dm_messages=True)
    assert not client.intents.message_content and not client.intents.members
    assert client.allowed_mentions is not None and client.allowed_mentions.to_dict()["parse"] == []


def test_the_invite_link_asks_for_the_two_scopes_and_the_permissions_check_ins_need() -> None:
    assert PERMISSIONS.value == 117760
    url = invite_url(APPLICATION_ID)
    assert f"client_id={APPLICATION_ID}" in url
    assert "scope=bot+applications.commands" in url
    assert "permissions=117760" in url


async def test_personal_commands_in_a_dm_are_answered_in_the_open(discord_world: DiscordWorld) -> None:
    helped = await discord_world.command("help")
    [answer] = discord_world.answers(helped)
    assert not answer["flags"] & EPHEMERAL
    assert int(answer["channel_id"]) == discord_world.fake.dm_channel(USER)
