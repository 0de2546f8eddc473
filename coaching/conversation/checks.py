"""The coaching checks of METHOD.md as pure functions over a plan.

Each check answers one question the coach asks itself about a plan; the tactics
stage turns a failing check into a question, and the tests exercise each check
on its own.
"""

from __future__ import annotations

from coaching.knowledge import Fit, Knowledge
from coaching.model import Job, Objective, Plan, Tactic

FOCUS_LIMIT = 3


def missing_measures(objective: Objective) -> tuple[str, ...]:
    """What keeps an objective from being measurable: ``target`` and/or ``deadline``."""
    missing = []
    if objective.target is None:
        missing.append("target")
    if objective.deadline is None:
        missing.append("deadline")
    return tuple(missing)


def tactic_job(tactic: Tactic, plan: Plan) -> Job | None:
    """The job a tactic serves: its objective's job, else the job it was named for."""
    objective = plan.objective(tactic.objective)
    return objective.job if objective else tactic.job


def poor_fit(tactic: Tactic, plan: Plan, knowledge: Knowledge) -> Fit | None:
    """The knowledge file's reason when a known channel is a poor fit for the tactic's job."""
    job = tactic_job(tactic, plan)
    channel = knowledge.channel(tactic.channel)
    if job is None or channel is None:
        return None
    fit = channel.fit(job)
    return fit if fit is not None and fit.level == "poor" else None


def too_many_tactics(plan: Plan) -> bool:
    return len(plan.active_tactics()) > FOCUS_LIMIT


def unlinked_tactics(plan: Plan) -> tuple[Tactic, ...]:
    """Active tactics that serve no objective (a tactic with no job to measure it by)."""
    return tuple(t for t in plan.active_tactics() if plan.objective(t.objective) is None)


def uncovered_objectives(plan: Plan) -> tuple[Objective, ...]:
    """Objectives no active tactic serves (a job with no tactic)."""
    served = {t.objective for t in plan.active_tactics()}
    return tuple(o for o in plan.ranked_objectives() if o.id not in served)


def unaddressed_jobs(plan: Plan) -> tuple[Job, ...]:
    """Jobs the plan neither serves nor has deliberately set aside."""
    touched = {o.job for o in plan.objectives}
    touched |= {j for t in plan.active_tactics() if (j := tactic_job(t, plan)) is not None}
    touched |= {n.job for n in plan.not_doing if n.job is not None}
    return tuple(j for j in Job if j not in touched)


def over_budget(plan: Plan) -> float | None:
    """The tactics' total weekly hours when they exceed the budget, else None."""
    budget = plan.priorities.hours_per_week
    if budget is None:
        return None
    total = sum(t.hours_per_week or 0 for t in plan.active_tactics())
    return total if total > budget + 1e-9 else None
