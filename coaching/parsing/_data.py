"""The editable word lists behind the parsers, read once from ``content/words.toml``.

Marketers tune what the coach understands (aliases, yes/no words, stage words, ...)
without touching code, so every list the parsers use comes through here. The file
is read on first use and kept for the life of the process: parsing must never touch
the disk on a hot path.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from coaching.knowledge import Knowledge


def _strs(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"words.toml: {key!r} must be a list of strings")
    return tuple(v.lower() for v in value)


def _nums(table: Mapping[str, Any], key: str) -> dict[str, float]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"words.toml: {key!r} must be a table of numbers")
    out: dict[str, float] = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"words.toml: {key}.{k} must be a number")
        out[str(k).lower()] = float(v)
    return out


def _codes(table: Mapping[str, Any], key: str) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"words.toml: {key!r} must be a table of strings")
    return {str(k): str(v) for k, v in value.items()}


def _section(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"words.toml: [{key}] must be a table")
    return value


@dataclass(frozen=True, slots=True)
class Words:
    """Every word list, already lower-cased and validated, so parsers can trust it."""

    # numbers
    units: Mapping[str, float]
    tens: Mapping[str, float]
    scales: Mapping[str, float]
    counts: Mapping[str, float]
    suffixes: Mapping[str, float]
    percent_words: tuple[str, ...]
    zero_answers: tuple[str, ...]
    # currency
    currency_symbols: Mapping[str, str]
    currency_codes: tuple[str, ...]
    currency_words: Mapping[str, str]
    # time
    days_per_week_for_daily: float
    hours_per_workday: float
    weeks_per_month: float
    hour_words: tuple[str, ...]
    minute_words: tuple[str, ...]
    day_words: tuple[str, ...]
    periods: Mapping[str, tuple[str, ...]]
    no_time: tuple[str, ...]
    # dates
    numeric_date_order: str
    months: Mapping[str, int]
    ambiguous_months: tuple[str, ...]
    seasons: Mapping[str, tuple[int, int]]
    ambiguous_seasons: tuple[str, ...]
    holidays: Mapping[str, tuple[int, int]]
    # answers
    yes: tuple[str, ...]
    somewhat: tuple[str, ...]
    no: tuple[str, ...]
    unclear: tuple[str, ...]
    small_talk: tuple[str, ...]
    nothing: tuple[str, ...]
    stages: Mapping[str, tuple[str, ...]]
    vague_audience: tuple[str, ...]
    audience_heads: tuple[str, ...]
    audience_generic: tuple[str, ...]
    # channels and jobs
    channel_lead_words: tuple[str, ...]
    channel_threshold: float
    job_fuzzy_min_length: int
    job_not_typos: tuple[str, ...]
    # tactics
    nothing_words: tuple[str, ...]
    hypothetical: tuple[str, ...]
    negations: tuple[str, ...]
    ignore: tuple[str, ...]
    # objectives
    baseline_markers: tuple[str, ...]
    target_markers: tuple[str, ...]
    multipliers: Mapping[str, float]
    decrease_words: tuple[str, ...]
    growth_verbs: tuple[str, ...]
    action_verbs: Mapping[str, str]
    filler: tuple[str, ...]
    approximately: tuple[str, ...]


def _month_day(key: str, value: object) -> tuple[int, int]:
    if not isinstance(value, str) or len(value.split("-")) != 2:
        raise ValueError(f"words.toml: holiday {key!r} must be 'MM-DD'")
    month, day = (int(p) for p in value.split("-"))
    return month, day


def parse_words(raw: Mapping[str, Any]) -> Words:
    """Validate the raw TOML so a typo in the file fails loudly at start-up, not mid-chat."""
    numbers = _section(raw, "numbers")
    currency = _section(raw, "currency")
    time = _section(raw, "time")
    dates = _section(raw, "dates")
    answers = _section(raw, "answers")
    stages = _section(raw, "stages")
    audience = _section(raw, "audience")
    channels = _section(raw, "channels")
    jobs = _section(raw, "jobs")
    tactics = _section(raw, "tactics")
    objectives = _section(raw, "objectives")
    seasons_raw = dates.get("seasons", {})
    seasons = {
        str(k).lower(): (int(v[0]), int(v[1]))
        for k, v in seasons_raw.items()
        if isinstance(v, list) and len(v) == 2
    }
    order = str(dates.get("numeric_date_order", "DMY")).upper()
    if order not in ("DMY", "MDY"):
        raise ValueError("words.toml: numeric_date_order must be 'DMY' or 'MDY'")
    return Words(
        units=_nums(numbers, "units"),
        tens=_nums(numbers, "tens"),
        scales=_nums(numbers, "scales"),
        counts=_nums(numbers, "counts"),
        suffixes=_nums(numbers, "suffixes"),
        percent_words=_strs(numbers, "percent_words"),
        zero_answers=_strs(numbers, "zero_answers"),
        currency_symbols=_codes(currency, "symbols"),
        currency_codes=_strs(currency, "codes"),
        currency_words={k.lower(): v for k, v in _codes(currency, "words").items()},
        days_per_week_for_daily=float(time.get("days_per_week_for_daily", 5)),
        hours_per_workday=float(time.get("hours_per_workday", 8)),
        weeks_per_month=float(time.get("weeks_per_month", 4.345)),
        hour_words=_strs(time, "hour_words"),
        minute_words=_strs(time, "minute_words"),
        day_words=_strs(time, "day_words"),
        periods={
            name: _strs(time, f"period_{name}") for name in ("week", "day", "fortnight", "month", "year")
        },
        no_time=_strs(time, "no_time"),
        numeric_date_order=order,
        months={k: int(v) for k, v in _nums(dates, "months").items()},
        ambiguous_months=_strs(dates, "ambiguous_months"),
        seasons=seasons,
        ambiguous_seasons=_strs(dates, "ambiguous_seasons"),
        holidays={str(k).lower(): _month_day(str(k), v) for k, v in dates.get("holidays", {}).items()},
        yes=_strs(answers, "yes"),
        somewhat=_strs(answers, "somewhat"),
        no=_strs(answers, "no"),
        unclear=_strs(answers, "unclear"),
        small_talk=_strs(answers, "small_talk"),
        nothing=_strs(answers, "nothing"),
        stages={name: _strs(stages, name) for name in ("listen", "participate", "lead")},
        vague_audience=_strs(audience, "vague"),
        audience_heads=_strs(audience, "heads"),
        audience_generic=_strs(audience, "generic"),
        channel_lead_words=_strs(channels, "lead_words"),
        channel_threshold=float(channels.get("match_threshold", 85)),
        job_fuzzy_min_length=int(jobs.get("fuzzy_min_length", 6)),
        job_not_typos=_strs(jobs, "not_typos"),
        nothing_words=_strs(tactics, "nothing_words"),
        hypothetical=_strs(tactics, "hypothetical"),
        negations=_strs(tactics, "negations"),
        ignore=_strs(tactics, "ignore"),
        baseline_markers=_strs(objectives, "baseline_markers"),
        target_markers=_strs(objectives, "target_markers"),
        multipliers=_nums(objectives, "multipliers"),
        decrease_words=_strs(objectives, "decrease_words"),
        growth_verbs=_strs(objectives, "growth_verbs"),
        action_verbs={k.lower(): v for k, v in _codes(objectives, "action_verbs").items()},
        filler=_strs(objectives, "filler"),
        approximately=_strs(objectives, "approximately"),
    )


@cache
def words() -> Words:
    """The packaged word lists; read once because every parser call needs them."""
    content = resources.files("coaching") / "content"
    return parse_words(tomllib.loads((content / "words.toml").read_text("utf-8")))


_T = TypeVar("_T")


def per_knowledge(build: Callable[[Knowledge], _T]) -> Callable[[Knowledge], _T]:
    """Cache an index built from a Knowledge value.

    Knowledge holds dicts, so it cannot be a ``functools.cache`` key; it is immutable in
    practice, so identity is a safe key. The cache stays tiny: a process normally holds
    one Knowledge (tests may build a few).
    """
    store: dict[int, tuple[Knowledge, _T]] = {}

    def cached(knowledge: Knowledge) -> _T:
        hit = store.get(id(knowledge))
        if hit is not None and hit[0] is knowledge:
            return hit[1]
        built = build(knowledge)
        if len(store) >= 16:
            store.clear()
        store[id(knowledge)] = (knowledge, built)
        return built

    return cached
