"""Spelled-out numbers ("forty-two", "a dozen", "two hundred and five").

Shared by numbers, dates ("in three months") and durations ("an hour a day"), so the
vocabulary lives in one place: ``[numbers]`` in words.toml.
"""

from __future__ import annotations

import re
from functools import cache

from coaching.parsing._data import words

# Longest spelled number read as one ("two hundred and thirty four thousand five hundred"
# is eight words). The cap also keeps matching linear on a paste of number words.
_MAX_RUN = 10


@cache
def run_pattern() -> str:
    """Regex source for one run of number words, optionally led by "a"/"an".

    A run must contain at least one real number word, so a lone "a" is never a number.
    """
    w = words()
    vocab = sorted({*w.units, *w.tens, *w.scales, *w.counts}, key=lambda s: (-len(s), s))
    word = "(?:" + "|".join(r"[\s\-]+".join(map(re.escape, v.split())) for v in vocab) + ")"
    joiner = r"(?:\s*-\s*|\s+and\s+|\s+)"
    return rf"(?<![\w])(?:(?:a|an)\s+)?{word}(?:{joiner}{word}){{0,{_MAX_RUN - 1}}}(?![\w])"


@cache
def run_regex() -> re.Pattern[str]:
    return re.compile(run_pattern(), re.IGNORECASE)


_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)?", re.IGNORECASE)


@cache
def _multiword_counts() -> tuple[tuple[str, float], ...]:
    return tuple((k, v) for k, v in words().counts.items() if " " in k)


def value_of(run: str) -> float | None:
    """Evaluate a run matched by ``run_regex``; None if it is not a coherent number.

    Follows the usual English reading: units and tens add up, "hundred" multiplies the
    group so far, larger scales close a group ("two thousand three hundred").
    """
    w = words()
    text = " ".join(run.lower().replace("-", " ").split())
    for phrase, value in _multiword_counts():
        if text == phrase or text == f"a {phrase}" or text == f"an {phrase}":
            return value
    total = 0.0
    current = 0.0
    seen = False
    for token in _TOKEN_RE.findall(text):
        if token in ("a", "an", "and"):
            continue
        if token in w.units:
            current += w.units[token]
        elif token in w.tens:
            current += w.tens[token]
        elif token == "hundred" or (token in w.scales and w.scales[token] < 1000):
            current = (current or 1.0) * w.scales[token]
        elif token in w.scales:
            total += (current or 1.0) * w.scales[token]
            current = 0.0
        elif token in w.counts:
            current = (current or 1.0) * w.counts[token]
        else:
            # "of" in "a couple of" and the like: harmless glue
            continue
        seen = True
    if not seen:
        return None
    return total + current
