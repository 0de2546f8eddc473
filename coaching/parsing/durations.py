"""Time budgets in free text, always converted to hours per week.

The coach checks that tactic hours fit the weekly budget, so every way of saying time
("30 min a day", "2-3 hours a week", "an hour and a half") must land on one scale.
Conventions, all editable in words.toml ``[time]``:

* "a day"/"daily" means working days: ``days_per_week_for_daily`` (5) per week.
* "one day a week" is a working day of ``hours_per_workday`` (8) hours.
* A range ("2-3 hours") counts its upper end: budgets are checked against the worst case.
* An amount with no period ("2 hours") is per week, since that is what the coach asks.
* "within an hour" or "in 2 hours" is a response time, not a budget, and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from coaching.parsing import _wordnum
from coaching.parsing._data import Words, words
from coaching.parsing._text import mask, normalize
from coaching.parsing.numbers import find_quantities

__all__ = ["find_duration", "parse_hours_per_week"]


def _alt(items: tuple[str, ...]) -> str:
    ordered = sorted(set(items), key=lambda s: (-len(s), s))
    return "|".join(r"\s+".join(map(re.escape, i.split())) for i in ordered)


@dataclass(frozen=True, slots=True)
class _Regexes:
    duration: re.Pattern[str]
    not_budget: re.Pattern[str]
    bare_number: re.Pattern[str]


@cache
def _regexes() -> _Regexes:
    w = words()
    hours = _alt(w.hour_words)
    minutes = _alt(w.minute_words)
    days = _alt(w.day_words)
    periods = _alt(tuple(p for group in w.periods.values() for p in group))
    num = rf"(?:\d+(?:[.,]\d+)?|{_wordnum.run_pattern()}|an?|one)"
    duration = re.compile(
        r"(?<![\w.])(?:(?P<half>half\s+(?:an?\s+)?|a\s+half\s+)"
        rf"|(?P<n>{num})(?:\s*(?:-|–|—|to|or)\s*(?P<hi>{num}))?\s*)"
        rf"(?:(?P<hour>{hours})|(?P<minute>{minutes})|(?P<day>{days}))(?![a-z])"
        r"(?:(?P<andhalf>\s+and\s+a\s+half)"
        rf"|(?<=h)(?P<mins>\d{{1,2}})(?:\s*(?:{minutes}))?(?![\w])"
        rf"|\s*(?:and\s+)?(?P<mins2>\d{{1,2}})\s*(?:{minutes})(?![\w]))?"
        r"(?:\s*(?:/|a|an|per|each|every|in\s+an?|on\s+an?)?\s*"
        rf"(?P<period>{periods})(?![a-z]))?",
        re.IGNORECASE,
    )
    not_budget = re.compile(
        r"(?<![a-z])(?:within|under|inside|after|in|in\s+less\s+than|in\s+under|less\s+than)\s*$",
        re.IGNORECASE,
    )
    approx = _alt(w.approximately)
    bare_number = re.compile(
        rf"^\s*(?:(?:{approx})\s*)?[\d.,\s\-–]*(?:h|hrs?|hours?)?\s*\??\s*$", re.IGNORECASE
    )
    return _Regexes(duration=duration, not_budget=not_budget, bare_number=bare_number)


def _amount(raw: str | None) -> float | None:
    if raw is None:
        return None
    lowered = raw.strip().lower()
    if lowered in ("a", "an", "one"):
        return 1.0
    try:
        return float(lowered.replace(",", "."))
    except ValueError:
        return _wordnum.value_of(lowered)


def _period_name(period: str | None, w: Words) -> str:
    if period is None:
        return "week"
    key = " ".join(period.lower().split())
    return next((name for name, phrases in w.periods.items() if key in phrases), "week")


def _per_week(period: str | None, w: Words) -> float:
    return {
        "week": 1.0,
        "day": w.days_per_week_for_daily,
        "fortnight": 0.5,
        "month": 1.0 / w.weeks_per_month,
        "year": 1.0 / 52.0,
    }[_period_name(period, w)]


def _hours(m: re.Match[str], w: Words) -> float | None:
    period = m.group("period")
    if m.group("half"):
        amount = 0.5
    else:
        read = _amount(m.group("hi")) or _amount(m.group("n"))
        if read is None:
            return None
        amount = read
    if m.group("andhalf"):
        amount += 0.5
    if m.group("hour"):
        mins = m.group("mins") or m.group("mins2")
        unit_hours = amount + (int(mins) / 60.0 if mins else 0.0)
    elif m.group("minute"):
        unit_hours = amount / 60.0
    else:
        # "a day" alone is a frequency, not an amount; only "2 days a week" is time spent.
        if m.group("n") is None or m.group("n").strip().lower() in ("a", "an"):
            return None
        if period is None or _period_name(period, w) == "day":
            return None
        unit_hours = amount * w.hours_per_workday
    return unit_hours * _per_week(period, w)


def find_duration(text: str) -> tuple[float, int, int] | None:
    """The first time budget in the text as hours per week, with its span.

    The span lets tactic parsing cut "2h a week" out of "X for support 2h a week".
    """
    if not text:
        return None
    w = words()
    rx = _regexes()
    masked = mask(text)
    for m in rx.duration.finditer(masked):
        if rx.not_budget.search(masked, max(0, m.start() - 20), m.start()):
            continue
        hours = _hours(m, w)
        if hours is not None and hours >= 0:
            return round(hours, 4), m.start(), m.end()
    return None


def parse_hours_per_week(text: str) -> float | None:
    """Hours per week from an answer to "how much time can you give this?".

    A bare number ("3", "about 3") is taken as hours per week; "none" or "0" is zero.
    """
    if not text:
        return None
    w = words()
    if normalize(text) in w.no_time:
        return 0.0
    found = find_duration(text)
    if found is not None:
        return found[0]
    if len(text) <= 40 and _regexes().bare_number.match(mask(text)):
        quantities = find_quantities(text, exclude=())
        if quantities:
            return max(q.value for q in quantities)
    return None
