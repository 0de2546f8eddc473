"""Whose plan a Discord event is about, and the key a replayed event is recognised by.

Every stored row is scoped by (platform, tenant, subject):

- a **team plan** belongs to a guild channel: tenant = guild id, subject = channel id;
- a **personal plan** belongs to the person, whichever guild or DM they talk from:
  tenant = ``dm``, subject = user id. Discord user ids are global and the conversation
  continues in the person's DM with the bot, which has no guild; keying by the guild
  would split one person into one plan per server, and a DM could not tell which of them
  it continues. Nothing of a personal plan is ever shown in a guild channel except
  ephemerally, to that person.
"""

from __future__ import annotations

from coaching.model import Owner, OwnerKind

PLATFORM = "discord"
PERSONAL_TENANT = "dm"
_KIND_CODES: dict[OwnerKind, str] = {"user": "u", "team": "t"}
_KINDS: dict[str, OwnerKind] = {code: kind for kind, code in _KIND_CODES.items()}


def personal_owner(user_id: int) -> Owner:
    return Owner(platform=PLATFORM, tenant=PERSONAL_TENANT, subject=str(user_id), kind="user")


def team_owner(guild_id: int, channel_id: int) -> Owner:
    return Owner(platform=PLATFORM, tenant=str(guild_id), subject=str(channel_id), kind="team")


def event_key(owner: Owner, snowflake: int) -> tuple[str, str, str]:
    """The key the service deduplicates by: a message or interaction id is unique on Discord,
    and the gateway may deliver an event again after a resume."""
    return (PLATFORM, owner.tenant, str(snowflake))


def kind_code(kind: OwnerKind) -> str:
    """One letter for the kind of plan, as custom ids carry it (they hold 100 characters)."""
    return _KIND_CODES[kind]


def kind_of(code: str) -> OwnerKind:
    return _KINDS[code]
