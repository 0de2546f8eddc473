"""A modal per POPT section: open it filled with the plan, save it or show errors inside it.

Validation happens before the ack, because Slack only shows ``response_action:
errors`` that come back in the response to the submission itself; the form check is
a parse and one transaction, well inside Slack's three seconds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.inflight import InFlight
from adapters.ports import Coaching
from adapters.slack import wording
from adapters.slack.blocks import FormTarget, edit_modal, form_values, reply_message
from adapters.slack.delivery import Delivery, Destination, open_dm
from adapters.slack.identity import PLATFORM
from adapters.slack.turns import Clock
from coaching.markup import escape
from coaching.model import Owner
from coaching.replies import Reply

HomeRefresh = Callable[[AsyncWebClient, Owner], Awaitable[None]]


def owner_of(target: FormTarget) -> Owner:
    return Owner(platform=PLATFORM, tenant=target.tenant, subject=target.subject, kind=target.kind)


class Modals:
    def __init__(
        self, *, service: Coaching, clock: Clock, inflight: InFlight, refresh_home: HomeRefresh
    ) -> None:
        self.service = service
        self.clock = clock
        self.inflight = inflight
        self.refresh_home = refresh_home

    async def open(self, client: AsyncWebClient, *, trigger_id: str, target: FormTarget) -> None:
        fields = await self.service.form(owner_of(target), target.section)
        await client.views_open(trigger_id=trigger_id, view=edit_modal(target, fields))

    async def on_submit(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        async with self.inflight.track():
            target = FormTarget.load(view.get("private_metadata", ""))
            user = body["user"]["id"]
            if target is None or (target.kind == "user" and target.subject != user):
                await ack()
                return
            values = form_values(view.get("state", {}).get("values", {}))
            result = await self.service.submit_form(
                owner_of(target), target.section, values, now=self.clock()
            )
            if not result.ok:
                known = set(values)
                fallback = next(iter(values), "")
                errors = {(k if k in known else fallback): v for k, v in result.errors.items()}
                await ack(response_action="errors", errors=errors)
                return
            await ack()
            await self._confirm(client, target, user)

    async def _confirm(self, client: AsyncWebClient, target: FormTarget, user: str) -> None:
        owner = owner_of(target)
        section = wording.SECTION_TITLES.get(target.section, target.section)
        saved = Reply(text=wording.MODAL_SAVED.format(section=escape(section)))
        channel = target.channel if target.kind == "team" else await open_dm(client, user)
        if channel is not None:
            await Delivery(client).post(reply_message(saved, kind=owner.kind), Destination(channel=channel))
        if owner.kind == "user":
            await self.refresh_home(client, owner)
