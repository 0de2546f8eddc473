"""Stage 2: measurable objectives, each serving one of the four jobs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from dateutil import parser as dateutil_parser

from coaching.markup import escape
from coaching.model import Job, Objective, Priorities
from coaching.parsing import detect_job, is_nothing, parse_deadline, parse_number, parse_objective
from coaching.render import objective_line, objectives_block
from coaching.replies import Reply

from .checks import missing_measures
from .common import (
    answer_list_confirm,
    answer_review,
    confirm_question,
    next_id,
    numbers_in,
    reopen,
)
from .turn import Answer, Outcome, Turn

PREFIX = "objectives."
DONT_KNOW = ("don't know", "dont know", "no idea", "not sure", "unknown", "?")


class ObjectivesSection:
    name = "objectives"

    def start(self, t: Turn, *, editing: bool) -> None:
        reopen(t, (PREFIX,))
        reviewing = editing and bool(t.plan.objectives)
        t.set_draft(reviewing=reviewing, adding=not reviewing, removing=False, current=None, pending=None)

    def next_question(self, t: Turn) -> tuple[str, str | None] | None:
        d = t.draft
        if d.get("reviewing") and not t.asked("objectives.review"):
            return ("objectives.review", None)
        if d.get("removing"):
            return ("objectives.remove", None)
        if d.get("pending"):
            return ("objectives.job", None)
        current = t.plan.objective(d.get("current"))
        if current is not None:
            oid = current.id
            if current.target is None and not t.asked(f"objectives.target:{oid}"):
                return ("objectives.target", oid)
            if (
                current.target is not None
                and current.baseline is None
                and not t.asked(f"objectives.baseline:{oid}")
            ):
                return ("objectives.baseline", oid)
            if current.deadline is None and not t.asked(f"objectives.deadline:{oid}"):
                return ("objectives.deadline", oid)
            if not t.asked(f"objectives.more:{oid}"):
                return ("objectives.more", oid)
        if d.get("adding"):
            return ("objectives.describe", str(len(t.plan.objectives) + 1))
        if not t.asked("objectives.confirm"):
            return ("objectives.confirm", None)
        return None

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply:
        kb = t.knowledge
        if step == "objectives.describe":
            key = "ask_next" if t.plan.objectives else "ask"
            options = [("done", t.words("objectives.more", "done"))] if t.plan.objectives else []
            return t.question(step, subject, t.words(step, key), options)
        if step == "objectives.job":
            pending = t.draft["pending"]
            options = [(job.value, kb.jobs[job].name) for job in Job]
            return t.question(step, None, t.words(step, objective=escape(pending["description"])), options)
        if step in ("objectives.target", "objectives.baseline", "objectives.deadline"):
            o = t.plan.objective(subject)
            return t.question(step, subject, t.words(step, objective=escape(o.description if o else "")))
        if step == "objectives.more":
            o = t.plan.objective(subject)
            text = t.words(step, objective=objective_line(o, kb) if o else "")
            missing = missing_measures(o) if o else ()
            if missing:
                what = " and ".join({"target": "a number", "deadline": "a date"}[m] for m in missing)
                text += "\n" + t.words(step, "vague", missing=what)
            if len(t.plan.objectives) > 3:
                text += "\n" + t.words(step, "too_many", count=len(t.plan.objectives))
            return t.question(
                step, subject, text, [("add", t.words(step, "add")), ("done", t.words(step, "done"))]
            )
        if step == "objectives.remove":
            options = [(o.id, o.description[:70]) for o in t.plan.ranked_objectives()]
            return t.question(step, None, t.words(step), options)
        if step == "objectives.review":
            options = [(v, t.words(step, v)) for v in ("keep", "add", "remove", "restart")]
            return t.question(step, None, t.words(step, summary=objectives_block(t.plan, kb)), options)
        return confirm_question(t, step, objectives_block(t.plan, kb))

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome:
        handler = getattr(self, "_" + step.removeprefix(PREFIX))
        outcome: Outcome = handler(t, subject, a)
        return outcome

    def skippable(self, step: str) -> bool:
        return step in (
            "objectives.describe",
            "objectives.target",
            "objectives.baseline",
            "objectives.deadline",
        )

    def _describe(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        if a.value == "done" or (t.plan.objectives and is_nothing(a.text)):
            t.set_draft(adding=False)
            return "ok"
        parsed = parse_objective(a.text, now=t.now, knowledge=t.knowledge)
        fields: dict[str, Any] = {
            "description": parsed.description,
            "metric": parsed.metric,
            "baseline": parsed.baseline,
            "target": parsed.target,
            "unit": parsed.unit,
            "deadline": parsed.deadline.isoformat() if parsed.deadline else None,
        }
        if parsed.job is None:
            t.set_draft(pending=fields, adding=False)
        else:
            self._create(t, parsed.job, fields)
        return "ok"

    def _create(self, t: Turn, job: Job, fields: dict[str, Any]) -> None:
        oid = next_id("o", [o.id for o in t.plan.objectives])
        deadline = fields.get("deadline")
        objective = Objective(
            id=oid,
            job=job,
            description=fields["description"],
            metric=fields.get("metric"),
            baseline=fields.get("baseline"),
            target=fields.get("target"),
            unit=fields.get("unit"),
            deadline=date.fromisoformat(deadline) if deadline else None,
        )
        t.plan = replace(t.plan, objectives=(*t.plan.objectives, objective))
        t.set_draft(current=oid, pending=None, adding=False)

    def _job(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        job: Job | None = Job(a.value) if a.value is not None and a.value in set(Job) else None
        if job is None:
            mention = detect_job(a.text, t.knowledge)
            job = mention.job if mention else None
        if job is None:
            return "retry"
        self._create(t, job, t.draft["pending"])
        return "ok"

    def _update(self, t: Turn, oid: str | None, **changes: Any) -> None:
        t.plan = replace(
            t.plan,
            objectives=tuple(replace(o, **changes) if o.id == oid else o for o in t.plan.objectives),
        )

    def _target(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        o = t.plan.objective(subject)
        parsed = parse_objective(a.text, now=t.now, knowledge=t.knowledge)
        target = parsed.target if parsed.target is not None else parse_number(a.text)
        if o is None or target is None:
            t.say(t.words("objectives.target", "invalid"), "error")
            return "followup"
        changes: dict[str, Any] = {"target": target}
        if parsed.unit and not o.unit:
            changes["unit"] = parsed.unit
        if parsed.baseline is not None:
            changes["baseline"] = parsed.baseline
        if parsed.deadline and parsed.deadline > t.now.date():
            changes["deadline"] = parsed.deadline
        self._update(t, subject, **changes)
        return "ok"

    def _baseline(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        lowered = a.text.casefold()
        if is_nothing(a.text) or any(p in lowered for p in DONT_KNOW):
            return "ok"
        value = parse_number(a.text)
        if value is None:
            t.say(t.words("objectives.baseline", "invalid"), "error")
            return "followup"
        self._update(t, subject, baseline=value)
        return "ok"

    def _deadline(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        deadline = parse_deadline(a.text, now=t.now)
        if deadline is None and is_past_date(a.text, today=t.now.date()):
            t.say(t.words("objectives.deadline", "past"), "error")
            return "followup"
        if deadline is None:
            t.say(t.words("objectives.deadline", "invalid"), "error")
            return "followup"
        if deadline <= t.now.date():
            t.say(t.words("objectives.deadline", "past"), "error")
            return "followup"
        self._update(t, subject, deadline=deadline)
        return "ok"

    def _more(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        if a.value == "add":
            t.set_draft(adding=True, current=None)
            return "ok"
        if a.value == "done" or is_nothing(a.text):
            t.set_draft(adding=False, current=None)
            return "ok"
        # Anything else typed here is taken as the next objective itself.
        t.set_draft(current=None)
        return self._describe(t, subject, a)

    def _remove(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        ranked = t.plan.ranked_objectives()
        oid = a.value
        if oid is None:
            picks = numbers_in(a.text)
            oid = ranked[picks[0] - 1].id if picks and 0 < picks[0] <= len(ranked) else None
        if t.plan.objective(oid) is None:
            return "retry"
        remove_objectives(t, {oid} if oid else set())
        t.set_draft(removing=False)
        reopen(t, ("objectives.review", "objectives.confirm"))
        return "ok"

    def _review(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        return answer_review(t, a, section="objectives", restart=_restart)

    def _confirm(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        return answer_list_confirm(t, a, section="objectives")


def is_past_date(text: str, *, today: date) -> bool:
    """Whether the answer is a plain calendar date that has already gone by.

    The deadline parser only returns future dates; this tells "that's in the past"
    apart from "that's not a date" so the person gets the right hint.
    """
    try:
        parsed = dateutil_parser.parse(text, dayfirst=True, default=datetime(today.year, 12, 31))
    except (ValueError, OverflowError):
        return False
    return parsed.date() < today


def remove_objectives(t: Turn, ids: set[str]) -> None:
    """Drop objectives; tactics that served them keep their job but lose the link."""
    plan = t.plan
    t.plan = replace(
        plan,
        objectives=tuple(o for o in plan.objectives if o.id not in ids),
        tactics=tuple(replace(x, objective=None) if x.objective in ids else x for x in plan.tactics),
        priorities=Priorities(
            ranking=tuple(r for r in plan.priorities.ranking if r not in ids),
            hours_per_week=plan.priorities.hours_per_week,
            boundaries=plan.priorities.boundaries,
        ),
    )


def _restart(t: Turn) -> None:
    remove_objectives(t, {o.id for o in t.plan.objectives})
