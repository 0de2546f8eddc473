"""The one confirmation that stands outside POPT: deleting everything."""

from __future__ import annotations

from coaching.replies import Reply

from .turn import Answer, Forget, Outcome, Turn


class ForgetSection:
    name = "forget"

    def start(self, t: Turn, *, editing: bool) -> None:
        return None

    def next_question(self, t: Turn) -> tuple[str, str | None] | None:
        return None if t.asked("forget.confirm") else ("forget.confirm", None)

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply:
        options = [("yes", t.words(step, "yes")), ("no", t.words(step, "no"))]
        return t.question(step, None, t.words(step), options)

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome:
        if a.value == "yes":
            t.effects.append(Forget())
            t.say(t.wording.text("control", "forgotten"))
            return "ok"
        if a.value == "no" or a.text:
            t.say(t.wording.text("control", "kept"))
            return "ok"
        return "retry"

    def skippable(self, step: str) -> bool:
        return False
