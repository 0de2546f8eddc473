"""Editing a whole POPT section at once, as a form (a Slack modal, a Discord modal).

The chat asks one question at a time; a form shows every field of a section and
needs every value checked together, with an error per field the person can fix in
place. Parsing is the same as in the chat, so a value means the same thing in both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from coaching.knowledge import Knowledge
from coaching.model import Objective, Plan, Stage, Tactic
from coaching.parsing import (
    is_vague_audience,
    parse_deadline,
    parse_hours_per_week,
    parse_number,
    parse_objective,
    parse_tactic_mix,
)
from coaching.render import amount, hours

FORM_SECTIONS = ("purpose", "objectives", "priorities", "tactics")
MAX_FIELD_CHARS = 2000
STAGES = tuple(s.value for s in Stage)


@dataclass(frozen=True, slots=True)
class Field:
    """One input: ``name`` comes back as the key in the submitted values."""

    name: str
    label: str
    value: str
    multiline: bool = False
    optional: bool = True
    options: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True, slots=True)
class FormResult:
    plan: Plan
    errors: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _num(value: float | None, unit: str | None = None) -> str:
    return "" if value is None else amount(value, unit if unit == "%" else None).replace(",", "")


def form_fields(plan: Plan, section: str) -> tuple[Field, ...]:
    """The fields of a section's form, filled with the plan's current values."""
    if section == "purpose":
        p = plan.purpose
        return (
            Field(
                "audience",
                "Who do you want to reach?",
                p.audience or "",
                multiline=True,
                optional=False,
                hint="Describe them by what they care about.",
            ),
            Field("why", "Why should they care?", p.why or "", multiline=True),
            Field("what", "What do you want to say or achieve?", p.what or "", multiline=True),
            Field("start_with", "Which existing customers first?", p.start_with or ""),
        )
    if section == "priorities":
        pr = plan.priorities
        return (
            Field(
                "hours_per_week",
                "Hours a week for social media",
                hours(pr.hours_per_week) if pr.hours_per_week is not None else "",
                optional=False,
                hint='Like "5" or "30 min a day".',
            ),
            Field("boundaries", "Boundaries (one per line)", "\n".join(pr.boundaries), multiline=True),
        )
    if section == "objectives":
        fields: list[Field] = []
        for o in plan.ranked_objectives():
            fields += [
                Field(f"{o.id}.description", "Objective (clear it to remove)", o.description, multiline=True),
                Field(f"{o.id}.target", "Target", _num(o.target, o.unit)),
                Field(f"{o.id}.baseline", "Where it is now", _num(o.baseline, o.unit)),
                Field(f"{o.id}.deadline", "By when", o.deadline.isoformat() if o.deadline else ""),
            ]
        fields.append(
            Field(
                "new.objective",
                "Add an objective",
                "",
                multiline=True,
                hint='Like "grow email sales from 20 to 50 a month by June".',
            )
        )
        return tuple(fields)
    if section == "tactics":
        fields = []
        for t in plan.tactics:
            fields += [
                Field(
                    f"{t.id}.hours",
                    f"{t.label}: hours a week",
                    hours(t.hours_per_week) if t.hours_per_week is not None else "",
                ),
                Field(f"{t.id}.stage", f"{t.label}: stage", t.stage.value if t.stage else "", options=STAGES),
                Field(f"{t.id}.keep", f"{t.label}: keep it?", "yes", options=("yes", "later", "remove")),
            ]
        fields.append(
            Field(
                "new.tactics", "Add tactics", "", multiline=True, hint='Like "LinkedIn for sales, 1h a week".'
            )
        )
        return tuple(fields)
    raise ValueError(f"no form for {section!r}")


def apply_form(
    plan: Plan, section: str, values: Mapping[str, str], *, now: datetime, knowledge: Knowledge
) -> FormResult:
    """The plan with the form applied, or the unchanged plan and an error per bad field."""
    cleaned = {k: (v or "").strip() for k, v in values.items()}
    errors = {
        k: f"Please keep this under {MAX_FIELD_CHARS:,} characters."
        for k, v in cleaned.items()
        if len(v) > MAX_FIELD_CHARS
    }
    if errors:
        return FormResult(plan, errors)
    apply = {"purpose": _purpose, "priorities": _priorities, "objectives": _objectives, "tactics": _tactics}
    if section not in apply:
        raise ValueError(f"no form for {section!r}")
    return apply[section](plan, cleaned, now, knowledge)


def _purpose(plan: Plan, v: Mapping[str, str], now: datetime, knowledge: Knowledge) -> FormResult:
    audience = v.get("audience", "")
    if not audience:
        return FormResult(plan, {"audience": "Tell me who you want to reach."})
    if is_vague_audience(audience):
        return FormResult(
            plan, {"audience": "That's everyone. Who already buys from you, and what are they into?"}
        )
    purpose = replace(
        plan.purpose,
        audience=audience,
        why=v.get("why") or None,
        what=v.get("what") or None,
        start_with=v.get("start_with") or None,
    )
    return FormResult(replace(plan, purpose=purpose), {})


def _priorities(plan: Plan, v: Mapping[str, str], now: datetime, knowledge: Knowledge) -> FormResult:
    budget = parse_hours_per_week(v.get("hours_per_week", ""))
    if budget is None or budget <= 0 or budget > 80:
        return FormResult(
            plan, {"hours_per_week": 'A number of hours from 1 to 80, like "5" or "30 min a day".'}
        )
    boundaries = tuple(
        b.strip(" -•*") for b in re.split(r"[\n;]+", v.get("boundaries", "")) if b.strip(" -•*")
    )
    return FormResult(
        replace(plan, priorities=replace(plan.priorities, hours_per_week=budget, boundaries=boundaries[:12])),
        {},
    )


def _objectives(plan: Plan, v: Mapping[str, str], now: datetime, knowledge: Knowledge) -> FormResult:
    errors: dict[str, str] = {}
    kept: list[Objective] = []
    for o in plan.objectives:
        description = v.get(f"{o.id}.description", o.description)
        if not description:
            continue
        changes: dict[str, object] = {"description": description}
        for name in ("target", "baseline"):
            raw = v.get(f"{o.id}.{name}", "")
            number = parse_number(raw) if raw else None
            if raw and number is None:
                errors[f"{o.id}.{name}"] = 'A number, like "80" or "80%".'
            changes[name] = number
        raw_deadline = v.get(f"{o.id}.deadline", "")
        deadline = parse_deadline(raw_deadline, now=now) if raw_deadline else None
        if raw_deadline and deadline is None:
            errors[f"{o.id}.deadline"] = 'A date in the future, like "2027-06-30", "by June" or "end of Q2".'
        changes["deadline"] = deadline
        kept.append(replace(o, **changes))  # type: ignore[arg-type]
    new_text = v.get("new.objective", "")
    if new_text:
        draft = parse_objective(new_text, now=now, knowledge=knowledge)
        if draft.job is None:
            errors["new.objective"] = "Say which job it does: support, trends, sales or community."
        else:
            taken = [int(o.id[1:]) for o in plan.objectives if o.id[1:].isdecimal()]
            kept.append(
                Objective(
                    id=f"o{max(taken, default=0) + 1}",
                    job=draft.job,
                    description=draft.description,
                    metric=draft.metric,
                    baseline=draft.baseline,
                    target=draft.target,
                    unit=draft.unit,
                    deadline=draft.deadline,
                )
            )
    if errors:
        return FormResult(plan, errors)
    ids = {o.id for o in kept}
    tactics = tuple(
        replace(t, objective=None) if t.objective and t.objective not in ids else t for t in plan.tactics
    )
    ranking = tuple(r for r in plan.priorities.ranking if r in ids)
    return FormResult(
        replace(
            plan,
            objectives=tuple(kept),
            tactics=tactics,
            priorities=replace(plan.priorities, ranking=ranking),
        ),
        {},
    )


def _tactics(plan: Plan, v: Mapping[str, str], now: datetime, knowledge: Knowledge) -> FormResult:
    errors: dict[str, str] = {}
    kept: list[Tactic] = []
    for t in plan.tactics:
        keep = v.get(f"{t.id}.keep", "yes")
        if keep == "remove":
            continue
        raw_hours = v.get(f"{t.id}.hours", "")
        budget = parse_hours_per_week(raw_hours) if raw_hours else None
        if raw_hours and budget is None:
            errors[f"{t.id}.hours"] = 'Hours a week, like "2" or "30 min a day".'
        stage = v.get(f"{t.id}.stage", "")
        if stage and stage not in STAGES:
            errors[f"{t.id}.stage"] = "Listen, participate or lead."
        kept.append(
            replace(
                t,
                hours_per_week=budget,
                stage=Stage(stage) if stage in STAGES else t.stage,
                active=keep != "later",
            )
        )
    new_text = v.get("new.tactics", "")
    if new_text:
        mix = parse_tactic_mix(new_text, knowledge=knowledge)
        if not mix.tactics:
            errors["new.tactics"] = 'I couldn\'t find a channel there. Try "LinkedIn for sales, 1h a week".'
        taken = [int(t.id[1:]) for t in plan.tactics if t.id[1:].isdecimal()]
        for n, draft in enumerate(mix.tactics, start=max(taken, default=0) + 1):
            objective = next((o for o in plan.ranked_objectives() if o.job == draft.job), None)
            kept.append(
                Tactic(
                    id=f"t{n}",
                    channel=draft.channel.key or draft.channel.label,
                    label=draft.channel.label,
                    objective=objective.id if objective else None,
                    job=draft.job,
                    goal=draft.job_wording,
                    hours_per_week=draft.hours_per_week,
                    stage=draft.stage,
                )
            )
    if errors:
        return FormResult(plan, errors)
    return FormResult(replace(plan, tactics=tuple(kept)), {})
