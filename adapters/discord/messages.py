"""Direct messages: the conversation of a person's own plan goes on in their DM with the bot.

Messages in server channels never reach the bot (it asks for no guild message intent);
team answers are typed through a button's form instead (see
:mod:`adapters.discord.interactions`).
"""

from __future__ import annotations

import logging

import discord

from adapters.discord import wording
from adapters.discord.delivery import NO_MENTIONS, ChannelPoster, deliver
from adapters.discord.identity import personal_owner
from adapters.discord.render import Surface, compose
from adapters.discord.turns import Turns
from adapters.inflight import InFlight

log = logging.getLogger(__name__)
CONVERSATION_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


class DirectMessages:
    def __init__(self, *, turns: Turns, inflight: InFlight) -> None:
        self.turns = turns
        self.inflight = inflight

    async def on_message(self, message: discord.Message) -> None:
        """A person's DM is their next answer; bots (the coach itself too), system messages
        and messages without text are ignored. A message the gateway delivers again after
        a reconnect is recognised by its id and answered once."""
        if (
            message.guild is not None
            or message.author.bot
            or message.type not in CONVERSATION_TYPES
            or not message.content.strip()
        ):
            return
        async with self.inflight.track():
            poster = ChannelPoster(message.channel)
            try:
                outcome = await self.turns.run(
                    personal_owner(message.author.id),
                    actor=message.author.id,
                    event_id=message.id,
                    text=message.content,
                )
            except Exception:
                log.exception("Discord DM %s failed", message.id)
                await message.channel.send(wording.FAILED, allowed_mentions=NO_MENTIONS)
                return
            if not outcome.duplicate:
                await deliver(poster, compose(outcome.replies, surface=Surface.DM), kind="user")
