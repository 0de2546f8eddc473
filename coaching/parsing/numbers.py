"""Numbers in free text: "40", "40%", "$1,200", "€3.5k", "2 million", "a dozen", "-12".

Objectives need a baseline and a target, check-ins need "the metric's new value"; both
arrive as chat text, so amounts are read the way people type them, with their unit
(percent or currency) kept so "60%" and "60" are never confused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from coaching.parsing import _wordnum
from coaching.parsing._data import words
from coaching.parsing._text import mask, normalize
from coaching.parsing.dates import date_spans

__all__ = ["Quantity", "find_quantities", "parse_number"]


@dataclass(frozen=True, slots=True)
class Quantity:
    """One amount found in text; ``start``/``end`` index the original string."""

    value: float
    unit: str | None
    start: int
    end: int
    raw: str


def _alt(items: Sequence[str]) -> str:
    ordered = sorted(set(items), key=lambda s: (-len(s), s))
    return "|".join(r"\s+".join(map(re.escape, i.split())) for i in ordered)


@dataclass(frozen=True, slots=True)
class _Regexes:
    starts: re.Pattern[str]
    numeral: re.Pattern[str]
    symbol_before: re.Pattern[str]
    spelled: re.Pattern[str]
    after_spelled: re.Pattern[str]
    spelled_vocab: frozenset[str]


_WORD_TOKENS = re.compile(r"[^\W\d_]+")


@cache
def _regexes() -> _Regexes:
    w = words()
    symbols = _alt(list(w.currency_symbols))
    codes = _alt(list(w.currency_codes))
    cur_words = _alt(list(w.currency_words))
    scales = _alt(list(w.scales))
    suffixes = _alt(list(w.suffixes))
    percent = _alt(list(w.percent_words))
    digits = (
        r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,200 / 1,200.50
        r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])"  # 1 000 (space-grouped)
        r"|\d+(?:\.\d+)?|\.\d+)"
    )
    # Matching is anchored on digits (``starts``), then the currency symbol or code in
    # front is looked up: trying the symbol alternation at every position is slow.
    numeral = re.compile(
        rf"(?P<num>{digits})"
        rf"(?:(?P<suf>{suffixes})(?![\w])|\s?(?P<scale>{scales})(?![\w]))?"
        rf"(?:\s?(?P<pct>%|(?:{percent})(?![\w]))"
        rf"|\s?(?P<code>{codes}|{cur_words})(?![\w]))?"
        r"(?!\d|(?:st|nd|rd|th)(?![a-z]))",
        re.IGNORECASE,
    )
    symbol_before = re.compile(rf"(?:(?P<sym>{symbols})\s?|(?<![\w])(?P<pcode>{codes})\s)$", re.IGNORECASE)
    spelled = re.compile(rf"(?:(?P<sym>{symbols})\s?)?(?P<run>{_wordnum.run_pattern()})", re.IGNORECASE)
    after_spelled = re.compile(
        rf"\s?(?:(?P<pct>%|(?:{percent})(?![\w]))|(?P<code>{codes}|{cur_words})(?![\w]))",
        re.IGNORECASE,
    )
    vocab = {t for key in (*w.units, *w.tens, *w.scales, *w.counts) for t in key.split()}
    return _Regexes(
        starts=re.compile(r"(?<![\w.,])\.?\d"),
        numeral=numeral,
        symbol_before=symbol_before,
        spelled=spelled,
        after_spelled=after_spelled,
        spelled_vocab=frozenset(vocab - {"a", "an", "of", "and"}),
    )


def _currency(symbol: str | None, code: str | None) -> str | None:
    w = words()
    if symbol:
        for key, value in w.currency_symbols.items():
            if key.lower() == symbol.lower():
                return value
    if code:
        lowered = code.lower()
        if lowered in w.currency_words:
            return w.currency_words[lowered]
        return lowered.upper()
    return None


def _inside(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def find_quantities(text: str, *, exclude: Sequence[tuple[int, int]] | None = None) -> list[Quantity]:
    """Every amount in the text, in order.

    Numbers inside date phrases ("2027" in "March 2027", the 2 of "Q2", the 6 of "in 6
    months") are skipped: by default the spans come from ``dates.date_spans``; pass
    ``exclude`` to skip other spans instead (an empty list skips nothing).
    """
    if not text:
        return []
    masked = mask(text)
    skip = date_spans(text) if exclude is None else list(exclude)
    w = words()
    rx = _regexes()
    found: list[Quantity] = []
    last_end = -1
    for start_match in rx.starts.finditer(masked):
        if start_match.start() < last_end:
            continue
        m = rx.numeral.match(masked, start_match.start())
        if m is None:
            continue
        last_end = m.end()
        before = rx.symbol_before.search(masked, max(0, m.start() - 6), m.start())
        start = before.start() if before is not None else m.start()
        if _inside(start, m.end(), skip):
            continue
        raw_num = re.sub(r"[,\s\u00a0\u202f]", "", m.group("num"))
        try:
            value = float(raw_num)
        except ValueError:
            continue
        if not math.isfinite(value):
            continue
        if m.group("suf"):
            value *= w.suffixes[m.group("suf").lower()]
        elif m.group("scale"):
            value *= w.scales[m.group("scale").lower()]
        symbol = before.group("sym") if before is not None else None
        code = (before.group("pcode") if before is not None else None) or m.group("code")
        if not math.isfinite(value):
            continue
        unit = "%" if m.group("pct") else _currency(symbol, code)
        if _signed(masked, start):
            start, value = start - 1, -value
        found.append(Quantity(value, unit, start, m.end(), text[start : m.end()]))
    has_words = not rx.spelled_vocab.isdisjoint(_WORD_TOKENS.findall(masked.lower()))
    for m in rx.spelled.finditer(masked) if has_words else ():
        taken = [(q.start, q.end) for q in found]
        if _inside(m.start(), m.end(), skip) or _inside(m.start(), m.end(), taken):
            continue
        spelled_value = _wordnum.value_of(m.group("run"))
        if spelled_value is None:
            continue
        end = m.end()
        unit = _currency(m.group("sym"), None)
        tail = rx.after_spelled.match(masked, end)
        if tail is not None:
            end = tail.end()
            unit = "%" if tail.group("pct") else _currency(None, tail.group("code"))
        found.append(Quantity(spelled_value, unit, m.start(), end, text[m.start() : end]))
    found.sort(key=lambda q: q.start)
    return found


_MINUS = ("-", "\u2212")


def _signed(text: str, start: int) -> bool:
    """Whether a minus sign is stuck to the amount at ``start`` ("-12", "NPS -12", "-$300"),
    and is not the dash of a range or a compound ("3-5", "Q2-3", "x-3")."""
    if start == 0 or text[start - 1] not in _MINUS:
        return False
    return start == 1 or not text[start - 2].isalnum()


def parse_number(text: str) -> float | None:
    """The number in a one-number answer ("about 40", "forty", "40%", "none yet" = 0).

    The first amount wins: answers like "40, maybe 45" mean the first figure.
    """
    if not text:
        return None
    if normalize(text) in words().zero_answers:
        return 0.0
    quantities = find_quantities(text)
    return quantities[0].value if quantities else None
