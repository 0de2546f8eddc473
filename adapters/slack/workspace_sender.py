"""Check-ins for many workspaces: the scheduler's Slack sender, with each workspace's own token.

In multi-workspace mode (``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET``) there is no single
bot token: each nudge is sent with the token its workspace installed, looked up in the
installation store. A workspace that uninstalled the app has no token left, which is a
permanent failure for the scheduler (the owner is marked unreachable), as Slack's own
``invalid_auth`` would be.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from adapters.slack.install import bot_token
from adapters.slack.sender import SlackSender, nudge_client
from bot.scheduling.ports import OutboundNudge, PermanentSendError


class WorkspaceSender:
    """Delivers ``slack`` nudges of any installed workspace."""

    platform = "slack"

    def __init__(
        self,
        installations: AsyncInstallationStore,
        *,
        base_url: str,
        session: aiohttp.ClientSession | None = None,
        on_api_error: Callable[[str], None] | None = None,
    ) -> None:
        self._installations = installations
        self._base_url = base_url
        self._session = session
        self._on_api_error = on_api_error

    async def _sender(self, nudge: OutboundNudge) -> SlackSender:
        token = await bot_token(self._installations, nudge.owner.tenant)
        if token is None:
            raise PermanentSendError("app not installed in the workspace")
        return SlackSender(
            nudge_client(token, self._base_url, session=self._session, on_api_error=self._on_api_error)
        )

    async def send(self, nudge: OutboundNudge) -> str | None:
        return await (await self._sender(nudge)).send(nudge)

    async def find_sent(self, nudge: OutboundNudge) -> str | None:
        return await (await self._sender(nudge)).find_sent(nudge)
