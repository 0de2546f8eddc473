"""Scheduled nudges to Discord: a person's DM, or a team plan's channel.

Each nudge is sent as few messages as read well (usually one: the check-in's heading and
its first question with buttons). Two things make a resend harmless:

- every message carries a nonce derived from the nudge's idempotency key, and Discord
  (``enforce_nonce``) answers a repeat within a few minutes with the message it already
  created instead of posting another;
- every component of a nudge carries a tag derived from the same key, so after a crash
  :meth:`DiscordSender.find_sent` reads the channel's history since the nudge fell due
  and recognises the nudge by its buttons (Discord keeps no nonce in the history).

What remains: a nudge whose messages have no components (none does today: a check-in
always asks with buttons) cannot be recognised later, and a channel with more than
:data:`HISTORY_LIMIT` messages since the nudge fell due is not searched to the end;
such a nudge is sent again, as the dispatcher's contract allows.

Discord's errors are sorted for the dispatcher: a person who cannot be messaged
(50007, whether Discord says it with 403 or 400), a channel or user that is gone, or a
channel the bot lost access to make the owner unreachable, and the pass goes on;
rate limits, server errors and dropped connections are tried again later. discord.py
itself waits out ordinary 429s; the client is built with a ceiling on that wait, so a
long one comes back here as :class:`TransientSendError` with Discord's ``retry_after``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import timedelta

import aiohttp
import discord

from adapters.discord.components import tag_of
from adapters.discord.delivery import ChannelPoster
from adapters.discord.identity import PLATFORM
from adapters.discord.render import Surface, compose
from bot.scheduling.ports import OutboundNudge, PermanentSendError, TransientSendError
from bot.scheduling.throttle import ChannelThrottle

#: Discord error codes after which the owner cannot be reached until they act again.
PERMANENT_CODES = {
    10003: "unknown channel",
    10004: "unknown server",
    10013: "unknown user",
    50001: "no access to the channel",
    50007: "cannot send messages to this user",
    50013: "missing permissions in the channel",
}

#: Requests per second the nudge fan-out makes at most: Discord allows a bot 50 in all,
#: and interactions answered meanwhile need the rest.
FANOUT_RATE = 25.0
#: How far back before ``not_before`` to look, for clocks that disagree a little.
CLOCK_SKEW = timedelta(minutes=5)
HISTORY_LIMIT = 500
TAG_LENGTH = 20


def nudge_tag(key: str) -> str:
    """20 lowercase base32 characters (100 bits) from the idempotency key: short enough to
    fit a custom id beside the choice and, with a digit, a nonce (25 characters at most)."""
    digest = hashlib.sha256(key.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:TAG_LENGTH]


def _component_ids(message: discord.Message) -> list[str]:
    ids: list[str] = []
    for row in message.components:
        for child in getattr(row, "children", [row]):
            custom_id = getattr(child, "custom_id", None)
            if custom_id:
                ids.append(str(custom_id))
    return ids


_CONNECTION_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
_CALL_ERRORS = (discord.DiscordException, *_CONNECTION_ERRORS)


def send_error(error: Exception) -> Exception:
    """The dispatcher's view of a failed call: transient, permanent, or our own bug."""
    if isinstance(error, discord.RateLimited):
        return TransientSendError("rate limited", retry_after=error.retry_after)
    if isinstance(error, discord.HTTPException):
        if error.code in PERMANENT_CODES:
            return PermanentSendError(f"{error.code}: {PERMANENT_CODES[error.code]}")
        if error.status == 429 or error.status >= 500:
            return TransientSendError(f"HTTP {error.status} ({error.code}): {error.text}")
        return RuntimeError(f"Discord refused the nudge: HTTP {error.status} ({error.code}): {error.text}")
    if isinstance(error, _CONNECTION_ERRORS):
        return TransientSendError(f"connection: {type(error).__name__}: {error}")
    return RuntimeError(f"{type(error).__name__}: {error}")


class DiscordSender:
    """Delivers nudges of ``discord`` owners with a logged-in client (no gateway needed)."""

    platform = PLATFORM

    def __init__(self, client: discord.Client, *, pacer: ChannelThrottle | None = None) -> None:
        self._client = client
        self._pacer = pacer or ChannelThrottle(1 / FANOUT_RATE)

    async def send(self, nudge: OutboundNudge) -> str | None:
        owner = nudge.owner
        tag = nudge_tag(nudge.key)
        messages = compose(nudge.replies, surface=Surface.DM if owner.kind == "user" else Surface.CHANNEL)
        reference = None
        try:
            poster = ChannelPoster(await self._channel(nudge))
            for n, message in enumerate(messages):
                await self._pacer.wait(PLATFORM)
                sent = await poster.post(message, kind=owner.kind, tag=tag, nonce=f"{tag}{n}")
                reference = reference or f"{sent.channel.id}:{sent.id}"
        except _CALL_ERRORS as error:
            raise send_error(error) from error
        return reference

    async def find_sent(self, nudge: OutboundNudge) -> str | None:
        """Read the channel since the nudge fell due for one of our messages with its tag."""
        tag = nudge_tag(nudge.key)
        me = self._client.user
        try:
            channel = await self._channel(nudge)
            await self._pacer.wait(PLATFORM)
            after = nudge.not_before - CLOCK_SKEW
            async for message in channel.history(limit=HISTORY_LIMIT, after=after, oldest_first=True):
                if me is not None and message.author.id != me.id:
                    continue
                if any(tag_of(custom_id) == tag for custom_id in _component_ids(message)):
                    return f"{message.channel.id}:{message.id}"
        except _CALL_ERRORS as error:
            raise send_error(error) from error
        return None

    async def _channel(self, nudge: OutboundNudge) -> discord.abc.Messageable:
        """The person's DM (opened once, then cached by discord.py) or the team's channel."""
        owner = nudge.owner
        if owner.kind == "team":
            return self._client.get_partial_messageable(int(owner.subject), guild_id=int(owner.tenant))
        await self._pacer.wait(PLATFORM)
        return await self._client.create_dm(discord.Object(int(owner.subject)))
