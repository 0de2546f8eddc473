"""The plan a person builds with the coach, as plain immutable values.

Kept free of any storage or platform concern so the engine can be exercised in
microseconds and the same values can be rendered for Slack, Discord or a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal


class Job(StrEnum):
    """The four jobs social media can do for a business (METHOD.md)."""

    SUPPORT = "support"
    TRENDS = "trends"
    TRAFFIC = "traffic"
    COMMUNITY = "community"


class Stage(StrEnum):
    """Where a tactic stands on the path to credibility."""

    LISTEN = "listen"
    PARTICIPATE = "participate"
    LEAD = "lead"


OwnerKind = Literal["user", "team"]


@dataclass(frozen=True, slots=True)
class Owner:
    """Who a plan belongs to; every stored row is scoped by this triple."""

    platform: str
    tenant: str
    subject: str
    kind: OwnerKind = "user"


@dataclass(frozen=True, slots=True)
class Purpose:
    audience: str | None = None
    why: str | None = None
    what: str | None = None
    start_with: str | None = None


@dataclass(frozen=True, slots=True)
class Objective:
    id: str
    job: Job
    description: str
    metric: str | None = None
    baseline: float | None = None
    target: float | None = None
    unit: str | None = None
    deadline: date | None = None

    @property
    def measurable(self) -> bool:
        return self.target is not None and self.deadline is not None


@dataclass(frozen=True, slots=True)
class Priorities:
    ranking: tuple[str, ...] = ()
    hours_per_week: float | None = None
    boundaries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tactic:
    id: str
    channel: str
    label: str
    objective: str | None
    job: Job | None = None
    goal: str | None = None  # the person's own word for what it serves ("sales"), used in check-ins
    hours_per_week: float | None = None
    stage: Stage | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class NotDoing:
    """A job, or part of one, deliberately left alone, and what would serve it if that changed."""

    what: str
    why: str | None = None
    would_use: tuple[str, ...] = ()
    job: Job | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    weekday: str = "monday"
    time: str = "09:00"
    paused: bool = False
    paused_until: date | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    owner: Owner
    timezone: str = "UTC"
    schedule: Schedule = field(default_factory=Schedule)
    purpose: Purpose = field(default_factory=Purpose)
    objectives: tuple[Objective, ...] = ()
    priorities: Priorities = field(default_factory=Priorities)
    tactics: tuple[Tactic, ...] = ()
    not_doing: tuple[NotDoing, ...] = ()

    def objective(self, objective_id: str | None) -> Objective | None:
        return next((o for o in self.objectives if o.id == objective_id), None)

    def active_tactics(self) -> tuple[Tactic, ...]:
        return tuple(t for t in self.tactics if t.active)

    def ranked_objectives(self) -> tuple[Objective, ...]:
        """Objectives in the person's order of importance; unranked ones keep their place."""
        order = {oid: i for i, oid in enumerate(self.priorities.ranking)}
        return tuple(
            sorted(self.objectives, key=lambda o: order.get(o.id, len(order) + self.objectives.index(o)))
        )
