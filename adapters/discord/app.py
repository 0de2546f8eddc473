"""Building the Discord bot: one function, from settings, with nothing done at import time.

Intents, and why each is asked for (none is privileged):
- ``guilds``: the servers and channels the bot is in, which discord.py needs to make
  sense of interactions from a server channel;
- ``dm_messages``: a person's direct messages to the bot, where their conversation goes
  on. Discord includes the text of DMs to a bot without the privileged message content
  intent.
The bot reads no server messages: team answers come through buttons and forms. When
it is removed from a server, the team plans there get no more check-ins (their plans
are kept, and check-ins resume when someone uses ``/coach team`` after a re-invite);
personal plans are not the server's and go on in DMs.

``AutoShardedClient`` asks Discord how many shards the bot needs (``GET /gateway/bot``)
and runs them all, so a bot in thousands of servers needs no configuration; with few
servers that is one shard. It reconnects and resumes by itself; an event delivered
again after a resume is recognised by its id (see :mod:`adapters.discord.identity`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import aiohttp
import discord
from discord import app_commands
from platformdirs import user_state_path

from adapters.discord.commands import coach_group
from adapters.discord.components import DYNAMIC_ITEMS
from adapters.discord.delivery import NO_MENTIONS
from adapters.discord.editing import Editing
from adapters.discord.forms import Drafts
from adapters.discord.identity import PLATFORM
from adapters.discord.interactions import Interactions
from adapters.discord.messages import DirectMessages
from adapters.discord.replying import apologise
from adapters.discord.sender import DiscordSender
from adapters.discord.sync import CommandSync
from adapters.discord.turns import Clock, Turns
from adapters.inflight import InFlight
from adapters.ports import Coaching, Tenants

log = logging.getLogger(__name__)

SCOPES = ("bot", "applications.commands")
#: View Channel, Send Messages, Embed Links, Attach Files, Read Message History: what
#: check-ins in a team channel need (interaction answers need no permission at all).
PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True, read_message_history=True
)
#: Longest rate-limit wait discord.py sits out by itself; a longer one is raised instead.
MAX_RATELIMIT_WAIT = 30.0
SHUTDOWN_GRACE_SECONDS = 10.0


class DiscordSettings(Protocol):
    """The Discord part of ``bot.settings.Settings``."""

    discord_token: str | None
    discord_api_url: str | None


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    return wanted


def use_api_url(url: str | None) -> None:
    """Send every REST call, and the gateway lookup, to ``url`` (``DISCORD_API_URL``).

    discord.py keeps the base URL on a class, so it holds for the whole process: one
    Discord API per process.
    """
    if url:
        discord.http.Route.BASE = url.rstrip("/")


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)


class CoachClient(discord.AutoShardedClient):
    """The gateway client with the coach's command tree, DM handler and persistent items."""

    def __init__(
        self,
        *,
        interactions: Interactions,
        direct_messages: DirectMessages,
        sync: CommandSync | None,
        tenants: Tenants | None = None,
        clock: Clock,
        http_trace: aiohttp.TraceConfig | None = None,
    ) -> None:
        super().__init__(
            # None is discord.py's own default (no tracing); its type hints just don't say so.
            http_trace=cast(aiohttp.TraceConfig, http_trace),
            intents=intents(),
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
        )
        self.component_handler = interactions
        self.direct_messages = direct_messages
        self.tree: app_commands.CommandTree[CoachClient] = app_commands.CommandTree(self)
        self.tree.add_command(coach_group(interactions))
        self.tree.error(self._on_command_error)
        self._sync = sync
        self._tenants = tenants
        self._clock = clock

    async def setup_hook(self) -> None:
        """Runs once per login: persistent items first, then commands if they changed."""
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.application_id is not None:
            log.info("invite the coach with %s", invite_url(self.application_id))
            if self._sync is not None:
                await self._sync.sync(self.tree, application_id=self.application_id)

    async def on_message(self, message: discord.Message) -> None:
        await self.direct_messages.on_message(message)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server (not a server outage: discord.py reports those apart)."""
        if self._tenants is not None:
            stopped = await self._tenants.deactivate_tenant(
                PLATFORM, str(guild.id), reason="the bot was removed from the server", now=self._clock()
            )
            log.info("removed from Discord server %s: check-ins stopped for %d team plans", guild.id, stopped)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            await self.component_handler.on_modal_submit(interaction)

    async def _on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Errors before our handler runs, such as options Discord sent for an older version
        of a command (the commands are still syncing)."""
        log.error("Discord command failed: %s", error, exc_info=error)
        await apologise(interaction)


@dataclass(slots=True)
class DiscordBot:
    client: CoachClient
    inflight: InFlight
    token: str = field(repr=False)
    _gateway: asyncio.Task[None] | None = field(default=None, repr=False)
    _sender: DiscordSender | None = field(default=None, repr=False)
    _logged_in: bool = field(default=False, repr=False)
    _standby: bool = field(default=False, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def sender(self) -> DiscordSender:
        """The dispatcher's sender for ``discord`` nudges, on this client's connection pool."""
        if self._sender is None:
            self._sender = DiscordSender(self.client)
        return self._sender

    @property
    def invite_url(self) -> str | None:
        """The link that adds the bot to a server (known once logged in)."""
        application_id = self.client.application_id
        return invite_url(application_id) if application_id is not None else None

    async def login(self) -> None:
        """REST only: sign in, register persistent items, sync commands (enough to send nudges)."""
        if not self._logged_in:
            await self.client.login(self.token)
            self._logged_in = True

    def stand_by(self) -> None:
        """Another replica holds the gateway: this one only sends, and is healthy without it."""
        self._standby = True

    async def start(self) -> None:
        """Log in (unless done) and connect to the gateway in the background (reconnecting by itself)."""
        self._standby = False
        await self.login()
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
        self._gateway.add_done_callback(_report_gateway_end)

    def problem(self) -> str | None:
        """What keeps the bot from taking events (for ``/healthz``), or None when connected.

        A replica standing by (another replica holds the gateway) is healthy: it sends
        check-ins over REST and takes no events by design.
        """
        if self.client.is_closed():
            return "closed"
        if self._gateway is None and self._standby:
            return None
        if self._gateway is not None and self._gateway.done():
            return "gateway connection ended"
        if not self.client.is_ready():
            return "connecting"
        return None

    async def close(self) -> None:
        """Stop taking events, let the handlers under way finish, then close the connections.

        Once: ``coach serve`` closes the gateway before handing its lock on, and the app
        closes the bot again on the way out.
        """
        if self._closed:
            return
        self._closed = True
        for shard in self.client.shards.values():
            await shard.disconnect()
        if not await self.inflight.drain(SHUTDOWN_GRACE_SECONDS):
            log.warning("%d Discord handlers still running at shutdown", len(self.inflight))
        await self.client.close()
        if self._gateway is not None:
            await asyncio.gather(self._gateway, return_exceptions=True)
            self._gateway = None


def api_error_trace(count: Callable[[str], None]) -> aiohttp.TraceConfig:
    """Tells ``count`` the code of every error answer of Discord's REST API.

    discord.py sends every REST call (nudges, interaction answers, command sync, its
    own retries of 429s and 5xx) through one aiohttp session and takes a trace
    configuration for it (``http_trace``), so this sees all of them in one place. The code
    is Discord's JSON error code (such as 50007) when the answer has one, else the HTTP
    status. The body is read here only for error answers; aiohttp keeps it, so
    discord.py reads the same bytes afterwards.
    """

    async def on_request_end(
        session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestEndParams
    ) -> None:
        response = params.response
        if response.status < 400:
            return
        code: object = None
        if response.content_type == "application/json":
            try:
                body = await response.json()
            except (aiohttp.ClientError, ValueError):
                body = None
            if isinstance(body, dict):
                code = body.get("code")
        count(str(code or response.status))

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    return trace


def _report_gateway_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the Discord gateway connection ended", exc_info=task.exception())


def build_discord_bot(
    settings: DiscordSettings,
    *,
    service: Coaching,
    clock: Clock,
    state_dir: Path | None = None,
    sync_commands: bool = True,
    tenants: Tenants | None = None,
    on_api_error: Callable[[str], None] | None = None,
) -> DiscordBot:
    """Wire the bot; ``start()`` (or ``login()`` for REST only) before use.

    ``state_dir`` keeps the hash of the last command sync (default: the user state dir);
    ``tenants`` (the store) stops a server's check-ins when the bot is removed from it;
    ``on_api_error`` is told the code of every error answer of the REST API.
    """
    if not settings.discord_token:
        raise ValueError("the Discord bot needs DISCORD_TOKEN")
    use_api_url(settings.discord_api_url)
    inflight = InFlight()
    turns = Turns(service=service, clock=clock)
    editing = Editing(service=service, clock=clock, inflight=inflight, drafts=Drafts(clock=clock))
    interactions = Interactions(service=service, turns=turns, inflight=inflight, editing=editing)
    directory = state_dir or user_state_path("popt-coach", appauthor=False)
    client = CoachClient(
        interactions=interactions,
        direct_messages=DirectMessages(turns=turns, inflight=inflight),
        sync=CommandSync(directory / "discord-commands.json") if sync_commands else None,
        tenants=tenants,
        clock=clock,
        http_trace=api_error_trace(on_api_error) if on_api_error is not None else None,
    )
    return DiscordBot(client=client, inflight=inflight, token=settings.discord_token)
