"""Stage 1: who the audience is, why they should care, what we want, who to start with."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from coaching.markup import escape
from coaching.parsing import is_small_talk, is_unsure, is_vague_audience
from coaching.render import purpose_lines
from coaching.replies import Reply

from .common import answer_confirm, confirm_question, reopen, with_current
from .turn import Answer, Outcome, Turn

FIELDS = {
    "purpose.audience": "audience",
    "purpose.why": "why",
    "purpose.what": "what",
    "purpose.start_with": "start_with",
}
STEPS = (*FIELDS, "purpose.confirm")


class PurposeSection:
    name = "purpose"

    def start(self, t: Turn, *, editing: bool) -> None:
        reopen(t, STEPS)
        t.set_draft(editing=editing, audience_pushed=False)

    def next_question(self, t: Turn) -> tuple[str, str | None] | None:
        return next(((s, None) for s in STEPS if not t.asked(s)), None)

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply:
        if step == "purpose.confirm":
            summary = "\n".join(f"- {line}" for line in purpose_lines(t.plan))
            return confirm_question(t, step, summary)
        current = getattr(t.plan.purpose, FIELDS[step])
        return t.question(
            step, None, with_current(t.words(step), current, editing=bool(t.draft.get("editing")))
        )

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome:
        if step == "purpose.confirm":
            return answer_confirm(t, a, change=partial(self.start, editing=True))
        idle = "small_talk" if is_small_talk(a.text) else "unsure" if is_unsure(a.text) else None
        if step in FIELDS and idle is not None:
            # Nothing worth keeping as a purpose: say so, and ask again.
            t.say(t.wording.text("control", idle, section=self.name))
            t.replies.append(self.ask(t, step, subject))
            return "followup"
        if step == "purpose.audience" and is_vague_audience(a.text) and not t.draft.get("audience_pushed"):
            t.set_draft(audience_pushed=True)
            t.replies.append(t.question(step, None, t.words(step, "vague", answer=escape(a.text))))
            return "followup"
        t.plan = replace(t.plan, purpose=replace(t.plan.purpose, **{FIELDS[step]: a.text}))
        return "ok"

    def skippable(self, step: str) -> bool:
        return step != "purpose.confirm"
