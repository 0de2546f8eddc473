"""Reading ``/coach ...``: whose plan it is about, what to tell the engine, what Slack should open.

The engine understands the chat commands itself (DESIGN.md); the adapter only peels
off what is Slack's: ``team`` (the channel's plan instead of the person's) and
``edit <section>``, which opens a modal rather than a conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

from coaching.forms import FORM_SECTIONS


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """``command`` goes to :attr:`coaching.inbound.Inbound.command` ("" starts or resumes)."""

    command: str
    team: bool = False
    edit_section: str | None = None


def form_section(argument: str) -> str | None:
    """The POPT section an ``edit`` argument names, matched on its first letters like the engine does."""
    wanted = argument.strip().casefold()
    if not wanted:
        return None
    return next((s for s in FORM_SECTIONS if s.startswith(wanted[:4])), None)


def parse_slash_command(text: str) -> SlashCommand:
    words = " ".join(text.split())
    team = False
    head, _, rest = words.partition(" ")
    if head.casefold() == "team":
        team = True
        words = rest
        head, _, rest = words.partition(" ")
    section = form_section(rest) if head.casefold() == "edit" else None
    return SlashCommand(command=words, team=team, edit_section=section)
