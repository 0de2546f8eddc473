"""Sending composed messages: to a channel (DMs, nudges) or as an interaction's follow-ups.

The one place where messages leave the adapter, so the one place that makes sure of
what every message must carry: ``allowed_mentions`` none (nothing the coach sends can
ping, whatever a person typed), link previews suppressed on plain text (a link someone
typed does not unfurl), and the components for its choices.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from adapters.discord.components import reply_view
from adapters.discord.markup import cut, plain
from adapters.discord.render import Outgoing
from coaching.model import OwnerKind

NO_MENTIONS = discord.AllowedMentions.none()
EMBED_COLOUR = discord.Colour(0x2B6CB0)
TITLE_LIMIT = 256
FOOTER_LIMIT = 2048


def embed_of(message: Outgoing) -> discord.Embed | None:
    if message.embed_text is None:
        return None
    embed = discord.Embed(description=message.embed_text, colour=EMBED_COLOUR)
    if message.embed_title:
        embed.title = cut(plain(message.embed_title), TITLE_LIMIT)
    if message.footer:
        embed.set_footer(text=cut(plain(message.footer), FOOTER_LIMIT))
    if message.image:
        embed.set_image(url=f"attachment://{message.image}")
    return embed


def message_kwargs(message: Outgoing, *, kind: OwnerKind, tag: str = "") -> dict[str, Any]:
    """Keyword arguments for ``send`` (channel and webhook alike); absent ones are left out,
    since webhooks take no ``None`` for a missing embed or view."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if message.content:
        kwargs["content"] = message.content
    embed = embed_of(message)
    if embed is not None:
        kwargs["embed"] = embed
    else:
        kwargs["suppress_embeds"] = True
    if message.attachments:
        kwargs["files"] = [
            discord.File(io.BytesIO(a.content), filename=a.filename) for a in message.attachments
        ]
    view = reply_view(message, kind=kind, tag=tag)
    if view is not None:
        kwargs["view"] = view
    return kwargs


class Poster(Protocol):
    async def post(self, message: Outgoing, *, kind: OwnerKind) -> discord.Message: ...


class ChannelPoster:
    """Posts with the bot's token: the DM a person writes in, or a nudge's channel."""

    def __init__(self, channel: discord.abc.Messageable) -> None:
        self.channel = channel

    async def post(
        self, message: Outgoing, *, kind: OwnerKind, tag: str = "", nonce: str | None = None
    ) -> discord.Message:
        kwargs = message_kwargs(message, kind=kind, tag=tag)
        if nonce is not None:
            kwargs["nonce"] = nonce  # discord.py adds enforce_nonce: a resend returns the first
        return await self.channel.send(**kwargs)


class FollowupPoster:
    """Answers an interaction that was deferred: works in DMs and channels alike, needs no
    channel permission, and can be shown to the person alone (``ephemeral``)."""

    def __init__(self, interaction: discord.Interaction[Any], *, ephemeral: bool) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral

    async def post(self, message: Outgoing, *, kind: OwnerKind) -> discord.Message:
        kwargs = message_kwargs(message, kind=kind)
        return await self.interaction.followup.send(ephemeral=self.ephemeral, wait=True, **kwargs)


async def deliver(poster: Poster, messages: Sequence[Outgoing], *, kind: OwnerKind) -> None:
    for message in messages:
        await poster.post(message, kind=kind)
