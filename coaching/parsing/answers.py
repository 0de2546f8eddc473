"""Short answers: yes/somewhat/no, a stage on the path, "nothing", a vague audience.

The weekly check-in lives on these: a person replying "meh" or "👍" from a phone should
be understood without a button. When an answer is unclear the parsers say None so the
coach can ask again rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from coaching.model import Stage
from coaching.parsing._data import words
from coaching.parsing._text import mask, normalize, phrase_pattern

__all__ = [
    "Verdict",
    "find_stage",
    "is_nothing",
    "is_small_talk",
    "is_unsure",
    "is_vague_audience",
    "parse_stage",
    "parse_verdict",
]

Verdict = Literal["yes", "somewhat", "no"]
_VERDICTS: dict[str, Verdict] = {"yes": "yes", "somewhat": "somewhat", "no": "no"}

_SKIN_TONES = dict.fromkeys(range(0x1F3FB, 0x1F400), None) | {0xFE0F: None, 0xFE0E: None}
_WORD_RE = re.compile(r"[\w']+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class _VerdictRegexes:
    leading: re.Pattern[str]
    anywhere: re.Pattern[str]
    kinds: dict[str, str]


def _emoji_base(text: str) -> str:
    return text.translate(_SKIN_TONES)


@cache
def _verdict_regexes() -> _VerdictRegexes:
    w = words()
    kinds: dict[str, str] = {}
    # Later kinds overwrite earlier ones, so "unclear" beats all and "no" beats "yes".
    for kind, phrases in (
        ("yes", w.yes),
        ("somewhat", w.somewhat),
        ("no", w.no),
        ("unclear", w.unclear),
    ):
        for phrase in phrases:
            kinds[" ".join(_emoji_base(phrase).split())] = kind
    pattern = phrase_pattern(kinds)
    return _VerdictRegexes(
        leading=re.compile(r"^\s*" + pattern, re.IGNORECASE),
        anywhere=re.compile(pattern, re.IGNORECASE),
        kinds=kinds,
    )


def _kind(match: re.Match[str], kinds: dict[str, str]) -> str | None:
    return kinds.get(" ".join(match.group(0).lower().replace("-", " ").split())) or kinds.get(
        match.group(0).lower()
    )


def parse_verdict(text: str) -> Verdict | None:
    """yes / somewhat / no for "Is <channel> still serving your <goal> goal?".

    The phrase the answer starts with decides ("not really, but..." is no); failing that,
    a verdict phrase anywhere counts if all such phrases agree. "Not sure" gives None.
    """
    if not text:
        return None
    answer = _emoji_base(normalize(text[:2000]))
    if not answer:
        answer = _emoji_base(text[:2000].strip())
    rx = _verdict_regexes()
    lead = rx.leading.match(answer)
    if lead is not None:
        kind = _kind(lead, rx.kinds)
        if kind == "unclear":
            return None
        if kind is not None:
            return _VERDICTS.get(kind)
    seen = {k for m in rx.anywhere.finditer(answer) if (k := _kind(m, rx.kinds)) is not None}
    if "unclear" in seen or len(seen) != 1:
        return None
    return _VERDICTS.get(seen.pop())


@dataclass(frozen=True, slots=True)
class _StageRegex:
    regex: re.Pattern[str]
    stages: dict[str, Stage]


@cache
def _stage_regex() -> _StageRegex:
    stages: dict[str, Stage] = {}
    for name, phrases in words().stages.items():
        for phrase in phrases:
            stages[" ".join(phrase.split())] = Stage(name)
    return _StageRegex(re.compile(phrase_pattern(stages), re.IGNORECASE), stages)


def find_stage(text: str) -> tuple[Stage, int, int] | None:
    """The first stage word and its span, so a tactic phrase can drop it from the channel."""
    if not text:
        return None
    rx = _stage_regex()
    for m in rx.regex.finditer(mask(text)):
        stage = rx.stages.get(" ".join(m.group(0).lower().replace("-", " ").split()))
        if stage is not None:
            return stage, m.start(), m.end()
    return None


def parse_stage(text: str) -> Stage | None:
    """Where a tactic stands: listening, participating or leading (first stage word wins)."""
    found = find_stage(text)
    return found[0] if found is not None else None


@dataclass(frozen=True, slots=True)
class _AudienceSets:
    vague: frozenset[str]
    heads: frozenset[str]
    generic: frozenset[str]


@cache
def _audience_sets() -> _AudienceSets:
    w = words()
    return _AudienceSets(
        vague=frozenset(w.vague_audience),
        heads=frozenset(w.audience_heads),
        generic=frozenset(w.audience_generic),
    )


def is_vague_audience(text: str) -> bool:
    """True when an audience names nobody in particular ("everyone", "anyone who buys").

    The method asks for people described by interest; an answer made only of catch-all
    words gets a follow-up question. Any specific word ("indie", "developers") makes it
    concrete enough.
    """
    answer = normalize(text[:500])
    if not answer:
        return False
    sets = _audience_sets()
    if answer in sets.vague:
        return True
    tokens = [t for t in _WORD_RE.findall(answer) if t.isalnum() or "'" in t]
    if not tokens or len(tokens) > 12:
        return False
    if not any(t in sets.heads for t in tokens):
        return False
    return all(t in sets.heads or t in sets.generic or t.isdigit() for t in tokens)


_ONLY_DASHES = re.compile(r"^[\s\-–—_.…]+$")


def is_nothing(text: str) -> bool:
    """True when the whole answer means "nothing" ("none", "n/a", "-", "not now").

    An empty answer is not "nothing": the person has not answered yet.
    """
    if not text or len(text) > 200:
        return False
    if _ONLY_DASHES.match(text):
        return True
    return normalize(text) in _phrase_set("nothing")


@cache
def _phrase_set(kind: str) -> frozenset[str]:
    return frozenset(" ".join(p.split()) for p in getattr(words(), kind))


def is_small_talk(text: str) -> bool:
    """True when the whole answer is a greeting or an acknowledgement ("hi", "thanks", "ok").

    A chat invites them, and an open question would otherwise store "hello" as the
    audience, where nothing later questions it.
    """
    if not 0 < len(text) <= 60:
        return False
    phrases = _phrase_set("small_talk")
    return normalize(text) in phrases or text.strip() in phrases  # "???" normalizes to nothing


def is_unsure(text: str) -> bool:
    """True when the whole answer is "I don't know" in some form ("not sure", "idk")."""
    if not 0 < len(text) <= 60:
        return False
    answer = normalize(text)
    return answer in _phrase_set("unclear") or answer.removeprefix("i ") in _phrase_set("unclear")
