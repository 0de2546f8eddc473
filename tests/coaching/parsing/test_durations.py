from __future__ import annotations

import pytest

from coaching.parsing import find_duration, parse_hours_per_week


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2h a week", 2),
        ("2 hours/week", 2),
        ("2 hours per week", 2),
        ("90 minutes weekly", 1.5),
        ("30 min a day", 2.5),
        ("an hour a day", 5),
        ("half an hour a week", 0.5),
        ("an hour and a half", 1.5),
        ("1h30 a week", 1.5),
        ("3", 3),
        ("about 3", 3),
        ("2-3 hours a week", 3),
        ("2 to 3 hrs", 3),
        ("a couple of hours a week", 2),
        ("one day a week", 8),
        ("2 hours every 2 weeks", 1),
        ("twenty minutes daily", 20 / 60 * 5),
        ("none", 0),
        ("0", 0),
        ("no time", 0),
    ],
)
def test_hours_per_week(text: str, hours: float) -> None:
    assert parse_hours_per_week(text) == pytest.approx(hours, abs=1e-3)


@pytest.mark.parametrize("text", ["", "lots", "whenever I can", "a day", "reply within an hour"])
def test_no_duration(text: str) -> None:
    assert parse_hours_per_week(text) is None


def test_find_duration_gives_the_span_to_cut_out() -> None:
    text = "X for support 2h a week"
    found = find_duration(text)
    assert found is not None
    hours, start, end = found
    assert hours == 2
    assert text[start:end] == "2h a week"


def test_find_duration_inside_brackets() -> None:
    text = "newsletter (1h/week) for sales"
    found = find_duration(text)
    assert found is not None
    assert text[found[1] : found[2]] == "1h/week"


def test_response_times_are_not_budgets() -> None:
    assert find_duration("answer within 2 hours") is None


def test_a_channel_name_ending_in_in_is_not_a_response_time() -> None:
    assert find_duration("linkedin 1h") == (1.0, 9, 11)
