"""How each objective is doing: baseline → latest → target, and whether it is on track.

"On track" compares the pace so far with the pace still needed: the baseline counts as
a reading taken a week before the first check-in reading, and the target must be
reached by the deadline at no faster than the pace seen so far. A single reading, or a
metric that has not moved in its first weeks, is "too early to tell": a pace of nothing
measured over a week or two says little, and "behind" on the first check-in would
discourage more than it informs. A metric moving away from its target is "behind" at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Literal

from coaching.checkins import CheckinEntry
from coaching.model import Objective, Plan

Status = Literal["met", "on track", "behind", "too early to tell", "overdue", "no data", "no target"]

#: How long an unmoved metric is given before it counts as behind.
EARLY = timedelta(weeks=3)


@dataclass(frozen=True, slots=True)
class Reading:
    week: str
    day: date
    value: float


@dataclass(frozen=True, slots=True)
class ObjectiveProgress:
    objective: Objective
    readings: tuple[Reading, ...]
    status: Status

    @property
    def latest(self) -> float | None:
        return self.readings[-1].value if self.readings else None


def week_start(week: str) -> date:
    """Monday of an ISO week key like "2026-W49"."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def readings(objective: Objective, history: Sequence[CheckinEntry]) -> tuple[Reading, ...]:
    found = {
        e.week: e.value
        for e in history
        if e.kind == "metric" and e.subject == objective.id and e.value is not None
    }
    return tuple(Reading(week=w, day=week_start(w), value=v) for w, v in sorted(found.items()))


def _reached(objective: Objective, value: float) -> bool:
    assert objective.target is not None
    rising = objective.baseline is None or objective.target >= objective.baseline
    return value >= objective.target if rising else value <= objective.target


def status_of(objective: Objective, points: tuple[Reading, ...], today: date) -> Status:
    if objective.target is None:
        return "no target"
    if not points:
        return "no data"
    latest = points[-1]
    if _reached(objective, latest.value):
        return "met"
    if objective.deadline is not None and objective.deadline < today:
        return "overdue"
    first_day, first_value = points[0].day, points[0].value
    if objective.baseline is not None:
        first_day, first_value = points[0].day - timedelta(weeks=1), objective.baseline
    elapsed = max((latest.day - first_day).days, 1)
    gained = latest.value - first_value
    needed = objective.target - latest.value
    if len(points) == 1 and objective.baseline is None:
        return "too early to tell"
    if gained == 0 and latest.day - first_day < EARLY:
        return "too early to tell"
    if objective.deadline is None:
        return "on track" if gained * needed > 0 else "behind"
    remaining = max((objective.deadline - latest.day).days, 1)
    if gained * needed <= 0:
        return "behind"
    return "on track" if abs(gained) / elapsed * remaining >= abs(needed) else "behind"


def plan_progress(plan: Plan, history: Sequence[CheckinEntry], today: date) -> tuple[ObjectiveProgress, ...]:
    result = []
    for objective in plan.ranked_objectives():
        points = readings(objective, history)
        result.append(ObjectiveProgress(objective, points, status_of(objective, points, today)))
    return tuple(result)


def moving_away(objective: Objective, history: Sequence[CheckinEntry], streak: int) -> bool:
    """Whether the last ``streak`` readings each moved further from the target."""
    if objective.target is None:
        return False
    values = [r.value for r in readings(objective, history)]
    if objective.baseline is not None:
        values.insert(0, objective.baseline)
    if len(values) < streak + 1:
        return False
    gaps = [abs(objective.target - v) for v in values[-(streak + 1) :]]
    return all(later > earlier for earlier, later in pairwise(gaps))


def improving(objective: Objective, history: Sequence[CheckinEntry]) -> bool | None:
    """Whether the latest reading is closer to the target than the one before; None without two."""
    if objective.target is None:
        return None
    values = [r.value for r in readings(objective, history)]
    if objective.baseline is not None:
        values.insert(0, objective.baseline)
    if len(values) < 2:
        return None
    return abs(objective.target - values[-1]) < abs(objective.target - values[-2])
