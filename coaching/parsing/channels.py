"""Which channel a phrase names ("X", "IG", "linked in", "instagramm", "tik tok").

There are hundreds of tools and people spell them every way, so known channels are
matched loosely against names and aliases from channels.toml; anything else is kept in
the person's own words (a tactic like "drinks with industry friends" is perfectly
valid, the coach just has no opinion about it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from coaching.knowledge import Knowledge
from coaching.parsing._data import per_knowledge, words
from coaching.parsing._text import clean, compiled_phrases

__all__ = ["ChannelMatch", "match_channel"]

# A phrase longer than this many words is not a channel name; only its start is read.
_MAX_TOKENS = 30
# Very short aliases ("x", "ig", "fb") only count in short phrases, where they are
# unlikely to be a stray letter ("5 x 3 grid", "<li>").
_SHORT_ALIAS = 2
_SHORT_PHRASE_TOKENS = 3
_FUZZY_MIN = 5
_MAX_LABEL = 100
# A word found exactly inside a longer phrase ("our Twitter account") is a strong but
# not complete match.
_TOKEN_SCORE = 90.0

_TOKEN_RE = re.compile(r"[^\W_]+(?:[./&'\-][^\W_]+)*")
_COMPACT_RE = re.compile(r"[\W_]+")
_MARKUP_RE = re.compile(r"[*_~`]+")
_SPACES_RE = re.compile(r"\s+")
_TRAIL = " \t\r\n.,;:!?\"'“”’)]}>-–—"
_LEAD = " \t\r\n\"'“‘([{<-–—•*"


@dataclass(frozen=True, slots=True)
class ChannelMatch:
    """A channel as the coach understood it.

    ``key`` is the knowledge key, or None for a channel the coach does not know;
    ``label`` is how to write it back; ``score`` is 0-100 (0 for unknown channels).
    """

    key: str | None
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class _ChannelIndex:
    exact: dict[str, str]
    fuzzy_phrase: tuple[str, ...]
    fuzzy_token: tuple[str, ...]
    names: dict[str, str]


def _compact(text: str) -> str:
    return _COMPACT_RE.sub("", text.lower())


@per_knowledge
def _index(knowledge: Knowledge) -> _ChannelIndex:
    exact: dict[str, str] = {}
    single: set[str] = set()
    for channel in knowledge.channels.values():
        for phrase in (channel.key, channel.name, *channel.aliases):
            compact = _compact(phrase)
            if compact and compact not in exact:
                exact[compact] = channel.key
                if len(_TOKEN_RE.findall(phrase)) == 1:
                    single.add(compact)
    long_forms = tuple(k for k in exact if len(k) >= _FUZZY_MIN)
    return _ChannelIndex(
        exact=exact,
        fuzzy_phrase=long_forms,
        fuzzy_token=tuple(k for k in long_forms if k in single),
        names={c.key: c.name for c in knowledge.channels.values()},
    )


def tidy_label(text: str) -> str:
    """The person's words, cleaned for display: one line, no markup or edge punctuation.

    Leading filler ("on", "via our") is dropped; the first letter keeps its case.
    """
    text = _SPACES_RE.sub(" ", _MARKUP_RE.sub("", clean(text))).strip(_TRAIL).lstrip(_LEAD)
    text = text.strip(_TRAIL)
    lead = compiled_phrases(words().channel_lead_words)
    while True:
        m = lead.match(text)
        if m is None or m.end() >= len(text):
            break
        text = text[m.end() :].lstrip(_LEAD)
    if len(text) > _MAX_LABEL:
        cut = text[:_MAX_LABEL].rsplit(" ", 1)[0]
        text = cut.rstrip(_TRAIL) + "…"
    return text


def _alone(tokens: list[str], at: int) -> bool:
    """A one- or two-letter alias next to a number is arithmetic ("5 x 3"), not a channel."""
    neighbours = tokens[max(0, at - 1) : at] + tokens[at + 1 : at + 2]
    return not any(t.replace(".", "").isdigit() for t in neighbours)


def _known(key: str, score: float, index: _ChannelIndex) -> ChannelMatch:
    return ChannelMatch(key=key, label=index.names.get(key, key), score=round(score, 1))


def match_channel(text: str, knowledge: Knowledge) -> ChannelMatch | None:
    """The channel one phrase names, or an unknown channel in the person's words.

    Order of trust: the whole phrase exactly; a run of up to three words exactly
    ("linked in" as "linkedin"); then typos, scored with rapidfuzz and accepted only at
    ``match_threshold`` or above, so "drinks with industry friends" stays unknown.
    Returns None when there are no words at all.
    """
    if not text or not text.strip():
        return None
    label = tidy_label(text[:2000])
    if not label:
        return None
    index = _index(knowledge)
    threshold = words().channel_threshold
    whole = _compact(label)
    if whole in index.exact and (len(whole) > _SHORT_ALIAS or len(label) <= 4):
        return _known(index.exact[whole], 100.0, index)
    tokens = _TOKEN_RE.findall(label)[:_MAX_TOKENS]
    short_ok = len(tokens) <= _SHORT_PHRASE_TOKENS
    for start in range(len(tokens)):
        for size in (3, 2, 1):
            if start + size > len(tokens):
                continue
            compact = _compact("".join(tokens[start : start + size]))
            key = index.exact.get(compact)
            if key is None:
                continue
            if len(compact) <= _SHORT_ALIAS and not (short_ok and _alone(tokens, start)):
                continue
            return _known(key, _TOKEN_SCORE, index)
    best: tuple[str, float] | None = None
    if _FUZZY_MIN - 1 <= len(whole) <= 40:
        hit = process.extractOne(whole, index.fuzzy_phrase, scorer=fuzz.ratio, score_cutoff=threshold)
        if hit is not None:
            best = (str(hit[0]), float(hit[1]))
    for token in tokens:
        compact = _compact(token)
        if len(compact) < _FUZZY_MIN:
            continue
        hit = process.extractOne(compact, index.fuzzy_token, scorer=fuzz.ratio, score_cutoff=threshold)
        if hit is not None and (best is None or float(hit[1]) > best[1]):
            best = (str(hit[0]), float(hit[1]))
    if best is not None:
        return _known(index.exact[best[0]], best[1], index)
    return ChannelMatch(key=None, label=label, score=0.0)
