"""The conversation in Slack: ``/coach``, DMs, team-thread replies and button clicks.

Every listener acks first and does the slow work after (Bolt keeps the HTTP response
waiting only until ``ack()``), so Slack's three seconds are never at risk.

Where the answer goes:
- a personal command in the DM with the bot, a DM, a click there: the DM;
- a personal command in a shared channel: only the person sees the answer (ephemeral,
  through the command's ``response_url``); the conversation itself lives on in the DM;
- ``/coach team ...`` and clicks on a team message: the channel, for everyone; typed
  answers to a team question are replies in the thread of one of the bot's messages.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.inflight import InFlight
from adapters.slack import wording
from adapters.slack.blocks import CHOICE_ACTION, FormTarget, answered_message, reply_message
from adapters.slack.commands import parse_slash_command
from adapters.slack.delivery import Delivery, Destination, open_dm, respond
from adapters.slack.home import request_tenant
from adapters.slack.identity import event_key, personal_owner, team_owner
from adapters.slack.modals import Modals
from adapters.slack.turns import Turns
from coaching.replies import Reply

UNREACHABLE_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived"}


def is_direct(channel_id: str) -> bool:
    return channel_id.startswith("D")


class Conversations:
    def __init__(self, *, turns: Turns, modals: Modals, inflight: InFlight) -> None:
        self.turns = turns
        self.modals = modals
        self.inflight = inflight

    # /coach

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        async with self.inflight.track():
            await ack()
            parsed = parse_slash_command(command.get("text") or "")
            tenant = request_tenant(context, command)
            user, channel = command["user_id"], command["channel_id"]
            response_url = command.get("response_url")
            if parsed.team and is_direct(channel):
                await self._say(response_url, wording.TEAM_NEEDS_CHANNEL)
                return
            owner = team_owner(tenant, channel) if parsed.team else personal_owner(tenant, user)
            if parsed.edit_section is not None:
                target = FormTarget(
                    tenant=tenant,
                    subject=owner.subject,
                    kind=owner.kind,
                    section=parsed.edit_section,
                    channel=channel if parsed.team else None,
                )
                await self.modals.open(client, trigger_id=command["trigger_id"], target=target)
                return
            if parsed.team or (is_direct(channel) and channel == await open_dm(client, user)):
                destination = Destination(channel=channel)
            else:
                destination = Destination(channel=channel, response_url=response_url, user=user)
            try:
                await self.turns.run(
                    client, owner=owner, actor=user, destination=destination, command=parsed.command
                )
            except SlackApiError as error:
                if error.response.get("error") not in UNREACHABLE_CHANNEL:
                    raise
                await self._say(response_url, wording.INVITE_ME)

    async def _say(self, response_url: str | None, text: str) -> None:
        if response_url:
            await respond(response_url, reply_message(Reply(text=text), kind="user"))

    # messages

    async def on_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """A DM continues the person's plan; a reply in a bot thread continues the channel's.

        Edits, deletions, joins and bots' posts carry a subtype or a bot id and are ignored
        (Bolt already drops the bot's own messages).
        """
        if event.get("subtype") is not None or event.get("bot_id") or not event.get("user"):
            return
        channel, user = event["channel"], event["user"]
        tenant = request_tenant(context, body)
        thread = event.get("thread_ts")
        if event.get("channel_type") == "im":
            owner, destination = personal_owner(tenant, user), Destination(channel=channel)
        elif thread and thread != event.get("ts") and event.get("parent_user_id") == context.bot_user_id:
            owner, destination = team_owner(tenant, channel), Destination(channel=channel, thread_ts=thread)
        else:
            return
        async with self.inflight.track():
            await self.turns.run(
                client,
                owner=owner,
                actor=user,
                destination=destination,
                text=event.get("text") or "",
                event_key=event_key(tenant, str(body.get("event_id") or event["ts"])),
            )

    # buttons

    async def on_choice(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        async with self.inflight.track():
            await ack()
            matched = CHOICE_ACTION.match(action.get("action_id", ""))
            if matched is None:
                return
            user = body["user"]["id"]
            tenant = request_tenant(context, body)
            container = body.get("container") or {}
            channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
            if channel is None:
                return
            owner = (
                team_owner(tenant, channel) if matched.group(1) == "team" else personal_owner(tenant, user)
            )
            message = body.get("message") or {}
            response_url = body.get("response_url")
            if container.get("is_ephemeral"):
                destination = Destination(channel=channel, response_url=response_url, user=user)
            else:
                destination = Destination(channel=channel, thread_ts=message.get("thread_ts"))
            outcome = await self.turns.run(
                client,
                owner=owner,
                actor=user,
                destination=destination,
                deliver=False,
                choice=action.get("value") or "",
            )
            if outcome is None or outcome.duplicate:
                return
            if not outcome.accepted or any(r.kind == "error" for r in outcome.replies):
                await Delivery(client).send(outcome.replies, destination, kind=owner.kind)
                return
            label = (action.get("text") or {}).get("text") or ""
            answered = answered_message(message.get("blocks") or [], user_id=user, label=label)
            if destination.ephemeral and response_url:
                await respond(response_url, answered, replace_original=True)
            elif message.get("ts"):
                await Delivery(client).update(answered, channel=channel, ts=message["ts"])
            await Delivery(client).send(outcome.replies, destination, kind=owner.kind)
