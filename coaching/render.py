"""The plan as light-markup text, for chat replies, ``coach plan`` and exports."""

from __future__ import annotations

from collections.abc import Sequence

from coaching.knowledge import Knowledge
from coaching.markup import bold, escape
from coaching.model import Job, NotDoing, Objective, Plan, Stage, Tactic
from coaching.progress import ObjectiveProgress

STAGE_WORDS = {Stage.LISTEN: "listening", Stage.PARTICIPATE: "taking part", Stage.LEAD: "leading"}
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def hours(value: float) -> str:
    return f"{number(value)}h"


def amount(value: float, unit: str | None) -> str:
    if unit is None:
        return number(value)
    if unit == "%":
        return f"{number(value)}%"
    if unit in CURRENCY_SIGNS:
        sign = "-" if value < 0 else ""
        return f"{sign}{CURRENCY_SIGNS[unit]}{number(abs(value))}"
    if unit.isupper() and len(unit) == 3:
        return f"{number(value)} {unit}"
    return f"{number(value)} {escape(unit)}"


def job_name(job: Job | None, knowledge: Knowledge) -> str:
    return knowledge.jobs[job].name if job else "no job yet"


def job_goal(job: Job, knowledge: Knowledge) -> str:
    return knowledge.jobs[job].goal


def objective_line(o: Objective, knowledge: Knowledge) -> str:
    parts = [escape(o.description), f"_{job_name(o.job, knowledge)}_"]
    if o.target is not None:
        start = f"{amount(o.baseline, o.unit)} → " if o.baseline is not None else ""
        parts.append(f"{start}{amount(o.target, o.unit)}")
    else:
        parts.append("no number yet")
    parts.append(f"by {o.deadline.isoformat()}" if o.deadline else "no date yet")
    return " · ".join(parts)


def tactic_line(t: Tactic, plan: Plan, knowledge: Knowledge) -> str:
    objective = plan.objective(t.objective)
    job = objective.job if objective else t.job
    serves = job_goal(job, knowledge) if job else "no objective yet"
    if objective is not None:
        rank = plan.ranked_objectives().index(objective) + 1
        serves += f" (objective {rank})"
    parts = [bold(escape(t.label)), serves]
    parts.append(f"{hours(t.hours_per_week)} a week" if t.hours_per_week is not None else "time not set")
    if t.stage:
        parts.append(STAGE_WORDS[t.stage])
    return " · ".join(parts)


def not_doing_line(n: NotDoing, knowledge: Knowledge) -> str:
    text = f"Nothing for {escape(n.what)}"
    if n.why:
        text += f": {escape(n.why)}"
    if n.would_use:
        names = [knowledge.channels[w].name if w in knowledge.channels else escape(w) for w in n.would_use]
        text += f" (would use {', '.join(names)} if it mattered)"
    return text


def purpose_lines(plan: Plan) -> list[str]:
    p = plan.purpose
    fields = [
        ("Audience", p.audience),
        ("Why they care", p.why),
        ("What we want", p.what),
        ("Start with", p.start_with),
    ]
    return [f"{label}: {escape(value) if value else '_not set_'}" for label, value in fields]


def objectives_block(plan: Plan, knowledge: Knowledge, progress: Sequence[ObjectiveProgress] = ()) -> str:
    if not plan.objectives:
        return "_No objectives yet._"
    tracked = {p.objective.id: p for p in progress if p.readings}
    lines = []
    for i, o in enumerate(plan.ranked_objectives(), 1):
        line = f"{i}. {objective_line(o, knowledge)}"
        if o.id in tracked:
            line += f"\n   Progress: {progress_line(tracked[o.id])}"
        lines.append(line)
    return "\n".join(lines)


def priorities_lines(plan: Plan) -> list[str]:
    pr = plan.priorities
    used = sum(t.hours_per_week or 0 for t in plan.active_tactics())
    budget = f"{hours(pr.hours_per_week)} a week" if pr.hours_per_week is not None else "_not set_"
    if plan.tactics and pr.hours_per_week is not None:
        budget += f" (tactics use {hours(used)})"
    boundaries = "; ".join(escape(b) for b in pr.boundaries) if pr.boundaries else "none"
    return [f"Time budget: {budget}", f"Boundaries: {boundaries}"]


def tactics_block(plan: Plan, knowledge: Knowledge) -> str:
    active = [tactic_line(t, plan, knowledge) for t in plan.tactics if t.active]
    later = [tactic_line(t, plan, knowledge) for t in plan.tactics if not t.active]
    lines = [f"- {line}" for line in active] or ["_No tactics yet._"]
    if later:
        lines.append("Later:")
        lines.extend(f"- {line}" for line in later)
    lines.extend(f"- {not_doing_line(n, knowledge)}" for n in plan.not_doing)
    return "\n".join(lines)


def plan_markdown(plan: Plan, knowledge: Knowledge, progress: Sequence[ObjectiveProgress] = ()) -> str:
    sections = [
        bold("Purpose") + "\n" + "\n".join(f"- {line}" for line in purpose_lines(plan)),
        bold("Objectives") + "\n" + objectives_block(plan, knowledge, progress),
        bold("Priorities") + "\n" + "\n".join(f"- {line}" for line in priorities_lines(plan)),
        bold("Tactics") + "\n" + tactics_block(plan, knowledge),
    ]
    return "\n\n".join(sections)


def goal_of(t: Tactic, plan: Plan, knowledge: Knowledge) -> str:
    """How to name what a tactic serves, in the person's own words where we have them.

    "email for sales" is asked about as the sales goal, never as "traffic & sales": the
    person may serve sales while deliberately leaving traffic alone.
    """
    if t.goal:
        return t.goal
    objective = plan.objective(t.objective)
    job = objective.job if objective else t.job
    if job is None:
        return "main"
    return knowledge.jobs[job].goal


def progress_line(p: ObjectiveProgress) -> str:
    """ "60% → 72% → 90% by 2027-06-30 · on track": baseline, latest and target at a glance."""
    o = p.objective
    if o.target is None:
        return "no target"
    steps = [amount(v, o.unit) for v in (o.baseline, p.latest) if v is not None]
    steps.append(amount(o.target, o.unit))
    by = f" by {o.deadline.isoformat()}" if o.deadline else ""
    return f"{' → '.join(steps)}{by} · {p.status}"
