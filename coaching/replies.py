"""What the engine says back, in a form every adapter can render.

Text uses light markup (a CommonMark subset: ``**bold**``, ``_italic_``, ``- `` bullets);
anything a person typed is escaped with :func:`coaching.markup.escape` before it is
put in, so adapters can convert the markup without a person's text being able to
ping a channel or break the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ReplyKind = Literal["question", "info", "summary", "error", "checkin"]


@dataclass(frozen=True, slots=True)
class Choice:
    """One button; ``id`` comes back in :attr:`coaching.inbound.Inbound.choice` when clicked."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    mime_type: str
    content: bytes
    title: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    kind: ReplyKind = "info"
