"""The App Home tab: the person's plan, progress and next check-in, with buttons to act on it."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.inflight import InFlight
from adapters.ports import Coaching
from adapters.slack.blocks import HOME_EDIT, FormTarget, home_view
from adapters.slack.delivery import Destination, open_dm
from adapters.slack.identity import personal_owner, tenant_of
from adapters.slack.modals import Modals
from adapters.slack.turns import Clock, Turns
from coaching.model import Owner


def request_tenant(context: AsyncBoltContext, body: dict[str, Any]) -> str:
    """The workspace of a request; interactivity payloads carry it on the user when not on the context."""
    team = context.team_id or (body.get("user") or {}).get("team_id") or (body.get("team") or {}).get("id")
    return tenant_of(enterprise_id=context.enterprise_id, team_id=team)


class Home:
    def __init__(
        self, *, service: Coaching, clock: Clock, turns: Turns, modals: Modals, inflight: InFlight
    ) -> None:
        self.service = service
        self.clock = clock
        self.turns = turns
        self.modals = modals
        self.inflight = inflight

    async def publish(self, client: AsyncWebClient, owner: Owner) -> None:
        overview = await self.service.overview(owner, now=self.clock())
        view = home_view(
            markdown=overview.markdown if overview.plan is not None else None, schedule=overview.schedule
        )
        await client.views_publish(user_id=owner.subject, view=view)

    async def on_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if event.get("tab") != "home":
            return
        async with self.inflight.track():
            await self.publish(client, personal_owner(request_tenant(context, body), event["user"]))

    async def on_start(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await self._turn(ack, body, client, context, command="")

    async def on_checkin(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await self._turn(ack, body, client, context, command="checkin")

    async def _turn(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        *,
        command: str,
    ) -> None:
        async with self.inflight.track():
            await ack()
            user = body["user"]["id"]
            owner = personal_owner(request_tenant(context, body), user)
            dm = await open_dm(client, user)
            await self.turns.run(
                client, owner=owner, actor=user, destination=Destination(channel=dm), command=command
            )
            await self.publish(client, owner)

    async def on_edit(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        async with self.inflight.track():
            await ack()
            matched = HOME_EDIT.match(action.get("action_id", ""))
            if matched is None:
                return
            user = body["user"]["id"]
            target = FormTarget(
                tenant=request_tenant(context, body),
                subject=user,
                kind="user",
                section=matched.group(1),
                channel=None,
            )
            await self.modals.open(client, trigger_id=body["trigger_id"], target=target)
