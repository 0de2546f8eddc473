"""Stage 3: rank the objectives, set an honest weekly time budget and boundaries."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

from coaching.parsing import is_nothing, parse_hours_per_week
from coaching.render import hours, number, objectives_block, priorities_lines
from coaching.replies import Reply

from .common import answer_confirm, confirm_question, numbers_in, reopen, with_current
from .turn import Answer, Outcome, Turn

STEPS = ("priorities.ranking", "priorities.hours", "priorities.boundaries", "priorities.confirm")
MAX_HOURS = 80
MAX_BOUNDARIES = 12


class PrioritiesSection:
    name = "priorities"

    def start(self, t: Turn, *, editing: bool) -> None:
        reopen(t, STEPS)
        t.set_draft(editing=editing)

    def next_question(self, t: Turn) -> tuple[str, str | None] | None:
        for step in STEPS:
            if step == "priorities.ranking" and len(t.plan.objectives) < 2:
                continue
            if not t.asked(step):
                return (step, None)
        return None

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply:
        editing = bool(t.draft.get("editing"))
        pr = t.plan.priorities
        if step == "priorities.ranking":
            return t.question(step, None, t.words(step, objectives=objectives_block(t.plan, t.knowledge)))
        if step == "priorities.hours":
            key = "ask" if len(t.plan.objectives) >= 2 or editing else "ask_single"
            current = f"{hours(pr.hours_per_week)} a week" if pr.hours_per_week is not None else None
            return t.question(step, None, with_current(t.words(step, key), current, editing=editing))
        if step == "priorities.boundaries":
            current = "; ".join(pr.boundaries) if pr.boundaries else None
            return t.question(step, None, with_current(t.words(step), current, editing=editing))
        summary = "\n".join(f"- {line}" for line in priorities_lines(t.plan))
        return confirm_question(t, step, summary)

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome:
        pr = t.plan.priorities
        if step == "priorities.ranking":
            ranked = t.plan.ranked_objectives()
            picks = [n for n in dict.fromkeys(numbers_in(a.text)) if 0 < n <= len(ranked)]
            if not picks:
                example = " ".join(str(i) for i in range(len(ranked), 0, -1))
                t.say(t.words(step, "invalid", example=example), "error")
                return "followup"
            order = [ranked[n - 1].id for n in picks]
            order += [o.id for o in ranked if o.id not in order]
            t.plan = replace(t.plan, priorities=replace(pr, ranking=tuple(order)))
            return "ok"
        if step == "priorities.hours":
            value = parse_hours_per_week(a.text)
            if value is None:
                t.say(t.words(step, "invalid"), "error")
                return "followup"
            if value <= 0:
                t.say(t.words(step, "zero"), "error")
                return "followup"
            if value > MAX_HOURS:
                t.say(t.words(step, "huge", hours=number(value)), "error")
                return "followup"
            t.plan = replace(t.plan, priorities=replace(pr, hours_per_week=value))
            return "ok"
        if step == "priorities.boundaries":
            if is_nothing(a.text):
                boundaries: tuple[str, ...] = ()
            else:
                parts = (p.strip(" .-•*") for p in re.split(r"[,;\n]+", a.text))
                boundaries = tuple(p for p in parts if p)[:MAX_BOUNDARIES]
            t.plan = replace(t.plan, priorities=replace(pr, boundaries=boundaries))
            return "ok"
        return answer_confirm(t, a, change=partial(self.start, editing=True))

    def skippable(self, step: str) -> bool:
        return step != "priorities.confirm"
