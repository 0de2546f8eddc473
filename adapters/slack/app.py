"""Building the Slack app: one function, from settings, with nothing done at import time.

Which mode runs follows the settings (DESIGN.md):
- ``SLACK_CLIENT_ID`` + ``SLACK_CLIENT_SECRET``: any number of workspaces, installed
  through OAuth; tokens come from the installation store on the coach's database;
- otherwise ``SLACK_BOT_TOKEN``: a single workspace;
- ``SLACK_APP_TOKEN`` as well: events arrive over Socket Mode (a laptop, no public
  URL) instead of ``POST /slack/events``, which then needs ``SLACK_SIGNING_SECRET``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.inflight import InFlight
from adapters.ports import Coaching, Tenants
from adapters.slack.blocks import CHOICE_ACTION, EDIT_CALLBACK, HOME_CHECKIN, HOME_EDIT, HOME_START
from adapters.slack.conversations import Conversations
from adapters.slack.home import Home
from adapters.slack.install import OAuthStores, oauth_settings, oauth_stores
from adapters.slack.lifecycle import Lifecycle
from adapters.slack.modals import Modals
from adapters.slack.profiles import Profiles
from adapters.slack.retries import retry_handlers
from adapters.slack.turns import Clock, Turns
from coaching.model import Owner

log = logging.getLogger(__name__)
COMMAND = "/coach"
SHUTDOWN_GRACE_SECONDS = 10.0


class SlackSettings(Protocol):
    """The Slack part of ``bot.settings.Settings``."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_client_id: str | None
    slack_client_secret: str | None
    slack_api_url: str


class SlackConfigError(ValueError):
    """The settings name a Slack mode but not everything it needs."""


def slack_configured(settings: SlackSettings) -> bool:
    """Whether any Slack mode is asked for (a token or OAuth credentials)."""
    return bool(settings.slack_bot_token or settings.slack_client_id or settings.slack_app_token)


@dataclass(slots=True)
class SlackApp:
    """The running pieces: Bolt's app, its OAuth stores, and Socket Mode when used."""

    bolt: AsyncApp
    inflight: InFlight
    oauth: OAuthStores | None = None
    app_token: str | None = None
    _socket: AsyncSocketModeHandler | None = field(default=None, repr=False)

    @property
    def http_events(self) -> bool:
        """True when Slack posts events to ``/slack/events`` (not over Socket Mode)."""
        return self.app_token is None

    async def start(self) -> None:
        """Create the OAuth tables when installing is on; connect Socket Mode when configured."""
        if self.oauth is not None:
            await self.oauth.create_tables()
        if self.app_token is not None:
            self._socket = AsyncSocketModeHandler(
                self.bolt, app_token=self.app_token, web_client=self.bolt.client
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def problem(self) -> str | None:
        """What keeps Slack's events from arriving (for ``/healthz``), or None.

        Over HTTP there is nothing to be connected: Slack reaches us. Over Socket Mode the
        WebSocket must be up (slack_sdk reconnects it by itself).
        """
        if self.app_token is None:
            return None
        if self._socket is None or not await self._socket.client.is_connected():
            return "socket mode not connected"
        return None

    async def close(self) -> None:
        """Stop taking events, then let turns already acknowledged finish."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if not await self.inflight.drain(SHUTDOWN_GRACE_SECONDS):
            log.warning("%d Slack turns still running at shutdown", len(self.inflight))


def _web_client(
    settings: SlackSettings, token: str | None, on_api_error: Callable[[str], None] | None
) -> AsyncWebClient:
    base_url = (
        settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    )
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(on_api_error))


def build_slack_app(
    settings: SlackSettings,
    *,
    service: Coaching,
    clock: Clock,
    engine: AsyncEngine,
    workspaces: Tenants | None = None,
    on_api_error: Callable[[str], None] | None = None,
) -> SlackApp:
    """Wire the Bolt app; call :meth:`SlackApp.start` before serving it.

    ``on_api_error`` is told Slack's code of every error answer to any Web API call the
    app makes (Bolt's per-workspace clients copy the handlers that report them).
    """
    multi = bool(settings.slack_client_id and settings.slack_client_secret)
    if not multi and not settings.slack_bot_token:
        raise SlackConfigError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    if settings.slack_app_token is None and not settings.slack_signing_secret:
        raise SlackConfigError(
            "Slack over HTTP needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)"
        )
    stores = None
    if multi:
        assert settings.slack_client_id is not None and settings.slack_client_secret is not None
        stores = oauth_stores(client_id=settings.slack_client_id, engine=engine)
        bolt = AsyncApp(
            name="coach",
            signing_secret=settings.slack_signing_secret,
            client=_web_client(settings, None, on_api_error),
            oauth_settings=oauth_settings(
                client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, stores=stores
            ),
            request_verification_enabled=settings.slack_signing_secret is not None,
        )
    else:
        bolt = AsyncApp(
            name="coach",
            signing_secret=settings.slack_signing_secret,
            client=_web_client(settings, settings.slack_bot_token, on_api_error),
            request_verification_enabled=settings.slack_signing_secret is not None,
        )
    inflight = InFlight()
    _register(bolt, service=service, clock=clock, inflight=inflight, workspaces=workspaces, stores=stores)
    return SlackApp(bolt=bolt, inflight=inflight, oauth=stores, app_token=settings.slack_app_token)


def _register(
    bolt: AsyncApp,
    *,
    service: Coaching,
    clock: Clock,
    inflight: InFlight,
    workspaces: Tenants | None,
    stores: OAuthStores | None,
) -> None:
    turns = Turns(service=service, clock=clock, profiles=Profiles())
    home: Home

    async def refresh_home(client: AsyncWebClient, owner: Owner) -> None:
        await home.publish(client, owner)

    modals = Modals(service=service, clock=clock, inflight=inflight, refresh_home=refresh_home)
    home = Home(service=service, clock=clock, turns=turns, modals=modals, inflight=inflight)
    conversations = Conversations(turns=turns, modals=modals, inflight=inflight)
    lifecycle = Lifecycle(
        workspaces=workspaces,
        installations=stores.installations if stores else None,
        clock=clock,
        inflight=inflight,
    )
    bolt.command(COMMAND)(conversations.on_command)
    bolt.event("message")(conversations.on_message)
    bolt.action(CHOICE_ACTION)(conversations.on_choice)
    bolt.event("app_home_opened")(home.on_opened)
    bolt.action(HOME_START)(home.on_start)
    bolt.action(HOME_CHECKIN)(home.on_checkin)
    bolt.action(HOME_EDIT)(home.on_edit)
    bolt.view(EDIT_CALLBACK)(modals.on_submit)
    bolt.event("app_uninstalled")(lifecycle.on_uninstalled)
    bolt.event("tokens_revoked")(lifecycle.on_tokens_revoked)
