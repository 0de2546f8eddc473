"""Small pieces the section handlers share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from coaching.markup import escape
from coaching.parsing import parse_verdict
from coaching.replies import Reply

from .turn import Answer, Outcome, Turn


def confirm_question(t: Turn, step: str, summary: str) -> Reply:
    return t.question(
        step,
        None,
        t.words(step, summary=summary),
        [("yes", t.words(step, "yes")), ("change", t.words(step, "change"))],
    )


def confirm_value(a: Answer) -> str | None:
    """``yes`` or ``change`` from a button, a number, a label or a plain yes/no."""
    if a.value in ("yes", "change"):
        return a.value
    verdict = parse_verdict(a.text)
    if verdict == "yes":
        return "yes"
    if verdict in ("no", "somewhat"):
        return "change"
    return None


def reopen(t: Turn, steps: tuple[str, ...]) -> None:
    """Forget that a section's questions were asked, so they are asked again."""
    prefixes = tuple(s for s in steps)
    t.state = replace(
        t.state,
        asked=tuple(k for k in t.state.asked if not k.split(":", 1)[0].startswith(prefixes)),
    )


def with_current(text: str, value: str | None, *, editing: bool) -> str:
    if editing and value:
        return f"{text}\n_Now: {escape(value)}_"
    return text


def next_id(prefix: str, existing: list[str]) -> str:
    """``o3`` after ``o1``, ``o2``: ids stay stable when earlier items are removed."""
    numbers = [
        int(i[len(prefix) :]) for i in existing if i.startswith(prefix) and i[len(prefix) :].isdecimal()
    ]
    return f"{prefix}{max(numbers, default=0) + 1}"


def numbers_in(text: str) -> list[int]:
    """Whole numbers in the order typed, for answers like "2 1 3" or "1, 3"."""
    return [int(n) for n in re.findall(r"\d+", text)[:20]]


def answer_review(t: Turn, a: Answer, *, section: str, restart: Callable[[Turn], None]) -> Outcome:
    """The "keep / add / remove / start over" menu that opens an edit of a list section."""
    if a.value == "keep" or confirm_value(a) == "yes":
        t.set_draft(reviewing=False)
        t.mark(f"{section}.confirm")
    elif a.value == "add":
        t.set_draft(reviewing=False, adding=True)
    elif a.value == "remove":
        t.set_draft(removing=True)
    elif a.value == "restart":
        restart(t)
        t.set_draft(reviewing=False, adding=True)
    else:
        return "retry"
    return "ok"


def answer_confirm(t: Turn, a: Answer, *, change: Callable[[Turn], None]) -> Outcome:
    """The end-of-section "is that right?": yes goes on, "change" reopens the section its way."""
    choice = confirm_value(a)
    if choice is None:
        return "retry"
    if choice == "change":
        change(t)
    return "ok"


def answer_list_confirm(t: Turn, a: Answer, *, section: str) -> Outcome:
    """The end-of-section check of a list section; "change" brings back its review menu."""

    def review(t: Turn) -> None:
        reopen(t, (f"{section}.",))
        t.set_draft(reviewing=True)

    return answer_confirm(t, a, change=review)
