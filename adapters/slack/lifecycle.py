"""Uninstalls and revoked tokens: forget the workspace's credentials and stop its check-ins.

Bolt's own revocation listeners would delete installations too, but Bolt runs only the
first listener matching an event, so both jobs live here. Plans are kept: a workspace
that reinstalls finds them again, and its check-ins resume when people talk to the coach.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from adapters.inflight import InFlight
from adapters.ports import Tenants
from adapters.slack.home import request_tenant
from adapters.slack.identity import PLATFORM
from adapters.slack.turns import Clock

log = logging.getLogger(__name__)


class Lifecycle:
    def __init__(
        self,
        *,
        workspaces: Tenants | None,
        installations: AsyncInstallationStore | None,
        clock: Clock,
        inflight: InFlight,
    ) -> None:
        self.workspaces = workspaces
        self.installations = installations
        self.clock = clock
        self.inflight = inflight

    async def on_uninstalled(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        async with self.inflight.track():
            if self.installations is not None:
                await self.installations.async_delete_all(
                    enterprise_id=context.enterprise_id, team_id=context.team_id
                )
            await self._deactivate(request_tenant(context, body), "app uninstalled")

    async def on_tokens_revoked(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        tokens = event.get("tokens") or {}
        async with self.inflight.track():
            if self.installations is not None:
                for user_id in tokens.get("oauth") or []:
                    await self.installations.async_delete_installation(
                        enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
                    )
                if tokens.get("bot"):
                    await self.installations.async_delete_bot(
                        enterprise_id=context.enterprise_id, team_id=context.team_id
                    )
            if tokens.get("bot"):
                await self._deactivate(request_tenant(context, body), "bot token revoked")

    async def _deactivate(self, tenant: str, reason: str) -> None:
        if self.workspaces is None:
            log.warning("workspace %s lost the app (%s); no scheduler to stop", tenant, reason)
            return
        count = await self.workspaces.deactivate_tenant(PLATFORM, tenant, reason=reason, now=self.clock())
        log.info("workspace %s deactivated (%s): %d owners", tenant, reason, count)
