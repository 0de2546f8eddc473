"""The engine's light markup on Discord: sent as it is in messages, made plain elsewhere.

Discord's markdown already speaks the engine's vocabulary (``**bold**``, ``_italic_``,
``- `` bullets) and treats a backslash before any punctuation as an escape, so what a
person typed, escaped by :func:`coaching.markup.escape`, stays inert: ``\\@everyone``
shows as text and ``\\<@123>`` never forms a mention. Every send also carries
``allowed_mentions`` none (see :mod:`adapters.discord.delivery`), so even the coach's own
text cannot ping.

Labels, titles, footers and placeholders render no markdown at all: they get
:func:`plain` text, cut to Discord's length limits.
"""

from __future__ import annotations

import re

from coaching.markup import unescape

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w\\])_(.+?)_(?!\w)", re.S)


def plain(text: str, limit: int | None = None) -> str:
    """Markup and escapes removed; cut with an ellipsis to ``limit`` characters."""
    flat = unescape(_ITALIC.sub(r"\1", _BOLD.sub(r"\1", text)))
    return cut(flat, limit) if limit is not None else flat


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, broken between paragraphs, lines
    or words where possible, and never between a backslash and the character it escapes."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > limit // 2:
                break
        else:
            at = limit
            while at > 1 and _ends_in_escape(rest[:at]):
                at -= 1
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _ends_in_escape(text: str) -> bool:
    """True when the last character is a backslash that escapes the next one."""
    backslashes = len(text) - len(text.rstrip("\\"))
    return backslashes % 2 == 1
