"""What every interaction handler shares: whose plan it is about, how its answers are
shown, and a guard that tracks the work and tells the person when it failed on our side.

Where answers go:
- a personal plan in a server channel: only to that person (ephemeral);
- a personal plan in the DM with the bot: the DM, where the conversation goes on;
- a team plan (``/coach team ...``): the channel, for everyone, since any member may
  answer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord import wording
from adapters.discord.delivery import NO_MENTIONS
from adapters.discord.identity import personal_owner, team_owner
from adapters.discord.render import Surface
from adapters.inflight import InFlight
from coaching.model import Owner, OwnerKind

log = logging.getLogger(__name__)
Interaction = discord.Interaction[Any]


@dataclass(frozen=True, slots=True)
class Where:
    """Whose plan an interaction is about and how its answers are shown."""

    owner: Owner
    ephemeral: bool
    surface: Surface


def where(interaction: Interaction, *, kind: OwnerKind) -> Where | None:
    """None for a team plan asked for outside a server channel."""
    guild, channel = interaction.guild_id, interaction.channel_id
    if kind == "team":
        if guild is None or channel is None:
            return None
        return Where(team_owner(guild, channel), ephemeral=False, surface=Surface.CHANNEL)
    in_dm = guild is None
    return Where(
        personal_owner(interaction.user.id),
        ephemeral=not in_dm,
        surface=Surface.DM if in_dm else Surface.CHANNEL,
    )


async def where_or_explain(interaction: Interaction, *, team: bool) -> Where | None:
    """:func:`where`, telling the person when a team command was used outside a server."""
    at = where(interaction, kind="team" if team else "user")
    if at is None:
        await say(interaction, wording.TEAM_NEEDS_CHANNEL)
    return at


def mention(user_id: int) -> str:
    """A user mention for an id Discord gave us; it never pings (``allowed_mentions`` none)."""
    return f"<@{int(user_id)}>"


async def say(interaction: Interaction, text: str) -> None:
    """A short note to the person alone, as the interaction's answer or a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def apologise(interaction: Interaction) -> None:
    try:
        await say(interaction, wording.FAILED)
    except discord.HTTPException:
        log.warning("could not tell the person that interaction %s failed", interaction.id)


@asynccontextmanager
async def answering(inflight: InFlight, interaction: Interaction) -> AsyncIterator[None]:
    """Track the work for shutdown, and apologise when it failed on our side."""
    async with inflight.track():
        try:
            yield
        except Exception:
            log.exception("Discord interaction %s failed", interaction.id)
            await apologise(interaction)
