"""Whether an objective is on track, as `plan`, the check-in summary and the chart say it."""

from __future__ import annotations

from datetime import date

from coaching.model import Job, Objective
from coaching.progress import Reading, status_of

TODAY = date(2027, 1, 4)
SALES = Objective(
    id="o1", job=Job.TRAFFIC, description="grow email sales", baseline=20, target=50,
    deadline=date(2027, 6, 30),
)  # fmt: skip
NO_BASELINE = Objective(
    id="o2", job=Job.TRAFFIC, description="sell more", target=50, deadline=date(2027, 6, 30)
)


def weekly(*values: float) -> tuple[Reading, ...]:
    return tuple(
        Reading(week=f"2026-W{49 + i}", day=date.fromisocalendar(2026, 49 + i, 1), value=v)
        for i, v in enumerate(values)
    )


def test_a_metric_that_has_not_moved_yet_is_too_early_to_tell_for_two_check_ins() -> None:
    assert status_of(SALES, weekly(20), TODAY) == "too early to tell"
    assert status_of(SALES, weekly(20, 20), TODAY) == "too early to tell"
    assert status_of(SALES, weekly(20, 20, 20), TODAY) == "behind"


def test_a_first_reading_without_a_baseline_is_too_early_to_tell() -> None:
    assert status_of(NO_BASELINE, weekly(12), TODAY) == "too early to tell"
    assert status_of(NO_BASELINE, weekly(12, 14), TODAY) == "on track"
    assert status_of(NO_BASELINE, weekly(12, 12, 12, 12), TODAY) == "behind"


def test_moving_away_or_too_slowly_is_behind_at_once() -> None:
    assert status_of(SALES, weekly(18), TODAY) == "behind"
    assert status_of(SALES, weekly(20.1), TODAY) == "behind", "30 to go at 0.1 a week"
    assert status_of(SALES, weekly(23), TODAY) == "on track"
    assert status_of(SALES, weekly(50), TODAY) == "met"


def test_a_metric_below_zero_reads_and_shows_with_its_sign() -> None:
    from coaching.progress import ObjectiveProgress
    from coaching.render import amount, progress_line

    nps = Objective(
        id="o3", job=Job.SUPPORT, description="NPS", baseline=-10, target=20, deadline=date(2027, 6, 30)
    )
    readings = weekly(-4)
    line = progress_line(ObjectiveProgress(nps, readings, status_of(nps, readings, TODAY)))
    assert line == "-10 → -4 → 20 by 2027-06-30 · on track"
    assert amount(-300, "USD") == "-$300"
