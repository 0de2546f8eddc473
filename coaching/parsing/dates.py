"""Deadlines in free text: "by March", "end of Q2", "in 3 months", "2027-06-30".

Rules (all relative to ``now``; a deadline is never in the past):

* A period without a day means the END of that period: "by March" is 31 March,
  "Q2" is 30 June, "next year" is 31 December of next year, "this month" is its last day.
* A period with no year is the next one that has not ended yet: in late November
  "by March" is next March, "by Christmas" is this Christmas.
* "before X" is the day before X starts ("before March" is the last day of February);
  "start of X" is its first day; "mid X" its middle; "end of X" its last day.
* Seasons are northern-hemisphere meteorological seasons (words.toml); "by summer"
  means by the end of its first month (30 June), "end of summer" its last (31 August).
* "in N days/weeks/months/years" adds calendar units with ``relativedelta``; a month
  that is too short clips to its last day (29 November + 3 months = 28 February).
  "within" and "over the next" read the same way. A quarter is three months.
* A relative span shorter than a week ("within a day") is read as part of the goal
  (a response time), not as its deadline; an explicit date wins over a relative one.
* Weeks end on Sunday ("end of next week").
* An explicit date already in the past gives no deadline (None): the coach asks again.
* Numeric dates like 03/04/2027 follow ``numeric_date_order`` in words.toml (DMY by
  default) unless one part is above 12.

Common shapes are resolved directly with ``datetime.date`` and ``relativedelta``: that
is exact and costs microseconds, whereas ``dateparser`` costs 0.4-0.9 ms a call (and
100 ms on first use). ``dateparser`` handles the remaining cue phrases, such as "by
Friday" or "by the 15th", and only the phrase after the cue is handed to it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

from dateutil.relativedelta import SU, relativedelta

from coaching.parsing import _wordnum
from coaching.parsing._data import Words, words
from coaching.parsing._text import mask

__all__ = ["date_spans", "find_deadline", "parse_deadline", "parse_pause_end"]

_MAX_YEARS_AHEAD = 100
_UNTIL_RE = re.compile(r"^\s*(?:until|till|til)\b\s*", re.IGNORECASE)
_FOR_RE = re.compile(r"^\s*for\b\s*", re.IGNORECASE)
_TOKENS_RE = re.compile(r"[^\W_]+")
_DIGIT_RE = re.compile(r"\d")
# "within a day" or "in 2 days" is how fast something happens, not when a goal is due.
_MIN_RELATIVE_DAYS = 7


@dataclass(frozen=True, slots=True)
class _Period:
    """A span of days; ``default`` is what a bare mention ("by summer") resolves to."""

    first: date
    last: date
    default: date


@dataclass(frozen=True, slots=True)
class _Prefix:
    start: int
    cue: str | None
    position: str | None


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    kind: str
    match: re.Match[str]
    prefix: _Prefix


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_period(year: int, month: int) -> _Period:
    end = _month_end(year, month)
    return _Period(date(year, month, 1), end, end)


def _quarter_period(year: int, quarter: int) -> _Period:
    first = date(year, 3 * quarter - 2, 1)
    last = _month_end(year, 3 * quarter)
    return _Period(first, last, last)


def _year_period(year: int) -> _Period:
    return _Period(date(year, 1, 1), date(year, 12, 31), date(year, 12, 31))


def _day_period(day: date) -> _Period:
    return _Period(day, day, day)


def _pick(period: _Period, mode: str) -> date:
    if mode == "end":
        return period.last
    if mode == "start":
        return period.first
    if mode == "before":
        return period.first - timedelta(days=1)
    if mode == "middle":
        return period.first + (period.last - period.first) / 2
    return period.default


def _mode(prefix: _Prefix) -> str:
    if prefix.position in ("end", "close"):
        return "end"
    if prefix.position in ("start", "beginning"):
        return "start"
    if prefix.position in ("middle", "mid"):
        return "middle"
    if prefix.cue in ("before", "prior to", "ahead of"):
        return "before"
    return "by"


def _roll(make: Callable[[int], _Period], mode: str, today: date) -> date | None:
    """The next occurrence whose deadline has not passed: this year's, else next year's."""
    # Usually this year or next; 29 February may need a few more.
    for year in range(today.year, today.year + 9):
        try:
            chosen = _pick(make(year), mode)
        except ValueError:
            continue
        if chosen >= today:
            return chosen
    return None


# ---------------------------------------------------------------- patterns


def _alt(names: Iterable[str]) -> str:
    items = sorted(set(names), key=lambda s: (-len(s), s))
    return "|".join(r"[\s\-]+".join(map(re.escape, i.split())) for i in items)


@dataclass(frozen=True, slots=True)
class _Patterns:
    prefix: re.Pattern[str]
    kinds: tuple[tuple[str, re.Pattern[str]], ...]
    fallback: re.Pattern[str]
    # Words one of which must be present for a pattern to be worth running; the big
    # alternations are costly to try at every position of every message.
    triggers: dict[str, frozenset[str]]


_CUES = (
    "by|before|until|till|til|due|due by|due on|no later than|in time for|on|for|around|"
    "ahead of|prior to|latest by|at the latest by|in|during|through|thru|within|at"
)


@cache
def _patterns() -> _Patterns:
    w = words()
    months = _alt(w.months)
    seasons = _alt(w.seasons)
    holidays = _alt(w.holidays)
    num = rf"(?:\d{{1,4}}(?:\.\d+)?|{_wordnum.run_pattern()}|a|an|one)"
    units = r"(?:days?|weeks?|fortnights?|months?|quarters?|years?)"
    year = r"(?:(?:of\s+)?(?:'(?P<yy>\d{2})|(?P<year>(?:19|20|21)\d{2})))"
    prefix = re.compile(
        rf"(?:(?<![\w])(?P<cue>{_CUES})\s+)?"
        r"(?:(?:the\s+)?(?P<pos>end|start|beginning|middle|close)\s+of\s+|(?P<mid>mid)[\s\-]?)?"
        r"(?:the\s+)?$",
        re.IGNORECASE,
    )
    kinds: list[tuple[str, re.Pattern[str]]] = [
        ("iso", re.compile(r"(?<![\d/.\-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.\-]*\d)")),
        (
            "numeric",
            re.compile(r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?![\d/.\-]*\d)"),
        ),
        (
            "month_day",
            re.compile(
                rf"(?<![\w])(?P<month>{months})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
                rf"(?:,?\s+{year})?(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "day_month",
            re.compile(
                rf"(?<![\w.])(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{months})"
                rf"(?![\w])\.?(?:,?\s+{year})?(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "month",
            re.compile(
                rf"(?<![\w])(?:(?P<rel>next|this|coming)\s+)?(?P<month>{months})(?![\w])\.?"
                rf"(?:,?\s+{year})?(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "quarter",
            re.compile(
                r"(?<![\w])(?:(?P<rel>next|this|coming)\s+)?(?:q(?P<q>[1-4])|(?P<qn>[1-4])(?:st|nd|rd|th)\s+quarter"
                r"|(?P<qw>first|second|third|fourth|last)\s+quarter)"
                rf"(?:[\s/\-]*{year})?(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "half",
            re.compile(
                r"(?<![\w])(?:h(?P<h>[12])|(?P<hw>first|second)\s+half(?:\s+of\s+(?:the\s+)?year)?)"
                rf"(?:[\s/\-]*{year})?(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "relative",
            re.compile(
                r"(?<![\w])(?:(?P<lead>in|within|inside(?:\s+of)?|over(?:\s+the\s+next)?|"
                r"in\s+the\s+next|during\s+the\s+next|for\s+the\s+next|in\s+another|after)\s+"
                rf"(?P<n>{num})\s+(?P<unit>{units})"
                r"|(?P<n2>" + num + r")\s+(?P<unit2>" + units + r")\s+(?:from\s+(?:now|today)|time))"
                r"(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "named",
            re.compile(
                r"(?<![\w])(?:(?P<rel>this|the|current|next|coming|following)\s+"
                r"(?P<unit>week|month|quarter|year)"
                r"|(?P<tag>eoy|eom|eoq|eow|year[\s\-]end|month[\s\-]end|quarter[\s\-]end|"
                r"end\s+of\s+(?:the\s+)?(?:week|month|quarter|year)))(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "season",
            re.compile(
                rf"(?<![\w])(?:(?P<rel>next|this|coming)\s+)?(?P<season>{seasons})(?![\w])"
                rf"(?:\s+{year})?(?![\w])",
                re.IGNORECASE,
            ),
        ),
        (
            "holiday",
            re.compile(
                rf"(?<![\w])(?:(?P<rel>next|this)\s+)?(?P<holiday>{holidays})(?![\w])"
                rf"(?:\s+{year})?(?![\w])",
                re.IGNORECASE,
            ),
        ),
        ("year", re.compile(r"(?<![\w.\-/])(?P<year>(?:19|20|21)\d{2})(?![\w.\-/])")),
    ]
    weekdays = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|thurs|tues|fri|wed"
    fallback = re.compile(
        r"(?<![\w])(?P<cue>by|before|until|till|due(?:\s+by)?|no\s+later\s+than|on)\s+"
        r"(?P<phrase>(?:next\s+|this\s+|the\s+)?"
        rf"(?:{weekdays}|tomorrow|tonight|the\s+weekend|\d{{1,2}}(?:st|nd|rd|th))"
        r"(?:\s+(?:of\s+)?(?:next|this|the)\s+(?:week|month))?)(?![\w])",
        re.IGNORECASE,
    )
    units_words = frozenset(
        {"day", "days", "week", "weeks", "fortnight", "fortnights", "month", "months"}
        | {"quarter", "quarters", "year", "years"}
    )
    triggers = {
        "month_day": frozenset(w.months),
        "day_month": frozenset(w.months),
        "month": frozenset(w.months),
        "quarter": frozenset({"q1", "q2", "q3", "q4", "quarter"}),
        "half": frozenset({"h1", "h2", "half"}),
        "relative": units_words,
        "named": units_words | {"eoy", "eom", "eoq", "eow", "end"},
        "season": frozenset(w.seasons),
        "holiday": frozenset(_TOKENS_RE.findall(h)[0] for h in w.holidays),
        "fallback": frozenset({"by", "before", "until", "till", "due", "no", "on"}),
    }
    return _Patterns(prefix=prefix, kinds=tuple(kinds), fallback=fallback, triggers=triggers)


_DIGIT_KINDS = frozenset({"iso", "numeric", "year"})


def _prefix_before(text: str, start: int) -> _Prefix:
    window_start = max(0, start - 48)
    m = _patterns().prefix.search(text, window_start, start)
    if m is None or m.start() == m.end():
        return _Prefix(start, None, None)
    cue = m.group("cue")
    pos = m.group("pos") or ("mid" if m.group("mid") else None)
    return _Prefix(
        m.start(),
        " ".join(cue.lower().split()) if cue else None,
        pos.lower() if pos else None,
    )


def _acceptable(kind: str, m: re.Match[str], prefix: _Prefix, text: str, w: Words) -> bool:
    """Reject readings that are more likely ordinary words ("I may", "sales fall")."""
    cue = prefix.cue is not None or prefix.position is not None
    if kind == "month":
        name = m.group("month")
        if name.lower() in w.ambiguous_months:
            has_year = bool(m.group("year") or m.group("yy"))
            if not (cue or has_year or m.group("rel") or name[:1].isupper()):
                return False
        return True
    if kind == "season":
        if m.group("season").lower() in w.ambiguous_seasons:
            return bool(cue or m.group("rel") or m.group("year"))
        return True
    if kind == "year":
        return prefix.cue is not None and prefix.cue not in ("on", "for", "at", "around")
    if kind == "relative":
        return True
    if kind == "named" and m.group("rel") and m.group("rel").lower() == "the":
        return prefix.position is not None or prefix.cue in ("by", "until", "till", "before")
    if kind == "half" and m.group("h"):
        return cue or bool(m.group("year"))
    return True


@lru_cache(maxsize=128)
def _candidates(text: str) -> tuple[_Candidate, ...]:
    """Every date-like phrase, earliest first, overlaps resolved in favour of the longest."""
    w = words()
    pats = _patterns()
    tokens = set(_TOKENS_RE.findall(text.lower()))
    has_digit = _DIGIT_RE.search(text) is not None
    found: list[_Candidate] = []
    for kind, regex in pats.kinds:
        if kind in _DIGIT_KINDS:
            if not has_digit:
                continue
        elif tokens.isdisjoint(pats.triggers[kind]):
            continue
        for m in regex.finditer(text):
            prefix = _prefix_before(text, m.start())
            if _acceptable(kind, m, prefix, text, w):
                found.append(_Candidate(prefix.start, m.end(), kind, m, prefix))
    fallback = () if tokens.isdisjoint(pats.triggers["fallback"]) else pats.fallback.finditer(text)
    for m in fallback:
        prefix = _Prefix(m.start(), m.group("cue").lower(), None)
        found.append(_Candidate(m.start(), m.end(), "fallback", m, prefix))
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    chosen: list[_Candidate] = []
    for cand in found:
        if chosen and cand.start < chosen[-1].end:
            continue
        chosen.append(cand)
    return tuple(chosen)


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where date-like phrases sit, so number parsing can skip the "2027" in "March 2027"."""
    if not text:
        return []
    return [(c.start, c.end) for c in _candidates(mask(text))]


# ---------------------------------------------------------------- resolvers


def _year_of(m: re.Match[str]) -> int | None:
    if m.groupdict().get("year"):
        return int(m.group("year"))
    if m.groupdict().get("yy"):
        return 2000 + int(m.group("yy"))
    return None


def _explicit(day: date, today: date) -> date | None:
    return day if day >= today else None


def _with_year(
    make: Callable[[int], _Period], year: int | None, mode: str, today: date, *, bump: bool
) -> date | None:
    if year is not None:
        try:
            return _explicit(_pick(make(year), mode), today)
        except ValueError:
            return None
    if bump:
        try:
            return _explicit(_pick(make(today.year + 1), mode), today)
        except ValueError:
            return None
    return _roll(make, mode, today)


def _number(raw: str) -> float | None:
    raw = raw.strip().lower()
    if raw in ("a", "an", "one"):
        return 1.0
    try:
        return float(raw)
    except ValueError:
        return _wordnum.value_of(raw)


def _relative(m: re.Match[str], today: date) -> date | None:
    raw_n = m.group("n") or m.group("n2")
    unit = (m.group("unit") or m.group("unit2")).lower().rstrip("s")
    n = _number(raw_n)
    if n is None or n <= 0 or n > 1000:
        return None
    whole = int(n)
    frac = n - whole
    if unit == "day":
        delta = relativedelta(days=round(n))
    elif unit == "week":
        delta = relativedelta(days=round(7 * n))
    elif unit == "fortnight":
        delta = relativedelta(days=round(14 * n))
    elif unit == "month":
        delta = relativedelta(months=whole, days=round(frac * 30))
    elif unit == "quarter":
        delta = relativedelta(months=3 * whole, days=round(frac * 91))
    else:
        delta = relativedelta(years=whole, days=round(frac * 365))
    return today + delta


def _named(m: re.Match[str], mode: str, today: date) -> date | None:
    tag = (m.group("tag") or "").lower()
    rel = (m.group("rel") or "").lower()
    unit = (m.group("unit") or "").lower()
    if tag:
        rel = "this"
        for name in ("week", "month", "quarter", "year"):
            if name in tag:
                unit = name
        unit = unit or {"eoy": "year", "eom": "month", "eoq": "quarter", "eow": "week"}[tag]
        mode = "end"
    step = 1 if rel in ("next", "coming", "following") else 0
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=step)
        period = _Period(monday, monday + timedelta(days=6), monday + timedelta(days=6))
    elif unit == "month":
        first = date(today.year, today.month, 1) + relativedelta(months=step)
        period = _month_period(first.year, first.month)
    elif unit == "quarter":
        index = (today.month - 1) // 3 + step
        period = _quarter_period(today.year + index // 4, index % 4 + 1)
    else:
        period = _year_period(today.year + step)
    chosen = _pick(period, mode)
    return chosen if chosen >= today else None


def _season(m: re.Match[str], mode: str, today: date, w: Words) -> date | None:
    first_month, last_month = w.seasons[" ".join(m.group("season").lower().split())]

    def make(year: int) -> _Period:
        start = date(year, first_month, 1)
        end_year = year + 1 if last_month < first_month else year
        return _Period(start, _month_end(end_year, last_month), _month_end(year, first_month))

    bump = (m.group("rel") or "").lower() == "next"
    return _with_year(make, _year_of(m), mode, today, bump=bump)


@lru_cache(maxsize=512)
def _dateparser(phrase: str, base: date) -> date | None:
    """dateparser is slow (about 0.5 ms); phrases repeat a lot in a chat, so cache them.

    Imported here rather than at the top: it costs 0.1 s of start-up that most runs never need.
    """
    import dateparser

    settings = {
        "RELATIVE_BASE": datetime.combine(base, time(12)),
        "PREFER_DATES_FROM": "future",
        "PREFER_DAY_OF_MONTH": "last",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; a miss is fine
        return None
    return parsed.date() if parsed is not None else None


_ORDINAL_RE = re.compile(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)")


def _fallback_direct(phrase: str, today: date) -> date | None:
    """Shapes dateparser gets wrong: it reads "the 15th" as this month even when passed."""
    if phrase == "the weekend":
        return today + relativedelta(weekday=SU(0))
    m = _ORDINAL_RE.fullmatch(phrase)
    if m is None:
        return None
    day_no = int(m.group(1))
    for step in range(3):
        first = date(today.year, today.month, 1) + relativedelta(months=step)
        if day_no <= calendar.monthrange(first.year, first.month)[1]:
            candidate = first.replace(day=day_no)
            if candidate >= today:
                return candidate
    return None


def _resolve(cand: _Candidate, today: date, w: Words) -> date | None:
    m = cand.match
    mode = _mode(cand.prefix)
    kind = cand.kind
    if kind == "iso":
        try:
            return _explicit(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), today)
        except ValueError:
            return None
    if kind == "numeric":
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        y = y + 2000 if y < 100 else y
        day, month = (a, b) if w.numeric_date_order == "DMY" else (b, a)
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            day, month = b, a
        try:
            return _explicit(date(y, month, day), today)
        except ValueError:
            return None
    if kind in ("month_day", "day_month"):
        month = w.months[m.group("month").lower()]
        day_no = int(m.group("day"))
        return _with_year(
            lambda year: _day_period(date(year, month, day_no)),
            _year_of(m),
            "by" if mode in ("end", "start", "middle") else mode,
            today,
            bump=False,
        )
    if kind == "month":
        month = w.months[m.group("month").lower()]
        bump = (m.group("rel") or "").lower() == "next" and month <= today.month
        return _with_year(lambda year: _month_period(year, month), _year_of(m), mode, today, bump=bump)
    if kind == "quarter":
        words_q = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 4}
        quarter = int(m.group("q") or m.group("qn") or words_q[m.group("qw").lower()])
        bump = (m.group("rel") or "").lower() == "next" and quarter <= (today.month - 1) // 3 + 1
        return _with_year(lambda year: _quarter_period(year, quarter), _year_of(m), mode, today, bump=bump)
    if kind == "half":
        half = int(m.group("h") or (1 if m.group("hw").lower() == "first" else 2))

        def make_half(year: int) -> _Period:
            last = _month_end(year, 6 * half)
            return _Period(date(year, 6 * half - 5, 1), last, last)

        return _with_year(make_half, _year_of(m), mode, today, bump=False)
    if kind == "relative":
        return _relative(m, today)
    if kind == "named":
        return _named(m, mode, today)
    if kind == "season":
        return _season(m, mode, today, w)
    if kind == "holiday":
        month, day_no = w.holidays[" ".join(m.group("holiday").lower().split())]
        bump = (m.group("rel") or "").lower() == "next"
        return _with_year(
            lambda year: _day_period(date(year, month, day_no)),
            _year_of(m),
            "before" if mode == "before" else "by",
            today,
            bump=bump,
        )
    if kind == "year":
        return _with_year(_year_period, int(m.group("year")), mode, today, bump=False)
    if kind == "fallback":
        phrase = " ".join(m.group("phrase").lower().split())
        if _ORDINAL_RE.fullmatch(phrase):
            parsed = _fallback_direct(phrase, today)
        else:
            parsed = _fallback_direct(phrase, today) or _dateparser(phrase, today)
        if parsed is None:
            return None
        if mode == "before":
            parsed -= timedelta(days=1)
        return parsed if parsed >= today else None
    return None


def find_deadline(
    text: str, *, now: datetime, min_relative_days: int = _MIN_RELATIVE_DAYS
) -> tuple[date, int, int] | None:
    """The first deadline in the text and its span (cue words included, e.g. "by end of Q2").

    The span lets callers cut the deadline out of a goal before reading its numbers.
    A relative span shorter than ``min_relative_days`` is not a deadline (see above).
    """
    if not text:
        return None
    today = now.date()
    limit = today + relativedelta(years=_MAX_YEARS_AHEAD)
    w = words()
    candidates = _candidates(mask(text))
    # An explicit date or period beats a relative one: in "answer within a day by end of
    # Q2" the deadline is Q2, and "within a day" describes the goal itself.
    for relative in (False, True):
        for cand in candidates:
            if (cand.kind == "relative") != relative:
                continue
            try:
                resolved = _resolve(cand, today, w)
            except (ValueError, OverflowError):
                continue
            if resolved is None or not today <= resolved <= limit:
                continue
            if relative and resolved < today + timedelta(days=min_relative_days):
                continue
            return resolved, cand.start, cand.end
    return None


def parse_deadline(text: str, *, now: datetime) -> date | None:
    """The deadline a person gave, or None when there is no date in the answer."""
    found = find_deadline(text, now=now)
    return found[0] if found is not None else None


def parse_pause_end(text: str, *, now: datetime) -> date | None:
    """The last paused day of "pause until <text>", or None when there is no date in it.

    A single day is the pause's last, as the README promises: "until 4 January" skips
    a check-in on the 4th. A longer period is different: "pause until next week" or
    "until January" means check-ins are back when it begins, whereas a deadline's
    "by January" means its end, so the pause ends the day before the period starts
    (unless the period has begun already, when only its end makes sense). "for two
    weeks" is the days from today up to the same weekday two weeks on, which it leaves
    to the schedule; a bare span ("until two weeks", as Discord's ``until`` option gets
    it) means the same.
    """
    phrase = _UNTIL_RE.sub("", text)
    if _FOR_RE.match(phrase):
        return _span_end(_FOR_RE.sub("", phrase), now=now)
    end = parse_deadline(f"until {phrase}", now=now) or parse_deadline(phrase, now=now)
    if end is None:
        return _span_end(phrase, now=now)
    start = parse_deadline(f"start of {phrase}", now=now)
    if start is None or not now.date() < start < end:
        return end
    return start - timedelta(days=1)


def _span_end(span: str, *, now: datetime) -> date | None:
    """The last day of a pause "for <span>": the day before the span is over."""
    back = find_deadline(f"in {span}", now=now, min_relative_days=1)
    return back[0] - timedelta(days=1) if back is not None else None
