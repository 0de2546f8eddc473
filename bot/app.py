"""Composition root: everything is wired here, in one function, and nowhere at import time.

Tests call :func:`build_app` with their own settings and clock, so they run the same
wiring as production.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.observability.metrics import Metrics
from bot.scheduling.console_sender import ConsoleSender
from bot.scheduling.dispatcher import DispatchConfig, Dispatcher
from bot.scheduling.ports import Compose, Sender
from bot.scheduling.retry import RetryPolicy
from bot.service import CoachService
from bot.settings import Settings
from bot.storage import NudgeKind, Outbox, Store, make_engine, upgrade_database
from coaching.conversation.engine import Coach
from coaching.model import Owner
from coaching.replies import Reply

if TYPE_CHECKING:
    from adapters.discord.app import DiscordBot

Clock = Callable[[], datetime]

#: Tracked objects allocated (net) before the collector looks at the young ones; CPython's
#: default is 700. A dispatch pass holds a batch of claimed nudges while 50 sends are in
#: flight, so at 700 the collector ran every 85 nudges, re-reading the requests in flight
#: each time: 9-11 µs a nudge. At 5,000 it runs 7-13 times a pass of 10,000, 3 µs a
#: nudge, and its longest pause is no longer than before (about 6 ms). Chat turns leave
#: few young survivors; their latency did not move (``bench.turns``).
YOUNG_COLLECTION_THRESHOLD = 5_000


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class App:
    settings: Settings
    engine: AsyncEngine
    store: Store
    coach: Coach
    service: CoachService
    clock: Clock
    outbox: Outbox
    metrics: Metrics
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _discord: DiscordBot | None = None

    async def open_dispatcher(
        self, *, console_out: TextIO | None = None, compose: Compose | None = None
    ) -> Dispatcher:
        """The nudge dispatcher, with a sender for every platform configured in this process.

        Console nudges always (printed to ``console_out``, default stdout); Slack nudges
        when ``SLACK_BOT_TOKEN`` is set, or with each workspace's installed token when
        ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` are; Discord nudges when ``DISCORD_TOKEN``
        is. Nudges of other platforms stay in the outbox for a process that can send them.
        ``compose`` defaults to the coach's check-ins.
        """
        senders: list[Sender] = [ConsoleSender(console_out)]
        if self.settings.slack_client_id and self.settings.slack_client_secret:
            senders.append(await self._workspace_sender(self.settings.slack_client_id))
        elif self.settings.slack_bot_token:
            senders.append(self._slack_sender(self.settings.slack_bot_token))
        if (discord := await self.discord_bot()) is not None:
            senders.append(discord.sender)
        return Dispatcher(
            self.outbox,
            senders,
            compose or checkin_composer(self.service),
            config=dispatch_config(self.settings),
            metrics=self.metrics,
        )

    def _slack_sender(self, token: str) -> Sender:
        # Imported here: slack_sdk and aiohttp cost a chat session start-up time for nothing.
        import aiohttp

        from adapters.slack.sender import SlackSender, nudge_client

        connections = aiohttp.TCPConnector(limit=self.settings.coach_dispatch_concurrency)
        session = aiohttp.ClientSession(connector=connections)
        self._closers.append(session.close)
        return SlackSender(
            nudge_client(
                token,
                self.settings.slack_api_url,
                session=session,
                on_api_error=self.metrics.api_errors_of("slack"),
            )
        )

    async def _workspace_sender(self, client_id: str) -> Sender:
        import aiohttp

        from adapters.slack.install import oauth_stores
        from adapters.slack.workspace_sender import WorkspaceSender

        stores = oauth_stores(client_id=client_id, engine=self.engine)
        await stores.create_tables()
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.settings.coach_dispatch_concurrency)
        )
        self._closers.append(session.close)
        return WorkspaceSender(
            stores.installations,
            base_url=self.settings.slack_api_url,
            session=session,
            on_api_error=self.metrics.api_errors_of("slack"),
        )

    async def discord_bot(self) -> DiscordBot | None:
        """The Discord bot when ``DISCORD_TOKEN`` is set, logged in over REST; one per App, so
        the dispatcher's sends and the gateway (``start()``) share one client."""
        if not self.settings.discord_token:
            return None
        if self._discord is None:
            from adapters.discord.app import build_discord_bot

            bot = build_discord_bot(
                self.settings,
                service=self.service,
                clock=self.clock,
                tenants=self.store,
                on_api_error=self.metrics.api_errors_of("discord"),
            )
            await bot.login()
            self._closers.append(bot.close)
            self._discord = bot
        return self._discord

    async def close(self) -> None:
        for close in reversed(self._closers):
            await close()
        self._closers.clear()
        await self.engine.dispose()


def dispatch_config(settings: Settings) -> DispatchConfig:
    return DispatchConfig(
        concurrency=settings.coach_dispatch_concurrency,
        lease=timedelta(seconds=settings.coach_dispatch_lease),
        channel_interval=settings.coach_channel_interval,
        retry=RetryPolicy(max_attempts=settings.coach_dispatch_max_attempts),
    )


def checkin_composer(service: CoachService) -> Compose:
    """Nudges are composed by the coach: a check-in opens the week's questions, a reminder
    recalls them, a snoozed check-in asks them again."""

    async def compose(owner: Owner, *, now: datetime, week: str, kind: NudgeKind) -> tuple[Reply, ...]:
        return await service.start_checkin(owner, now=now, week=week, reminder=kind == "reminder")

    return compose


async def build_app(
    settings: Settings | None = None, *, clock: Clock = system_clock, migrate: bool = True
) -> App:
    settings = settings or Settings()
    engine = make_engine(settings.coach_database_url)
    if migrate:
        await upgrade_database(engine)
    store = Store(engine)
    coach = Coach()
    metrics = Metrics()
    # Everything built so far lives as long as the process: move it out of the
    # collector's sight so a full collection doesn't stall a turn for tens of ms.
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    return App(
        settings=settings,
        engine=engine,
        store=store,
        coach=coach,
        service=CoachService(store=store, coach=coach, metrics=metrics),
        clock=clock,
        outbox=Outbox(engine),
        metrics=metrics,
    )
