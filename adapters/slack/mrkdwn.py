"""The engine's light markup as Slack mrkdwn, with nothing a person typed able to ping.

The engine writes ``**bold**``, ``_italic_`` and ``- `` bullets, and backslash-escapes
every character a person typed that could mean something (:func:`coaching.markup.escape`).
Here an escaped character becomes inert in Slack: ``&``, ``<`` and ``>`` turn into
entities, so ``<!channel>`` or ``<@U123>`` can never form a mention; formatting
characters get a zero-width space in front so they cannot open bold or italics; an
``@`` gets a word joiner after it so ``@here`` stays text even where names are linked.
Unescaped ``&``, ``<`` and ``>`` come from the coach's own wording and are made
entities too: nothing but the adapter's own code (see :func:`mention`) writes Slack's
control sequences.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
WORD_JOINER = "\u2060"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_FORMATTING = frozenset("*_~`")
_TOKEN = re.compile(r"\\(.)|\*\*|[&<>]", re.S)
_BULLET = re.compile(r"^(\s*)- ", re.M)
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w\\])_(.+?)_(?!\w)", re.S)
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_ESCAPED = re.compile(r"\\(.)", re.S)
#: Characters :func:`to_mrkdwn` turns into entities or escapes; text without any at most has bold.
_ENTITY_OR_ESCAPE = frozenset("\\&<>")
_PLAIN_MARKUP = frozenset("\\*_")


def _literal(char: str) -> str:
    if char in _ENTITIES:
        return _ENTITIES[char]
    if char in _FORMATTING:
        return ZERO_WIDTH_SPACE + char
    if char == "@":
        return "@" + WORD_JOINER
    return char


def _token(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if escaped is not None:
        return _literal(escaped)
    token = match.group(0)
    return "*" if token == "**" else _ENTITIES[token]


def to_mrkdwn(text: str) -> str:
    """Light markup → Slack mrkdwn: ``**b**`` → ``*b*``, ``- x`` → ``• x``, escapes made inert."""
    if "- " in text:
        return _BULLET.sub(r"\1• ", _TOKEN.sub(_token, text))
    if _ENTITY_OR_ESCAPE.isdisjoint(text):  # most questions and labels: at most bold to rewrite
        return text.replace("**", "*")  # left to right, without overlaps, as _TOKEN scans
    return _TOKEN.sub(_token, text)


def to_plain(text: str, limit: int | None = None) -> str:
    """Markup and escapes removed, for ``plain_text`` objects (buttons, titles, fallbacks).

    Slack never parses ``plain_text``, so no entity is needed; ``limit`` cuts with an
    ellipsis where Slack caps the length.
    """
    plain = text
    if not _PLAIN_MARKUP.isdisjoint(text):
        plain = _ESCAPED.sub(r"\1", _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text)))
    if limit is not None and len(plain) > limit:
        return plain[: limit - 1] + "…"
    return plain


def mention(user_id: str) -> str:
    """``<@U…>`` for an id Slack gave us, never for text a person typed (that is checked)."""
    if not _USER_ID.match(user_id):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"<@{user_id}>"
