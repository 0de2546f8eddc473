"""Turning the engine's light markup and choices into terminal text."""

from __future__ import annotations

import re

from coaching.markup import unescape
from coaching.replies import Reply

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w\\])_(.+?)_(?!\w)", re.S)


def plain(text: str) -> str:
    """Markup removed, for pipes and logs where escape codes would be noise."""
    return unescape(_ITALIC.sub(r"\1", _BOLD.sub(r"\1", text)))


def choices_block(reply: Reply) -> str:
    return "\n".join(f"  {i}) {plain(c.label)}" for i, c in enumerate(reply.choices, 1))


def reply_text(reply: Reply) -> str:
    parts = [plain(reply.text)]
    if reply.choices:
        parts.append(choices_block(reply))
    return "\n".join(parts)
