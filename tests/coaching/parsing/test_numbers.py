from __future__ import annotations

import pytest

from coaching.parsing import Quantity, find_quantities, parse_number


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("40", 40, None),
        ("40%", 40, "%"),
        ("40 percent", 40, "%"),
        ("$1,200", 1200, "USD"),
        ("€3.5k", 3500, "EUR"),
        ("1.2k", 1200, None),
        ("2 million", 2_000_000, None),
        ("ten", 10, None),
        ("forty-two", 42, None),
        ("a dozen", 12, None),
        ("two hundred and five", 205, None),
        ("1 000", 1000, None),
        ("£20", 20, "GBP"),
        ("USD 100", 100, "USD"),
        ("100 euros", 100, "EUR"),
        ("fifty dollars", 50, "USD"),
        ("1,234.56", 1234.56, None),
        ("-12", -12, None),
        ("\u22125%", -5, "%"),
        ("-$300", -300, "USD"),
    ],
)
def test_amounts_as_people_type_them(text: str, value: float, unit: str | None) -> None:
    found = find_quantities(text)
    assert len(found) == 1
    assert found[0].value == pytest.approx(value)
    assert found[0].unit == unit
    assert found[0].raw == text


def test_offsets_point_into_the_original_text() -> None:
    text = "grow from 20 to 50 a month"
    found = find_quantities(text)
    assert [(q.value, text[q.start : q.end]) for q in found] == [(20, "20"), (50, "50")]


@pytest.mark.parametrize(
    "text",
    ["2027-06-30", "Q2", "by March 2027", "end of Q2 2027", "in 6 months", "30/06/2027", "30th"],
)
def test_dates_and_ordinals_are_not_quantities(text: str) -> None:
    assert find_quantities(text) == []


def test_number_next_to_a_date_is_kept() -> None:
    found = find_quantities("reach 500 by March 2027")
    assert [q.value for q in found] == [500]


def test_exclude_spans_can_be_given() -> None:
    assert [q.value for q in find_quantities("2027", exclude=[(0, 4)])] == []
    assert [q.value for q in find_quantities("March 2027", exclude=[])] == [2027]


def test_letters_glued_in_front_are_not_numbers() -> None:
    assert find_quantities("B2B and mp3") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("about 40", 40),
        ("forty", 40),
        ("40%", 40),
        ("~1.2k", 1200),
        ("none yet", 0),
        ("zero", 0),
        ("40, maybe 45", 40),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "lots", "not sure", "March 2027"])
def test_parse_number_none_without_a_number(text: str) -> None:
    assert parse_number(text) is None


def test_quantity_is_a_frozen_value() -> None:
    q = find_quantities("40%")[0]
    assert q == Quantity(40.0, "%", 0, 3, "40%")
    with pytest.raises(AttributeError):
        q.value = 1  # type: ignore[misc]


def test_a_minus_sign_stuck_to_a_number_makes_it_negative_but_a_dash_between_does_not() -> None:
    assert [q.value for q in find_quantities("NPS went from -10 to 4")] == [-10, 4]
    assert [q.value for q in find_quantities("3-5 posts, 2024-25, Q2-3, T-1000")] == [3, 5, 2024, 25, 3, 1000]
    assert [q.value for q in find_quantities("Twitter - 2h a week")] == [2]
    assert parse_number("-3") == -3
