"""The working context of one turn, shared by the section handlers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from coaching.checkins import CheckinEntry
from coaching.knowledge import Knowledge
from coaching.model import Plan
from coaching.replies import Choice, Reply, ReplyKind
from coaching.wording import Wording

from .state import ConversationState


@dataclass(frozen=True, slots=True)
class Forget:
    """Delete everything stored about the owner."""


@dataclass(frozen=True, slots=True)
class Snooze:
    """Ask this week's check-in again at ``until``."""

    until: datetime
    week: str


Effect = Forget | Snooze
Outcome = Literal["ok", "retry", "followup"]
"""``ok``: answer taken; ``retry``: unusable, the handler said why and the question is
asked again; ``followup``: the handler asked a sharper follow-up itself."""
CHOICE_SEPARATOR = "|"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the person said to the current question.

    ``value`` is set when they picked a choice (a button, its number or its label);
    ``text`` is their typed words, already cleaned.
    """

    text: str
    value: str | None = None


def choice_id(step: str, subject: str | None, value: str) -> str:
    return CHOICE_SEPARATOR.join((step, subject or "", value))


def split_choice_id(raw: str) -> tuple[str, str | None, str] | None:
    parts = raw.split(CHOICE_SEPARATOR, 2)
    if len(parts) != 3:
        return None
    return parts[0], parts[1] or None, parts[2]


@dataclass(slots=True)
class Turn:
    """Mutable scratch space for a single turn; the engine turns it into immutable results."""

    knowledge: Knowledge
    wording: Wording
    now: datetime
    state: ConversationState
    plan: Plan
    history: tuple[CheckinEntry, ...] = ()
    actor: str | None = None
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    records: list[CheckinEntry] = field(default_factory=list)
    # False when the inbound was not taken as an answer (a button of an older question).
    accepted: bool = True

    def say(self, text: str, kind: ReplyKind = "info") -> None:
        self.replies.append(Reply(text=text, kind=kind))

    def question(
        self,
        step: str,
        subject: str | None,
        text: str,
        options: list[tuple[str, str]] = (),  # type: ignore[assignment]
    ) -> Reply:
        choices = tuple(Choice(id=choice_id(step, subject, v), label=label) for v, label in options)
        return Reply(text=text, choices=choices, kind="question")

    def all_history(self) -> tuple[CheckinEntry, ...]:
        """Stored history with this turn's new answers replacing the same week's old ones."""
        fresh = {(e.week, e.kind, e.subject) for e in self.records}
        kept = tuple(e for e in self.history if (e.week, e.kind, e.subject) not in fresh)
        return kept + tuple(self.records)

    def record(self, entry: CheckinEntry) -> None:
        self.records = [
            e for e in self.records if (e.week, e.kind, e.subject) != (entry.week, entry.kind, entry.subject)
        ]
        self.records.append(entry)

    def words(self, step: str, fieldname: str = "ask", **values: object) -> str:
        return self.wording.question(step, fieldname, **values)

    @property
    def draft(self) -> dict[str, Any]:
        return self.state.draft

    def set_draft(self, **values: Any) -> None:
        self.state = replace(self.state, draft={**self.state.draft, **values})

    def mark(self, key: str) -> None:
        self.state = self.state.with_asked(key)

    def asked(self, key: str) -> bool:
        return key in self.state.asked

    def notice(self, key: str) -> None:
        self.state = self.state.with_notice(key)

    def noticed(self, key: str) -> bool:
        return key in self.state.notices


class Section(Protocol):
    """One POPT stage: which question comes next, how to ask it, how to take the answer."""

    name: str

    def start(self, t: Turn, *, editing: bool) -> None: ...

    def next_question(self, t: Turn) -> tuple[str, str | None] | None: ...

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply: ...

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome: ...

    def skippable(self, step: str) -> bool: ...
