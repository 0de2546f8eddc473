"""A written objective turned into metric, baseline, target, unit and deadline.

The method insists every objective has a number and a date; reading them out of the
person's own sentence lets the coach ask only for what is missing ("by when?") instead
of making people fill in a form.

Reading rules:

* The deadline is found first (see ``dates``) and cut out, so its numbers never become
  targets ("in 6 months" is not a target of 6).
* "from X to Y", "X -> Y", "X → Y": baseline X, target Y.
* "now X", "(currently X)", "up from X", "today X": baseline.
* "double/triple/halve" and "N x" multiply the baseline; "X% more/less" and "by X%" move
  it by that share. Without a baseline these leave the target unknown.
* "reach/get to/hit Y": target. Otherwise the first number left is the target.
* Numbers followed by a time unit ("within 24 hours") describe the metric, not a target.
* ``unit`` is "%" or a currency code when the numbers carry one, else a rate such as
  "per month" when the text says "a month"/"per week"/"monthly", else None.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from coaching.knowledge import Knowledge
from coaching.model import Job
from coaching.parsing._data import words
from coaching.parsing._text import blank, compiled_phrases, mask, one_line
from coaching.parsing.dates import date_spans, find_deadline
from coaching.parsing.jobs import detect_job
from coaching.parsing.numbers import Quantity, find_quantities

__all__ = ["ObjectiveDraft", "parse_objective"]

_MAX_DESCRIPTION = 300
_MAX_METRIC = 80
# Past this, only the start of the text is read for numbers and words.
_MAX_READ = 2000


@dataclass(frozen=True, slots=True)
class ObjectiveDraft:
    """What could be read from one objective; None marks what the coach must ask for."""

    description: str
    job: Job | None
    job_wording: str | None
    metric: str | None
    baseline: float | None
    target: float | None
    unit: str | None
    deadline: date | None


@dataclass(frozen=True, slots=True)
class _Regexes:
    from_to: re.Pattern[str]
    arrow: re.Pattern[str]
    baseline_lead: re.Pattern[str]
    target_lead: re.Pattern[str]
    multiplier: re.Pattern[str]
    times: re.Pattern[str]
    percent_change: re.Pattern[str]
    by_change: re.Pattern[str]
    decrease: re.Pattern[str]
    rate: re.Pattern[str]
    time_unit_after: re.Pattern[str]
    growth_lead: re.Pattern[str]
    filler_lead: re.Pattern[str]
    action_lead: re.Pattern[str]
    qualifier: re.Pattern[str]
    cleanup: re.Pattern[str]
    dangling: re.Pattern[str]


_ASIDE_RE = re.compile(r"\(([^()]*)\)")
_WORDY_RE = re.compile(r"[^\W\d_]{3,}")
_TIME_UNITS = {
    "h": "hours",
    "hr": "hours",
    "hour": "hours",
    "min": "minutes",
    "minute": "minutes",
    "sec": "seconds",
    "second": "seconds",
    "day": "days",
    "week": "weeks",
}


@cache
def _regexes() -> _Regexes:
    w = words()
    baseline = compiled_phrases(w.baseline_markers).pattern
    target = compiled_phrases(w.target_markers).pattern
    multipliers = compiled_phrases(tuple(w.multipliers)).pattern
    decrease = compiled_phrases(w.decrease_words).pattern
    return _Regexes(
        from_to=re.compile(r"(?<![\w])from\s+(?P<a>[^\n]{1,40}?)\s+(?:to|->|→|=>)\s+", re.IGNORECASE),
        arrow=re.compile(r"\s*(?:->|→|=>|⟶|➡️?|—>|-->)\s*"),
        baseline_lead=re.compile(
            rf"{baseline}\s*(?:is|are|at|of|about|around|approx\.?|roughly|~|:|=)?\s*$",
            re.IGNORECASE,
        ),
        target_lead=re.compile(rf"{target}\s*(?:of|about|around|~|:)?\s*$", re.IGNORECASE),
        multiplier=re.compile(multipliers, re.IGNORECASE),
        times=re.compile(r"(?<![\w.])(?P<n>\d+(?:\.\d+)?)\s*(?:x|times)(?![\w])", re.IGNORECASE),
        percent_change=re.compile(
            r"\s*(?P<dir>more|higher|up|increase|growth|extra|bigger|less|fewer|lower|down|"
            r"decrease|reduction|drop|smaller)(?![\w])",
            re.IGNORECASE,
        ),
        by_change=re.compile(r"(?<![\w])by\s*$", re.IGNORECASE),
        decrease=re.compile(decrease, re.IGNORECASE),
        rate=re.compile(
            r"(?:(?<![\w])(?P<lead>within|in|for|over|after|under|inside)\s+)?"
            r"(?:(?<![\w])(?:a|an|per|each|every)\s+|/\s*)(?P<unit>day|week|month|quarter|year)(?![\w])"
            r"|(?<![\w])(?P<adj>daily|weekly|monthly|quarterly|yearly|annually)(?![\w])",
            re.IGNORECASE,
        ),
        time_unit_after=re.compile(
            r"\s*(?P<unit>h|hrs?|hours?|mins?|minutes?|secs?|seconds?|days?|weeks?)(?![\w])",
            re.IGNORECASE,
        ),
        growth_lead=re.compile(r"^\s*" + compiled_phrases(w.growth_verbs).pattern + r"\s*", re.IGNORECASE),
        filler_lead=re.compile(r"^\s*" + compiled_phrases(w.filler).pattern + r"\s*", re.IGNORECASE),
        action_lead=re.compile(
            r"^\s*(?P<verb>" + compiled_phrases(tuple(w.action_verbs)).pattern + r")(?:\s+to)?\s+",
            re.IGNORECASE,
        ),
        qualifier=re.compile(
            r"\s(?:within|in|under|on|via|through|from|per|each|every|for|at|during|across|over)\s",
            re.IGNORECASE,
        ),
        cleanup=re.compile(
            r"\(\s*[^()\w]*\s*\)|\[\s*\]|(?<![\w])(?:from|to|of|now|currently|by|up|at|about|around|"
            r"approx|roughly|reach|hit|than|->|→|=>)(?=\s*(?:[,.;:)]|$))|[~≈]",
            re.IGNORECASE,
        ),
        dangling=re.compile(
            r"(?:\s+(?:of|to|from|by|and|or|the|a|an|with|for|at|per|in|on|up|now|than|is|are|"
            r"currently|about|around|we|i|our|my|more|less))+\s*$",
            re.IGNORECASE,
        ),
    )


def _before(text: str, q: Quantity, regex: re.Pattern[str]) -> bool:
    return regex.search(text, max(0, q.start - 40), q.start) is not None


def _rate(text: str) -> str | None:
    for m in _regexes().rate.finditer(text):
        if m.group("lead"):
            continue  # "within a day" is how fast, not how often
        unit = m.group("unit")
        if unit:
            return f"per {unit.lower()}"
        adj = m.group("adj").lower()
        return "per " + {
            "daily": "day",
            "weekly": "week",
            "monthly": "month",
            "quarterly": "quarter",
        }.get(adj, "year")
    return None


@dataclass(slots=True)
class _Numbers:
    baseline: Quantity | None = None
    target: Quantity | None = None
    target_value: float | None = None
    used: tuple[Quantity, ...] = ()


def _read_numbers(text: str, everything: list[Quantity], timed: dict[int, str]) -> _Numbers:
    """Assign numbers to baseline and target; ``timed`` numbers ("within 24 hours") only
    count inside an explicit "from X to Y" or "X -> Y"."""
    rx = _regexes()
    out = _Numbers()
    used: list[Quantity] = []
    quantities = everything
    # "from X to Y"
    for m in rx.from_to.finditer(text):
        a = [q for q in quantities if m.start() < q.start < m.end() - 1]
        b = [q for q in quantities if q.start >= m.end() and not text[m.end() : q.start].strip(" $€£~")]
        if a and b:
            out.baseline, out.target = a[-1], b[0]
            used += [a[-1], b[0]]
            break
    # "X -> Y"
    if out.target is None:
        for left, right in itertools.pairwise(quantities):
            if rx.arrow.fullmatch(text[left.end : right.start]):
                out.baseline, out.target = left, right
                used += [left, right]
                break
    quantities = [q for q in everything if q.start not in timed or q in used]
    # "now X", "(currently X)", "up from X"
    if out.baseline is None:
        for q in quantities:
            if q not in used and _before(text, q, rx.baseline_lead):
                out.baseline = q
                used.append(q)
                break
    # "reach Y", "get to Y"
    if out.target is None:
        for q in quantities:
            if q not in used and _before(text, q, rx.target_lead):
                out.target = q
                used.append(q)
                break
    base = out.baseline.value if out.baseline else None
    if out.target is None:
        # "double", "3x", "20% more", "by 20%"
        mult = rx.multiplier.search(text)
        used_starts = {q.start for q in used}
        times = next((m for m in rx.times.finditer(text) if m.start() not in used_starts), None)
        change = None
        for q in quantities:
            if q in used or q.unit != "%":
                continue
            after = rx.percent_change.match(text, q.end)
            if after is not None or _before(text, q, rx.by_change):
                change = (q, after)
                break
        if mult is not None:
            factor = words().multipliers[" ".join(mult.group(0).lower().split())]
            out.target_value = base * factor if base is not None else None
        elif times is not None:
            factor = float(times.group("n"))
            used += [q for q in quantities if q.start == times.start()]
            out.target_value = base * factor if base is not None else None
        elif change is not None:
            q, after = change
            used.append(q)
            down = (
                after is not None
                and after.group("dir").lower()
                in ("less", "fewer", "lower", "down", "decrease", "reduction", "drop", "smaller")
            ) or rx.decrease.search(text[: q.start]) is not None
            if base is not None:
                share = q.value / 100.0
                out.target_value = base * (1 - share if down else 1 + share)
        else:
            rest = [q for q in quantities if q not in used]
            if rest:
                out.target = rest[0]
                used.append(rest[0])
    if out.target is not None:
        out.target_value = out.target.value
    out.used = tuple(used)
    return out


def _metric(text: str, spans: list[tuple[int, int]]) -> str | None:
    """A short name for what is measured, made from the words left once numbers, the
    deadline and cue words are gone ("Grow newsletter sales from 20 to 50" -> "newsletter
    sales"; "Answer 90% of support questions" -> "support questions answered")."""
    rx = _regexes()
    w = words()
    work = text
    for start, end in sorted(spans, reverse=True):
        work = blank(work, start, end)
    # Drop "(currently 200)"-style asides once their numbers are gone.
    work = _ASIDE_RE.sub(lambda m: m.group(0) if _WORDY_RE.search(_strip_cues(m.group(1))) else " ", work)
    work = _strip_cues(work)
    work = re.sub(r"\s+", " ", work).strip(" ,.;:!?-–—")
    for _ in range(4):
        m = rx.filler_lead.match(work)
        if m is None or m.end() == 0:
            break
        work = work[m.end() :]
    participle = None
    action = rx.action_lead.match(work)
    if action is not None:
        verb = " ".join(action.group("verb").lower().split())
        participle = w.action_verbs.get(verb)
        work = work[action.end() :]
    else:
        for _ in range(3):
            g = rx.growth_lead.match(work)
            if g is None or g.end() == 0:
                break
            work = work[g.end() :]
    for _ in range(4):
        m = rx.filler_lead.match(work)
        if m is None or m.end() == 0:
            break
        work = work[m.end() :]
    work = work.strip(" ,.;:!?-–—")
    if participle:
        q = rx.qualifier.search(" " + work, 1)
        if q is not None:
            cut = max(0, q.start() - 1)
            work = f"{work[:cut].rstrip()} {participle} {work[cut:].strip()}"
        else:
            work = f"{work} {participle}"
    work = rx.dangling.sub("", " " + work).strip(" ,.;:!?-–—")
    work = re.sub(r"\s+", " ", work)
    if not work or not re.search(r"[^\W\d_]", work):
        return None
    if len(work) > _MAX_METRIC:
        work = work[:_MAX_METRIC].rsplit(" ", 1)[0]
    return work


def _strip_cues(text: str) -> str:
    rx = _regexes()
    previous = None
    for _ in range(3):  # cue words can hide behind each other; a few passes suffice
        if previous == text:
            break
        previous = text
        text = rx.cleanup.sub(" ", text)
        text = re.sub(
            r"(?<![\w])(?:now|currently|today|at the moment|up from|from|to|->|→|=>|more|less|"
            r"fewer|by|times|x|about|around|roughly|approx)(?:\s+(?:about|around|roughly))?\s*"
            r"(?=\W*$|\s*[,;)])",
            " ",
            text,
            flags=re.IGNORECASE,
        )
    return text


def _description(text: str) -> str:
    line = one_line(text)
    if len(line) <= _MAX_DESCRIPTION:
        return line
    return line[: _MAX_DESCRIPTION - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def parse_objective(text: str, *, now: datetime, knowledge: Knowledge) -> ObjectiveDraft:
    """Read one objective; fields that are not in the text stay None. Never raises."""
    description = _description(text or "")
    source = mask(text[:_MAX_READ]) if text else ""
    if not source.strip():
        return ObjectiveDraft(description, None, None, None, None, None, None, None)
    mention = detect_job(source, knowledge)
    found = find_deadline(source, now=now)
    deadline = found[0] if found else None
    work = blank(source, found[1], found[2]) if found else source
    # Same spans as ``find_deadline`` just computed (cached), so dates are read once.
    quantities = find_quantities(work, exclude=date_spans(source))
    timed: dict[int, str] = {}
    timed_end: dict[int, int] = {}
    for q in quantities:
        after = _regexes().time_unit_after.match(work, q.end)
        if after is not None and q.unit is None:
            timed[q.start] = _TIME_UNITS.get(after.group("unit").lower().rstrip("s"), "hours")
            timed_end[q.start] = after.end()
    numbers = _read_numbers(work, quantities, timed)
    unit: str | None = None
    if (
        numbers.baseline is not None
        and numbers.target is not None
        and timed.get(numbers.baseline.start) is not None
        and timed.get(numbers.baseline.start) == timed.get(numbers.target.start)
    ):
        unit = timed[numbers.baseline.start]
    for candidate in (numbers.target, numbers.baseline):
        if unit is None and candidate is not None and candidate.unit is not None:
            unit = candidate.unit
    if unit is None and numbers.target_value is not None and numbers.baseline is not None:
        unit = numbers.baseline.unit
    if unit is None:
        unit = _rate(work)
    spans = [(q.start, timed_end.get(q.start, q.end)) for q in numbers.used]
    spans += [(q.start, q.end) for q in quantities if q not in numbers.used and q.start not in timed]
    rate_spans = [(m.start(), m.end()) for m in _regexes().rate.finditer(work) if not m.group("lead")]
    mult = _regexes().multiplier.search(work)
    times = _regexes().times.search(work)
    extra = [(m.start(), m.end()) for m in (mult, times) if m is not None]
    metric = _metric(work, spans + rate_spans + extra)
    target = numbers.target_value
    if target is not None and not math.isfinite(target):
        target = None
    return ObjectiveDraft(
        description=description,
        job=mention.job if mention else None,
        job_wording=mention.wording if mention else None,
        metric=metric,
        baseline=numbers.baseline.value if numbers.baseline else None,
        target=round(target, 6) if target is not None else None,
        unit=unit,
        deadline=deadline,
    )
