"""The progress chart: what each panel shows, and that it says what the words say."""

from __future__ import annotations

from datetime import date

import pytest

from coaching.chart import chart_panel, progress_chart
from coaching.model import Job, Objective
from coaching.progress import ObjectiveProgress, Reading, status_of

ORDERS = Objective(
    id="o1", job=Job.TRAFFIC, description="more online orders", metric="online orders",
    baseline=40, target=200, unit="per month", deadline=date(2027, 6, 30),
)  # fmt: skip


def progress(objective: Objective, *values: float, today: date = date(2027, 1, 4)) -> ObjectiveProgress:
    weeks = [f"2026-W{49 + i}" for i in range(len(values))]
    readings = tuple(
        Reading(week=w, day=date.fromisocalendar(2026, 49 + i, 1), value=v)
        for i, (w, v) in enumerate(zip(weeks, values, strict=True))
    )
    return ObjectiveProgress(objective, readings, status_of(objective, readings, today))


def test_a_panel_runs_from_the_baseline_to_the_deadline_with_the_path_between() -> None:
    panel = chart_panel(progress(ORDERS, 55))
    assert panel is not None
    assert panel.points == ((date(2026, 11, 23), 40), (date(2026, 11, 30), 55))
    assert panel.path == ((date(2026, 11, 23), 40), (date(2027, 6, 30), 200))
    assert panel.span[0] < date(2026, 11, 23) and panel.span[1] > date(2027, 6, 30), (
        "one reading, yet a year's view"
    )
    assert panel.title == "online orders · on track"


@pytest.mark.parametrize("latest", [41, 44, 45, 46, 60, 199])
def test_on_track_is_a_reading_on_the_targets_side_of_the_path(latest: float) -> None:
    p = progress(ORDERS, 42, latest)
    panel = chart_panel(p)
    assert panel is not None and panel.path is not None
    (x0, y0), (x1, y1) = panel.path
    day, value = panel.points[-1]
    on_path = y0 + (y1 - y0) * (day - x0).days / (x1 - x0).days
    assert (p.status == "on track") == (value >= on_path)


def test_objectives_without_a_target_or_a_reading_get_no_panel() -> None:
    vague = Objective(id="o2", job=Job.SUPPORT, description="be helpful")
    assert chart_panel(progress(vague, 3)) is None
    assert chart_panel(progress(ORDERS)) is None
    assert progress_chart([progress(vague, 3), progress(ORDERS)]) is None
    assert (progress_chart([progress(ORDERS, 55)]) or b"").startswith(b"\x89PNG")
