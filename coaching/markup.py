"""Light markup helpers: the engine's only formatting vocabulary."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_~\[\]()#>|<@!&])")


def escape(text: str) -> str:
    """Backslash-escape everything a person typed so it renders as plain text.

    ``<``, ``@``, ``!`` and ``&`` are included because Slack and Discord give them
    meaning (``<!channel>``, ``@everyone``); adapters turn the escapes into their own.
    """
    return _SPECIAL.sub(r"\\\1", text)


def unescape(text: str) -> str:
    """Drop the escapes, for adapters (like a terminal) that need no protection."""
    return re.sub(r"\\(.)", r"\1", text)


def bold(text: str) -> str:
    return f"**{text}**"


def bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
