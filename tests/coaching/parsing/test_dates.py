from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from coaching.parsing import find_deadline, parse_deadline, parse_pause_end

from ._fixed import NOW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("by March", date(2027, 3, 31)),
        ("end of Q2", date(2027, 6, 30)),
        ("Q1", date(2027, 3, 31)),
        ("Q4", date(2026, 12, 31)),
        ("Q2 2027", date(2027, 6, 30)),
        ("in 3 months", date(2027, 2, 28)),
        ("in three months", date(2027, 2, 28)),
        ("within 6 weeks", date(2027, 1, 10)),
        ("six months from now", date(2027, 5, 29)),
        ("by June 30", date(2027, 6, 30)),
        ("by 30 June", date(2027, 6, 30)),
        ("30th of June 2027", date(2027, 6, 30)),
        ("2027-06-30", date(2027, 6, 30)),
        ("30/06/2027", date(2027, 6, 30)),
        ("end of the year", date(2026, 12, 31)),
        ("next year", date(2027, 12, 31)),
        ("by summer", date(2027, 6, 30)),
        ("end of summer", date(2027, 8, 31)),
        ("by Christmas", date(2026, 12, 25)),
        ("March 2027", date(2027, 3, 31)),
        ("before March", date(2027, 2, 28)),
        ("next month", date(2026, 12, 31)),
        ("next quarter", date(2027, 3, 31)),
        ("by 2027", date(2027, 12, 31)),
        ("before 2027", date(2026, 12, 31)),
        ("by May", date(2027, 5, 31)),
        ("by the 15th", date(2026, 12, 15)),
        ("by Friday", date(2026, 12, 4)),
    ],
)
def test_deadlines(text: str, expected: date) -> None:
    assert parse_deadline(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "more followers",
        "I may post more",
        "sales fall when it rains",
        "2025-01-01",
        "answer within a day",
    ],
)
def test_no_deadline(text: str) -> None:
    assert parse_deadline(text, now=NOW) is None


def test_deadline_span_covers_the_cue() -> None:
    text = "Answer 90% of support questions within a day by end of Q2, now about 60%"
    found = find_deadline(text, now=NOW)
    assert found is not None
    day, start, end = found
    assert day == date(2027, 6, 30)
    assert text[start:end] == "by end of Q2"


def test_deadlines_are_never_in_the_past() -> None:
    late_december = datetime(2026, 12, 30, 9, 0)
    assert parse_deadline("by Christmas", now=late_december) == date(2027, 12, 25)
    assert parse_deadline("Q4", now=late_december) == date(2026, 12, 31)


def test_timezone_aware_now_is_fine() -> None:
    aware = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert parse_deadline("by March", now=aware) == date(2027, 3, 31)


@pytest.mark.parametrize(
    ("text", "last_paused_day"),
    [
        ("2027-01-04", date(2027, 1, 4)),  # a day is the pause's last, as the README says
        ("until 2027-01-04", date(2027, 1, 4)),
        ("until Christmas", date(2026, 12, 25)),
        ("until next week", date(2026, 11, 29)),  # back on Monday, not a week later
        ("until January", date(2026, 12, 31)),
        ("till March", date(2027, 2, 28)),
        ("until the end of January", date(2027, 1, 31)),
        ("until this month", date(2026, 11, 30)),  # begun already: its end is all that fits
        ("for two weeks", date(2026, 12, 12)),
        ("for a month", date(2026, 12, 28)),
        ("for 3 days", date(2026, 12, 1)),
        ("until for two weeks", date(2026, 12, 12)),  # Discord's "until" option, given a span
        ("until two weeks", date(2026, 12, 12)),  # ... or a bare one
        ("2 weeks", date(2026, 12, 12)),
    ],
)
def test_a_pause_until_a_period_ends_as_the_period_begins(text: str, last_paused_day: date) -> None:
    assert parse_pause_end(text, now=NOW) == last_paused_day


@pytest.mark.parametrize("text", ["until 2026-11-01", "until yesterday", "until someday", "for ever", ""])
def test_a_pause_without_a_date_ahead_has_no_end(text: str) -> None:
    assert parse_pause_end(text, now=NOW) is None
