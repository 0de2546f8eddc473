"""Sending the engine's replies to the right place in Slack.

A :class:`Destination` says where a turn's answer belongs: a channel or DM (optionally
a thread), or, for a personal answer given in a shared channel, the command's
``response_url`` so only that person sees it. Files can't be ephemeral, so they go to
the person's DM with the bot instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import wording
from adapters.slack.blocks import Message, reply_message
from adapters.slack.retries import retry_handlers
from coaching.model import OwnerKind
from coaching.replies import Attachment, Reply


@dataclass(frozen=True, slots=True)
class Destination:
    """Where replies go; with ``response_url`` they are ephemeral to ``user``."""

    channel: str
    thread_ts: str | None = None
    response_url: str | None = None
    user: str | None = None

    @property
    def ephemeral(self) -> bool:
        return self.response_url is not None


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    """The id of the bot's DM with the person (Slack returns the same one every time)."""
    response = await client.conversations_open(users=user_id)
    return str(response["channel"]["id"])


async def respond(response_url: str, message: Message, *, replace_original: bool = False) -> None:
    """Post through a ``response_url`` (ephemeral unless it replaces an in-channel message)."""
    webhook = AsyncWebhookClient(response_url, retry_handlers=retry_handlers())
    await webhook.send(
        text=message.text,
        blocks=message.blocks,
        response_type="ephemeral",
        replace_original=replace_original,
    )


class Delivery:
    """Posts replies with one client (the workspace's bot token)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send(self, replies: Sequence[Reply], destination: Destination, *, kind: OwnerKind) -> None:
        for reply in replies:
            await self._send_one(reply, destination, kind=kind)

    async def _send_one(self, reply: Reply, destination: Destination, *, kind: OwnerKind) -> None:
        if destination.ephemeral:
            assert destination.response_url is not None
            note = wording.TYPE_IN_DM if reply.kind == "question" and kind == "user" else None
            if reply.attachments:
                note = wording.FILES_IN_DM
            await respond(destination.response_url, reply_message(reply, kind=kind, note=note))
            if reply.attachments and destination.user:
                dm = await open_dm(self.client, destination.user)
                await self.upload(reply.attachments, Destination(channel=dm), comment=None)
            return
        message = reply_message(reply, kind=kind)
        if reply.attachments and not reply.choices:
            await self.upload(reply.attachments, destination, comment=message.text)
            return
        await self.post(message, destination)
        if reply.attachments:
            await self.upload(reply.attachments, destination, comment=None)

    async def post(self, message: Message, destination: Destination) -> str:
        """Post a message; returns its ``ts`` (what a later ``chat.update`` needs)."""
        response = await self.client.chat_postMessage(
            channel=destination.channel,
            text=message.text,
            blocks=message.blocks,
            thread_ts=destination.thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    async def update(self, message: Message, *, channel: str, ts: str) -> None:
        await self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    async def upload(
        self, attachments: Sequence[Attachment], destination: Destination, *, comment: str | None
    ) -> None:
        """Upload files (``files_upload_v2``) as one message, with the reply's text as its comment."""
        uploads: list[dict[str, Any]] = [
            {"content": a.content, "filename": a.filename, "title": a.title or a.filename}
            for a in attachments
        ]
        await self.client.files_upload_v2(
            file_uploads=uploads,
            channel=destination.channel,
            thread_ts=destination.thread_ts,
            initial_comment=comment,
            request_file_info=False,
        )
