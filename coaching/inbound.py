"""The one envelope every adapter builds from a platform event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coaching.model import Owner


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """A person's message, button click or command, as the engine sees it.

    Exactly one of ``text``, ``choice`` or ``command`` is normally set; ``now`` is the
    only clock the engine ever reads.
    """

    owner: Owner
    now: datetime
    text: str | None = None
    choice: str | None = None
    command: str | None = None
    actor: str | None = None
    timezone_hint: str | None = None
