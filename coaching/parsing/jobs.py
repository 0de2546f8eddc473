"""Which of the four jobs a piece of text talks about ("sales", "support", "trends"...).

Every objective and tactic must serve one job, and people name jobs in their own words
("for sales", "to answer questions", "suport"), so keywords come from jobs.toml and
small typos are forgiven. The exact word is kept (``wording``): "sales" and "traffic"
are the same job, yet a plan can serve sales while deliberately not driving traffic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from coaching.knowledge import Knowledge
from coaching.model import Job
from coaching.parsing._data import per_knowledge, words
from coaching.parsing._text import mask, phrase_pattern

__all__ = ["JobMention", "detect_job", "find_jobs"]

# Inflections such as "supporting" or "trending" are read as their keyword when the
# extra letters are few; the keyword must be long enough to be distinctive.
_PREFIX_MIN_KEYWORD = 5
_PREFIX_MAX_EXTRA = 3
_MEMO_SIZE = 4096


@dataclass(frozen=True, slots=True)
class JobMention:
    """One place a job is named. ``wording`` is the keyword from jobs.toml that matched."""

    job: Job
    wording: str
    start: int


@dataclass(frozen=True, slots=True)
class _JobIndex:
    exact: re.Pattern[str]
    by_keyword: dict[str, Job]
    fuzzy_by_letter: dict[str, tuple[str, ...]]
    prefix_choices: frozenset[str]
    token: re.Pattern[str]
    not_typos: frozenset[str]
    memo: dict[str, str | None]


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().replace("-", " ").split())


@per_knowledge
def _index(knowledge: Knowledge) -> _JobIndex:
    w = words()
    by_keyword: dict[str, Job] = {}
    spelled: dict[str, str] = {}
    for info in knowledge.jobs.values():
        for phrase in (*info.keywords, info.job.value):
            key = _key(phrase)
            if key and key not in by_keyword:
                by_keyword[key] = info.job
                spelled[key] = phrase.lower()
    single = tuple(k for k in by_keyword if " " not in k and k.isalpha())
    by_letter: dict[str, list[str]] = {}
    for k in single:
        if len(k) >= w.job_fuzzy_min_length:
            by_letter.setdefault(k[0], []).append(k)
    return _JobIndex(
        exact=re.compile(phrase_pattern(by_keyword), re.IGNORECASE),
        by_keyword=by_keyword,
        fuzzy_by_letter={letter: tuple(ks) for letter, ks in by_letter.items()},
        prefix_choices=frozenset(k for k in single if len(k) >= _PREFIX_MIN_KEYWORD),
        token=re.compile(rf"[^\W\d_]{{{_PREFIX_MIN_KEYWORD},}}"),
        not_typos=frozenset(w.job_not_typos),
        memo={},
    )


def _near(token: str, index: _JobIndex, min_length: int) -> str | None:
    """The keyword a misspelt or inflected token stands for, if any (memoised per index:
    chat text repeats the same words, and long pastes must stay fast)."""
    memo = index.memo
    if token in memo:
        return memo[token]
    if len(memo) > _MEMO_SIZE:
        memo.clear()
    memo[token] = found = _near_uncached(token, index, min_length)
    return found


def _near_uncached(token: str, index: _JobIndex, min_length: int) -> str | None:
    if token in index.not_typos:
        return None
    for size in range(max(_PREFIX_MIN_KEYWORD, len(token) - _PREFIX_MAX_EXTRA), len(token)):
        if token[:size] in index.prefix_choices:
            return token[:size]
    if len(token) < min_length:
        return None
    choices = index.fuzzy_by_letter.get(token[0])
    if not choices:
        return None
    limit = 2 if len(token) >= 10 else 1
    best = process.extractOne(token, choices, scorer=OSA.distance, score_cutoff=limit)
    return str(best[0]) if best is not None else None


def _mentions(text: str, knowledge: Knowledge) -> list[tuple[JobMention, int, bool]]:
    index = _index(knowledge)
    masked = mask(text)
    found: list[tuple[JobMention, int, bool]] = []
    covered: list[tuple[int, int]] = []
    for m in index.exact.finditer(masked):
        key = _key(m.group(0))
        job = index.by_keyword.get(key)
        if job is not None:
            found.append((JobMention(job, key, m.start()), m.end(), True))
            covered.append((m.start(), m.end()))
    min_length = words().job_fuzzy_min_length
    cursor = 0  # exact matches are in text order, and so are tokens
    for m in index.token.finditer(masked):
        while cursor < len(covered) and covered[cursor][1] <= m.start():
            cursor += 1
        if cursor < len(covered) and covered[cursor][0] < m.end():
            continue
        keyword = _near(m.group(0).lower(), index, min_length)
        if keyword is not None:
            mention = JobMention(index.by_keyword[keyword], keyword, m.start())
            found.append((mention, m.end(), False))
    found.sort(key=lambda item: item[0].start)
    return found


def find_jobs(text: str, knowledge: Knowledge) -> list[JobMention]:
    """Every job mentioned, in text order."""
    if not text:
        return []
    return [mention for mention, _, _ in _mentions(text, knowledge)]


def find_job_spans(text: str, knowledge: Knowledge) -> list[tuple[JobMention, int]]:
    """Like ``find_jobs`` with where each mention ends, for cutting it out of a phrase."""
    if not text:
        return []
    return [(mention, end) for mention, end, _ in _mentions(text, knowledge)]


def detect_job(text: str, knowledge: Knowledge) -> JobMention | None:
    """The job a short answer is about: the first exact keyword, else the first near miss."""
    if not text:
        return None
    mentions = _mentions(text, knowledge)
    exact = next((m for m, _, is_exact in mentions if is_exact), None)
    if exact is not None:
        return exact
    return mentions[0][0] if mentions else None
