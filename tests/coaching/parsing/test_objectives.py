from __future__ import annotations

from datetime import date

import pytest

from coaching.knowledge import Knowledge
from coaching.model import Job
from coaching.parsing import ObjectiveDraft, parse_objective

from ._fixed import NOW


def _parse(text: str, knowledge: Knowledge) -> ObjectiveDraft:
    return parse_objective(text, now=NOW, knowledge=knowledge)


def test_support_objective_with_percent_baseline_and_quarter(knowledge: Knowledge) -> None:
    text = "Answer 90% of support questions within a day by end of Q2, now about 60%"
    draft = _parse(text, knowledge)
    assert draft == ObjectiveDraft(
        description=text,
        job=Job.SUPPORT,
        job_wording="support",
        metric="support questions answered within a day",
        baseline=60,
        target=90,
        unit="%",
        deadline=date(2027, 6, 30),
    )


def test_from_to_with_rate_and_month(knowledge: Knowledge) -> None:
    draft = _parse("Grow newsletter sales from 20 to 50 a month by June", knowledge)
    assert draft.job is Job.TRAFFIC
    assert draft.job_wording == "sales"
    assert (draft.baseline, draft.target) == (20, 50)
    assert draft.unit == "per month"
    assert draft.deadline == date(2027, 6, 30)
    assert draft.metric == "newsletter sales"


def test_double_uses_the_current_value(knowledge: Knowledge) -> None:
    draft = _parse("Double our email signups (currently 200) in 6 months", knowledge)
    assert (draft.baseline, draft.target) == (200, 400)
    assert draft.deadline == date(2027, 5, 29)
    assert draft.metric == "email signups"
    assert draft.unit is None


def test_vague_objective_has_no_numbers(knowledge: Knowledge) -> None:
    draft = _parse("more followers", knowledge)
    assert draft.job is Job.COMMUNITY
    assert draft.target is None
    assert draft.baseline is None
    assert draft.deadline is None
    assert draft.metric == "followers"


@pytest.mark.parametrize(
    ("text", "baseline", "target", "unit"),
    [
        ("Website visits 1200 -> 2000 per month by end of year", 1200, 2000, "per month"),
        ("Website visits 1200 → 2000 per month", 1200, 2000, "per month"),
        ("Get to 1,000 Discord members by March (up from 350)", 350, 1000, None),
        ("Reach 5k newsletter subscribers by 2027-06-30", None, 5000, None),
        ("Hit €10k monthly sales by Christmas", None, 10000, "EUR"),
        ("30% more leads by summer, currently 40 a week", 40, 52, "per week"),
        ("Increase revenue by 20% by Q3 (now $4k a month)", 4000, 4800, "USD"),
        ("3x our trial signups by next year (today 120/month)", 120, 360, "per month"),
        ("Triple demo bookings, currently 10 per week", 10, 30, "per week"),
        ("cut response time from 48 hours to 4 hours by March", 48, 4, "hours"),
        ("reduce complaints by 50% (now 20 a month)", 20, 10, "per month"),
    ],
)
def test_numbers_and_units(
    text: str, baseline: float | None, target: float | None, unit: str | None, knowledge: Knowledge
) -> None:
    draft = _parse(text, knowledge)
    assert draft.baseline == baseline
    assert draft.target == pytest.approx(target) if target is not None else draft.target is None
    assert draft.unit == unit


def test_double_without_a_baseline_leaves_the_target_open(knowledge: Knowledge) -> None:
    draft = _parse("Double our email signups by June", knowledge)
    assert draft.target is None
    assert draft.deadline == date(2027, 6, 30)


def test_response_time_is_not_a_target(knowledge: Knowledge) -> None:
    draft = _parse("reply to every support tweet within 2 hours", knowledge)
    assert draft.target is None
    assert draft.metric is not None
    assert "2 hours" in draft.metric


def test_years_in_dates_are_not_targets(knowledge: Knowledge) -> None:
    draft = _parse("500 newsletter subscribers by March 2027", knowledge)
    assert draft.target == 500
    assert draft.deadline == date(2027, 3, 31)


def test_description_is_one_tidy_line_of_at_most_300_chars(knowledge: Knowledge) -> None:
    draft = _parse("  Grow sales\n\nfrom 20 to 50  " + "really " * 100, knowledge)
    assert "\n" not in draft.description
    assert draft.description.startswith("Grow sales from 20 to 50 really")
    assert len(draft.description) <= 300


def test_empty_objective(knowledge: Knowledge) -> None:
    draft = _parse("", knowledge)
    assert draft == ObjectiveDraft("", None, None, None, None, None, None, None)
