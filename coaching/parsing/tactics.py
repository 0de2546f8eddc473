"""A person's tactic mix in one message: which channel serves which job, and which jobs
are deliberately left alone.

The method's own example must survive a round trip: "email for sales, Twitter for
support, drinks with industry friends for trends, nothing for traffic (YouTube and
SlideShare if it ever mattered)". So the parser keeps unknown channels in the person's
words, keeps "sales" and "traffic" apart while both are the traffic job, and records
what would be used if a job left alone started to matter.

How a message is read:

* It is cut into groups at strong breaks (new lines, ";", sentence ends, "but") and each
  group into parts at weak ones ("," "and" "&" "+"), never inside brackets.
* A part is "nothing for <job>" ("no traffic", "traffic: none"), a channel not used
  ("not on Facebook", skipped), or a tactic: "<channel> for <job>", "<job>: <channel>",
  "<channel> (<job>)", or just "<channel>".
* Within a group, channels without a job take the job of the next part that has one
  ("IG and FB for community"), and a job without a channel takes the channel before it
  ("Twitter for support and trends").
* After "nothing for <job>", hypothetical parts ("if it ever mattered, YouTube") list
  what would serve it; only channels the coach knows are kept there.
* A bare phrase the coach does not know, with no job, is kept only when it is short
  (a name, not a sentence) and not chatter like "thanks".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from coaching.knowledge import Knowledge
from coaching.model import Job, Stage
from coaching.parsing._data import words
from coaching.parsing._text import blank, clean, compiled_phrases, normalize
from coaching.parsing.answers import find_stage, is_nothing
from coaching.parsing.channels import ChannelMatch, match_channel
from coaching.parsing.durations import find_duration
from coaching.parsing.jobs import JobMention, find_job_spans, find_jobs

__all__ = ["NothingFor", "TacticDraft", "TacticMix", "parse_tactic_mix"]

# Longer answers are read up to here: a tactic mix is a few lines, and the engine turn
# has a 2 ms budget.
_MAX_CHARS = 4000
_MAX_UNKNOWN_WORDS = 5


@dataclass(frozen=True, slots=True)
class TacticDraft:
    """One channel doing one job (or no job yet), as the person described it."""

    channel: ChannelMatch
    job: Job | None
    job_wording: str | None
    hours_per_week: float | None
    stage: Stage | None
    raw: str


@dataclass(frozen=True, slots=True)
class NothingFor:
    """A job deliberately left alone, and what would serve it if that changed."""

    job: Job
    wording: str
    would_use: tuple[ChannelMatch, ...]
    raw: str


@dataclass(frozen=True, slots=True)
class TacticMix:
    tactics: tuple[TacticDraft, ...]
    nothing_for: tuple[NothingFor, ...]


@dataclass(slots=True)
class _Part:
    raw: str
    kind: str  # "tactic" | "nothing" | "negated" | "hypothetical" | "skip"
    channel: ChannelMatch | None = None
    jobs: list[JobMention] = field(default_factory=list)
    hours: float | None = None
    stage: Stage | None = None
    would_use: list[ChannelMatch] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Regexes:
    strong: re.Pattern[str]
    weak: re.Pattern[str]
    nothing_lead: re.Pattern[str]
    negation_lead: re.Pattern[str]
    hypothetical: re.Pattern[str]
    for_connector: re.Pattern[str]
    pair_connector: re.Pattern[str]
    edge_connectors: re.Pattern[str]
    edge_connectors_end: re.Pattern[str]
    parens: re.Pattern[str]
    empty_parens: re.Pattern[str]
    would_split: re.Pattern[str]
    bullet: re.Pattern[str]
    markup: re.Pattern[str]
    letters: re.Pattern[str]


@cache
def _regexes() -> _Regexes:
    w = words()
    connectors = r"for|to|as|on|via|with|through|using|by|=|:|-|–|—|→|->|=>"
    return _Regexes(
        strong=re.compile(
            r"\n|;|(?<![\d\s.])[.!?]+(?=\s|$)|\s(?:but|except|whereas|however)\s", re.IGNORECASE
        ),
        weak=re.compile(r",|\s(?:and|&|\+|plus|as\s+well\s+as|also|then)\s", re.IGNORECASE),
        nothing_lead=re.compile(
            r"^\s*"
            + compiled_phrases(w.nothing_words).pattern
            + r"(?:\s*(?:for|on|re|regarding|towards?|in|about|with|:|-|–|—)(?![\w]))?",
            re.IGNORECASE,
        ),
        negation_lead=re.compile(r"^\s*" + compiled_phrases(w.negations).pattern, re.IGNORECASE),
        hypothetical=compiled_phrases(w.hypothetical),
        for_connector=re.compile(r"(?<![\w])(?:for|to)(?![\w])", re.IGNORECASE),
        pair_connector=re.compile(r"\s*(?::|=|->|=>|→|\s-\s|\s–\s|\s—\s)\s*"),
        edge_connectors=re.compile(rf"^(?:\s*(?:{connectors})(?![\w]))+\s*", re.IGNORECASE),
        edge_connectors_end=re.compile(rf"(?:(?<![\w])(?:{connectors})\s*)+$", re.IGNORECASE),
        parens=re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]"),
        empty_parens=re.compile(r"\(\s*[,;:/\-]*\s*\)|\[\s*\]"),
        would_split=re.compile(r",|/|\+|&|(?<![\w])(?:and|or)(?![\w])", re.IGNORECASE),
        bullet=re.compile(r"^\s*(?:[-*•·–—>]+|\d{1,2}[.)]|[a-z][)])\s+", re.IGNORECASE),
        markup=re.compile(r"[*_~`]"),
        letters=re.compile(r"[^\W\d_]"),
    )


def _depth_ok(text: str, balanced: bool, pos: int) -> bool:
    """True when a separator at ``pos`` is outside brackets (brackets hold asides)."""
    if not balanced:
        return True
    opened = text.count("(", 0, pos) + text.count("[", 0, pos)
    closed = text.count(")", 0, pos) + text.count("]", 0, pos)
    return opened <= closed


def _split(text: str, regex: re.Pattern[str], start: int, end: int, balanced: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in regex.finditer(text, start, end):
        if _depth_ok(text, balanced, m.start()):
            spans.append((cursor, m.start()))
            cursor = m.end()
    spans.append((cursor, end))
    return spans


def _strip_connectors(text: str) -> str:
    rx = _regexes()
    text = rx.empty_parens.sub(" ", text)
    text = rx.edge_connectors.sub("", text)
    text = rx.edge_connectors_end.sub("", text)
    return text.strip(" \t,.;:-–—()[]")


def _would_use(text: str, knowledge: Knowledge) -> list[ChannelMatch]:
    found: list[ChannelMatch] = []
    for piece in _regexes().would_split.split(text):
        match = match_channel(piece, knowledge) if piece and piece.strip() else None
        if match is not None and match.key is not None and all(f.key != match.key for f in found):
            found.append(match)
    return found


def _nothing_part(raw: str, jobs: list[JobMention], knowledge: Knowledge) -> _Part | None:
    """ "nothing for traffic (...)", "no traffic", "traffic: none" -> a nothing part."""
    rx = _regexes()
    outside = rx.parens.sub(lambda m: " " * len(m.group(0)), raw)
    lead = rx.nothing_lead.match(outside)
    first = jobs[0]
    is_lead = lead is not None and first.start >= lead.end() - 1 and not outside[: lead.start()].strip()
    if is_lead:
        between = outside[lead.end() if lead else 0 : first.start]
        is_lead = not rx.letters.search(_strip_connectors(between) or "")
    if not is_lead:
        if outside[: first.start].strip():
            return None
        last = jobs[-1]
        tail = outside[last.start + len(last.wording) :]
        if not is_nothing(_strip_connectors(tail)):
            return None
    would: list[ChannelMatch] = []
    for m in rx.parens.finditer(raw):
        would.extend(_would_use(m.group(1) or m.group(2) or "", knowledge))
    return _Part(raw=raw, kind="nothing", jobs=jobs, would_use=would)


def _channel_from(text: str, knowledge: Knowledge) -> ChannelMatch | None:
    cleaned = _strip_connectors(text)
    if not cleaned or not _regexes().letters.search(cleaned):
        return None
    return match_channel(cleaned, knowledge)


def _tactic_part(raw: str, knowledge: Knowledge) -> _Part:
    rx = _regexes()
    work = raw
    hours: float | None = None
    duration = find_duration(work)
    if duration is not None:
        hours, d_start, d_end = duration
        work = blank(work, d_start, d_end)
    stage: Stage | None = None
    stage_span: tuple[int, int] | None = None
    found_stage = find_stage(work)
    if found_stage is not None:
        stage, s_start, s_end = found_stage
        stage_span = (s_start, s_end)
    spans = find_job_spans(work, knowledge)
    jobs = [j for j, _ in spans]
    ends = {j.start: end for j, end in spans}

    def without_stage(start: int, end: int) -> str:
        piece = work
        if stage_span is not None:
            piece = blank(piece, *stage_span)
        return piece[start:end]

    part = _Part(raw=raw, kind="tactic", hours=hours, stage=stage)
    if not jobs:
        part.channel = _channel_from(without_stage(0, len(work)), knowledge)
        return part
    # 1. "<channel> for <job>": the last "for"/"to" outside brackets followed by a job.
    balanced = work.count("(") == work.count(")")
    for m in reversed(list(rx.for_connector.finditer(work))):
        if not _depth_ok(work, balanced, m.start()):
            continue
        right = [j for j in jobs if j.start >= m.end()]
        if not right:
            continue
        part.jobs = right
        part.channel = _channel_from(without_stage(0, m.start()), knowledge)
        if part.channel is None:
            # "replying to questions on Twitter": the channel follows the job words.
            tail = without_stage(0, len(work))
            for j in right:
                tail = blank(tail, j.start, ends[j.start])
            part.channel = _channel_from(tail[m.end() :], knowledge)
        return part
    # 2. "<job>: <channel>" or "<channel> - <job>".
    for m in rx.pair_connector.finditer(work):
        if not _depth_ok(work, balanced, m.start()):
            continue
        left_jobs = [j for j in jobs if j.start < m.start()]
        right_jobs = [j for j in jobs if j.start >= m.end()]
        if left_jobs and not right_jobs:
            part.jobs = left_jobs
            part.channel = _channel_from(without_stage(m.end(), len(work)), knowledge)
            return part
        if right_jobs and not left_jobs:
            part.jobs = right_jobs
            part.channel = _channel_from(without_stage(0, m.start()), knowledge)
            return part
    # 3. A channel name that itself contains a job word ("community forum").
    whole = _channel_from(without_stage(0, len(work)), knowledge)
    if whole is not None and whole.key is not None and whole.score >= 100:
        part.channel = whole
        return part
    # 4. Job words anywhere ("Twitter (support)", "answering questions on Twitter").
    rest = work if stage_span is None else blank(work, *stage_span)
    for j in jobs:
        rest = blank(rest, j.start, ends[j.start])
    part.jobs = jobs
    part.channel = _channel_from(rest, knowledge)
    return part


def _parse_part(raw: str, knowledge: Knowledge) -> _Part:
    rx = _regexes()
    norm = normalize(raw)
    if not norm or not rx.letters.search(norm):
        return _Part(raw=raw, kind="skip")
    if norm in words().ignore:
        return _Part(raw=raw, kind="skip")
    jobs = find_jobs(raw, knowledge)
    if jobs:
        nothing = _nothing_part(raw, jobs, knowledge)
        if nothing is not None:
            return nothing
    elif rx.negation_lead.match(raw):
        return _Part(raw=raw, kind="negated")
    elif rx.hypothetical.search(raw):
        return _Part(raw=raw, kind="hypothetical")
    return _tactic_part(raw, knowledge)


def _resolve_group(parts: list[_Part], knowledge: Knowledge) -> None:
    """Share jobs and channels across weak separators, in place."""
    for i, part in enumerate(parts):
        if part.kind == "nothing":
            # What follows "nothing for X", if hypothetical, is what would serve X.
            following = parts[i + 1 :]
            if following and following[0].kind == "hypothetical":
                for other in following:
                    if other.kind not in ("hypothetical", "tactic") or other.jobs:
                        break
                    part.would_use.extend(
                        m
                        for m in _would_use(other.raw, knowledge)
                        if all(m.key != w.key for w in part.would_use)
                    )
                    other.kind = "skip"
        elif part.kind == "negated":
            for other in parts[i + 1 :]:
                if other.kind != "tactic" or other.jobs:
                    break
                other.kind = "negated"
    for i, part in enumerate(parts):
        if part.kind != "tactic":
            continue
        if part.channel is not None and not part.jobs:
            for other in parts[i + 1 :]:
                if other.kind != "tactic":
                    break
                if other.jobs and other.channel is not None:
                    part.jobs = list(other.jobs)
                    break
        elif part.channel is None and not part.jobs and (part.hours is not None or part.stage):
            # "Twitter for support, 2h a week": a clause holding only a time or a
            # stage belongs to the tactic just before it.
            before = [p for p in parts[:i] if p.kind == "tactic" and p.channel is not None]
            if before:
                target = before[-1]
                target.hours = target.hours if target.hours is not None else part.hours
                target.stage = target.stage or part.stage
                part.kind = "skip"
        elif part.channel is None and part.jobs:
            before = [p for p in parts[:i] if p.kind == "tactic" and p.channel is not None]
            after = [p for p in parts[i + 1 :] if p.kind == "tactic" and p.channel is not None]
            source = before[-1] if before else (after[0] if after else None)
            if source is not None:
                part.channel = source.channel
                part.stage = part.stage or source.stage


def _keep_unknown(part: _Part) -> bool:
    if part.jobs or part.channel is None or part.channel.key is not None:
        return True
    return len(part.channel.label.split()) <= _MAX_UNKNOWN_WORDS and not is_nothing(part.raw)


def parse_tactic_mix(text: str, *, knowledge: Knowledge) -> TacticMix:
    """Read a tactic mix answer; never raises, and returns an empty mix for no tactics."""
    if not text or not text.strip():
        return TacticMix((), ())
    rx = _regexes()
    body = rx.markup.sub(" ", clean(text[:_MAX_CHARS]))
    body = "\n".join(rx.bullet.sub("", line) for line in body.splitlines())
    balanced = body.count("(") == body.count(")") and body.count("[") == body.count("]")
    tactics: list[TacticDraft] = []
    nothing: list[NothingFor] = []
    seen: dict[tuple[str, Job | None], int] = {}
    for g_start, g_end in _split(body, rx.strong, 0, len(body), balanced):
        parts = [
            _parse_part(body[s:e].strip(), knowledge)
            for s, e in _split(body, rx.weak, g_start, g_end, balanced)
            if body[s:e].strip()
        ]
        _resolve_group(parts, knowledge)
        for part in parts:
            if part.kind == "nothing":
                for job in dict.fromkeys(j.job for j in part.jobs):
                    wording = next(j.wording for j in part.jobs if j.job is job)
                    if all(n.job is not job for n in nothing):
                        nothing.append(NothingFor(job, wording, tuple(part.would_use), part.raw))
                continue
            if part.kind != "tactic" or part.channel is None or not _keep_unknown(part):
                continue
            firsts = list({j.job: j for j in reversed(part.jobs)}.values())[::-1]
            mentions: list[JobMention | None] = [*firsts] if firsts else [None]
            for mention in mentions:
                tactic_job = mention.job if mention else None
                ident = (part.channel.key or part.channel.label.lower(), tactic_job)
                draft = TacticDraft(
                    channel=part.channel,
                    job=tactic_job,
                    job_wording=mention.wording if mention else None,
                    hours_per_week=part.hours,
                    stage=part.stage,
                    raw=part.raw,
                )
                if ident in seen:
                    kept = tactics[seen[ident]]
                    tactics[seen[ident]] = replace(
                        kept,
                        hours_per_week=kept.hours_per_week if kept.hours_per_week is not None else part.hours,
                        stage=kept.stage or part.stage,
                    )
                    continue
                seen[ident] = len(tactics)
                tactics.append(draft)
    return TacticMix(tuple(tactics), tuple(nothing))
