"""Small text helpers shared by the parsers.

Chat platforms hand us markup, zero-width joiners, curly quotes and the odd NUL; the
parsers should see the words a person meant, so they all clean text the same way here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

# Characters that carry no meaning for parsing but break word matching.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\x00\u00ad\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u2060\u2066\u2067\u2068\u2069\ufeff",
    ),
    None,
)
# Keep the zero-width joiner (U+200D) out of the list above: it glues emoji like 🤷‍♂️.
_INVISIBLE_TO_SPACE = {k: " " for k in _INVISIBLE}
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "“": '"', "”": '"', "\u00a0": " ", "\u202f": " "})
_MARKUP_RE = re.compile(r"[*_~`]+")
_SPACES_RE = re.compile(r"\s+")
_EDGE_PUNCT = " \t\r\n.,;:!?\"'()[]{}<>"


def clean(text: str) -> str:
    """Same length-agnostic cleanup for every parser: invisible chars out, quotes straightened."""
    return text.translate(_INVISIBLE).translate(_QUOTES)


def mask(text: str) -> str:
    """Like ``clean`` but keeps every character in place, so match offsets fit the original."""
    return text.translate(_INVISIBLE_TO_SPACE).translate(_QUOTES)


def normalize(text: str) -> str:
    """Lower-case one-line form used to compare a whole answer against word lists."""
    text = _MARKUP_RE.sub(" ", clean(text)).lower()
    return _SPACES_RE.sub(" ", text).strip(_EDGE_PUNCT)


def one_line(text: str) -> str:
    """Collapse whitespace so a stored description never breaks a chat layout."""
    return _SPACES_RE.sub(" ", clean(text)).strip()


def phrase_pattern(phrases: Iterable[str]) -> str:
    """Alternation of phrases, longest first so "not really" wins over "no".

    Spaces in a phrase match any run of whitespace or a hyphen, and each phrase must
    stand as whole words; phrases made of symbols (emoji, "-1") work the same way.
    """
    unique = sorted({p for p in phrases if p}, key=lambda p: (-len(p), p))
    parts = []
    for phrase in unique:
        words = [re.escape(w) for w in phrase.split()]
        parts.append(r"[\s\-]+".join(words))
    if not parts:
        return r"(?!x)x"
    return r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])"


@cache
def compiled_phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Compile a phrase list once; word lists are immutable tuples so they cache well."""
    return re.compile(phrase_pattern(phrases), re.IGNORECASE)


def blank(text: str, start: int, end: int) -> str:
    """Replace a span with spaces so later offsets into the same string stay valid."""
    return text[:start] + " " * (end - start) + text[end:]
