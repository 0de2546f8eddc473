"""A real coach behind the real discord.py bot, talking to a fake Discord REST API.

``discord`` gives a :class:`DiscordWorld`: Discord's side of the conversation. The bot
logs in over REST against :class:`~tests.fakes.discord_api.FakeDiscordApi` (which also
syncs its commands there); gateway events are handed to discord.py's own gateway
parsers (``parse_message_create``, ``parse_interaction_create``) with payloads shaped
like Discord's, as discord.py's own tests build interactions. From there on everything
is real: the command tree, the persistent items, the modals, the service and the
database; every answer goes back over HTTP to the fake, which records it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.app import DiscordBot, build_discord_bot
from adapters.discord.identity import personal_owner
from bot.app import App, build_app
from bot.settings import Settings
from coaching.model import Plan
from tests.clock import Clock
from tests.coaching.harness import START, WORKED_EXAMPLE
from tests.fakes.discord_api import (
    APPLICATION_ID,
    TOKEN,
    FakeDiscordApi,
    Interaction,
    message_payload,
    user_payload,
)

USER = 800000000000000001
OTHER_USER = 800000000000000002
GUILD = 710000000000000001
CHANNEL = 720000000000000001
OTHER_GUILD = 710000000000000002
OTHER_CHANNEL = 720000000000000002
MANAGE_CHANNELS = discord.Permissions(manage_channels=True, send_messages=True, view_channel=True)
MEMBER = discord.Permissions(send_messages=True, view_channel=True)


class ErrorLog(logging.Handler):
    """Errors discord.py would only log (it catches what a handler raises): the world fails on them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def command_data(
    path: tuple[str, ...], options: dict[str, str], *, focused: str | None = None
) -> dict[str, Any]:
    """``/coach <path...> option:value`` as Discord sends it: nested subcommand options."""
    node: dict[str, Any] = {
        "type": 1,
        "name": path[-1],
        "options": [
            {"type": 3, "name": name, "value": value, **({"focused": True} if name == focused else {})}
            for name, value in options.items()
        ],
    }
    if len(path) == 2:
        node = {"type": 2, "name": path[0], "options": [node]}
    return {"id": "1", "name": "coach", "type": 1, "options": [node]}


def submitted(components: list[dict[str, Any]], values: dict[str, str]) -> list[dict[str, Any]]:
    """A modal's components as Discord submits them: what ``values`` says, else the defaults."""
    result = []
    for label in components:
        inner = label["component"]
        name = inner["custom_id"]
        if inner["type"] == 3:
            chosen = (
                [values[name]]
                if name in values
                else [o["value"] for o in inner["options"] if o.get("default")]
            )
            result.append({"type": 18, "component": {"type": 3, "custom_id": name, "values": chosen}})
        else:
            value = values.get(name, inner.get("value") or "")
            result.append({"type": 18, "component": {"type": 4, "custom_id": name, "value": value}})
    return result


def buttons(message: dict[str, Any]) -> list[str]:
    return [c.get("label", "") for row in message["components"] for c in row["components"] if c["type"] == 2]


@dataclass
class DiscordWorld:
    settings: Settings
    app: App
    bot: DiscordBot
    fake: FakeDiscordApi
    clock: Clock
    state_dir: Path
    errors: ErrorLog
    interactions: list[Interaction] = field(default_factory=list)

    @property
    def state(self) -> Any:
        return self.bot.client._connection

    # -- delivering events -----------------------------------------------------------

    async def deliver(self, parse: Callable[[], None]) -> None:
        """Hand an event to discord.py's gateway parser and wait for everything it started."""
        before = asyncio.all_tasks()
        parse()
        started = asyncio.all_tasks() - before
        if started:
            await asyncio.wait(started, timeout=10)
        assert await self.bot.inflight.drain(10), "Discord handlers still running"

    def dm_payload(
        self,
        text: str,
        *,
        user: int = USER,
        message_id: int | None = None,
        author: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE in the person's DM with the bot (written by ``author``, if given)."""
        return message_payload(
            message_id or self.fake.snowflake(),
            self.fake.dm_channel(user),
            author or user_payload(user),
            content=text,
            timestamp=self.clock().isoformat(),
        )

    async def dm(
        self,
        text: str,
        *,
        user: int = USER,
        message_id: int | None = None,
        author: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The person writes to the bot in their DM; returns the bot's new messages there."""
        before = len(self.fake.dm(user))
        payload = self.dm_payload(text, user=user, message_id=message_id, author=author)
        await self.deliver(lambda: self.state.parse_message_create(payload))
        return [m for m in self.fake.dm(user)[before:] if m["author"]["id"] != str(user)]

    def interaction_payload(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user: int,
        guild: int | None,
        channel: int | None,
        message: dict[str, Any] | None = None,
        permissions: discord.Permissions = MEMBER,
    ) -> dict[str, Any]:
        interaction_id = self.fake.snowflake()
        token = f"token-{interaction_id}"
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "locale": "en-US",
            "app_permissions": str(discord.Permissions.all().value),
            "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if guild is not None:
            assert channel is not None
            payload |= {
                "guild_id": str(guild),
                "guild_locale": "en-US",
                "channel_id": str(channel),
                "channel": {
                    "id": str(channel),
                    "type": 0,
                    "guild_id": str(guild),
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                },
                "member": {
                    "user": user_payload(user),
                    "roles": [],
                    "joined_at": START.isoformat(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": str(permissions.value),
                },
                "context": 0,
                "authorizing_integration_owners": {"0": str(guild)},
            }
        else:
            channel = self.fake.dm_channel(user)
            payload |= {
                "channel_id": str(channel),
                "channel": {"id": str(channel), "type": 1, "recipients": [user_payload(user)]},
                "user": user_payload(user),
                "context": 1,
                "authorizing_integration_owners": {"0": str(GUILD)},
            }
        if message is not None:
            payload["message"] = message
        record = Interaction(
            id=interaction_id,
            token=token,
            channel_id=channel,
            user_id=user,
            message_id=int(message["id"]) if message else None,
        )
        self.fake.register(record)
        self.interactions.append(record)
        return payload

    async def interact(self, payload: dict[str, Any]) -> Interaction:
        await self.deliver(lambda: self.state.parse_interaction_create(payload))
        return self.fake.interactions[payload["token"]]

    async def command(
        self,
        *path: str,
        user: int = USER,
        guild: int | None = None,
        channel: int | None = None,
        permissions: discord.Permissions = MEMBER,
        **options: str,
    ) -> Interaction:
        """``/coach <path> option:value``; in the DM with the bot unless a guild is given."""
        data = command_data(path, options)
        return await self.interact(
            self.interaction_payload(
                2, data, user=user, guild=guild, channel=channel, permissions=permissions
            )
        )

    async def autocomplete(
        self, *path: str, focused: str, user: int = USER, guild: int | None = GUILD, **options: str
    ) -> list[str]:
        data = command_data(path, options, focused=focused)
        channel = CHANNEL if guild is not None else None
        done = await self.interact(self.interaction_payload(4, data, user=user, guild=guild, channel=channel))
        return [str(c["value"]) for c in done.choices or []]

    async def click(
        self,
        message: dict[str, Any],
        label: str,
        *,
        user: int = USER,
        guild: int | None = None,
        permissions: discord.Permissions = MEMBER,
    ) -> Interaction:
        """Click the button with this label, or pick the menu option with this label."""
        for row in message["components"]:
            for component in row["components"]:
                if component["type"] == 2 and component.get("label") == label:
                    data = {"custom_id": component["custom_id"], "component_type": 2}
                    break
                if component["type"] == 3:
                    option = next((o for o in component["options"] if o["label"] == label), None)
                    if option is not None:
                        data = {
                            "custom_id": component["custom_id"],
                            "component_type": 3,
                            "values": [option["value"]],
                        }
                        break
            else:
                continue
            break
        else:
            raise AssertionError(f"no {label!r} on {message['components']}")
        channel = int(message["channel_id"]) if guild is not None else None
        return await self.interact(
            self.interaction_payload(
                3, data, user=user, guild=guild, channel=channel, message=message, permissions=permissions
            )
        )

    async def submit(
        self,
        opened: Interaction,
        values: dict[str, str],
        *,
        user: int = USER,
        guild: int | None = None,
        channel: int | None = None,
    ) -> Interaction:
        """Fill in and submit the modal the bot opened in answer to ``opened``."""
        assert opened.modal is not None, "the bot opened no modal"
        data = {
            "custom_id": opened.modal["custom_id"],
            "components": submitted(opened.modal["components"], values),
        }
        return await self.interact(self.interaction_payload(5, data, user=user, guild=guild, channel=channel))

    # -- reading ---------------------------------------------------------------------

    def answers(self, interaction: Interaction, *, user: int = USER) -> list[dict[str, Any]]:
        """The messages that answered an interaction (its original response and follow-ups)."""
        seen = self.fake.channel(interaction.channel_id, seen_by=user)
        after = interaction.original_id or interaction.id
        return [m for m in seen if int(m["id"]) >= after and m["author"]["id"] != str(user)]

    async def make_plan(self, *, user: int = USER) -> list[dict[str, Any]]:
        """The METHOD.md worked example in the person's DM, then their timezone."""
        await self.command("start", user=user)
        replies: list[dict[str, Any]] = []
        for answer in [*WORKED_EXAMPLE, "Berlin"]:
            replies = await self.dm(answer, user=user)
            assert replies, f"no answer to {answer!r}"
        return replies

    async def plan(self, user: int = USER) -> Plan | None:
        return await self.app.service.plan(personal_owner(user))

    async def restart(self) -> None:
        """Stop the bot and the app, and start new ones on the same database and state dir."""
        await self.bot.close()
        await self.app.close()
        self.app = await build_app(self.settings, clock=self.clock)
        self.bot = build_discord_bot(
            self.settings, service=self.app.service, clock=self.clock, state_dir=self.state_dir
        )
        await self.bot.login()


async def world(database_url: str, tmp_path: Path) -> AsyncIterator[DiscordWorld]:
    clock = Clock()
    fake = FakeDiscordApi(clock=clock)
    await fake.start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        coach_database_url=database_url,
        discord_token=TOKEN,
        discord_api_url=fake.api_url,
    )
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    application = await build_app(settings, clock=clock)
    state_dir = tmp_path / "state"
    bot = build_discord_bot(settings, service=application.service, clock=clock, state_dir=state_dir)
    await bot.login()
    current = DiscordWorld(settings, application, bot, fake, clock, state_dir, errors)
    try:
        yield current
    finally:
        await current.bot.close()
        await current.app.close()
        await fake.stop()
        logging.getLogger().removeHandler(errors)
    assert not fake.unknown, f"the bot called routes the fake does not know: {fake.unknown}"
    assert not errors.records, [r.getMessage() for r in errors.records]


@pytest.fixture
async def discord_world(
    database_url: str, tmp_path: Path, _restore_route_base: None
) -> AsyncIterator[DiscordWorld]:
    """The bot on each database backend (see ``database_url``)."""
    async for w in world(database_url, tmp_path):
        yield w
