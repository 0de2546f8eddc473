"""The conversation as stored data: a named step plus what it needs to resume anywhere.

Nothing here lives only in memory: the whole state is turned into JSON after every
turn and saved in the same transaction as the plan change it caused, so any replica
can take the next turn and a restart resumes at the same question.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

Mode = Literal["setup", "edit", "idle", "checkin"]
SECTIONS = ("purpose", "objectives", "priorities", "tactics")
ALL_SECTIONS = (*SECTIONS, "timezone", "checkin", "forget")
HISTORY_LIMIT = 8


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Enough to undo one answer with ``back``: the state before it and the plan then."""

    state: dict[str, Any]
    plan: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Where a conversation stands.

    ``step`` names the question being asked (``"tactics.hours"``) and ``subject`` what it
    is about (a tactic or objective id), so a button from an older message can be told
    apart from an answer to the current one.
    """

    mode: Mode = "setup"
    section: str = "purpose"
    step: str | None = None
    subject: str | None = None
    asked: tuple[str, ...] = ()
    draft: dict[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    history: tuple[Snapshot, ...] = ()
    finished: bool = False
    # The state to return to after an edit or a confirmation that interrupted it.
    parked: dict[str, Any] | None = None

    @property
    def question_key(self) -> str | None:
        if self.step is None:
            return None
        return f"{self.step}:{self.subject}" if self.subject else self.step

    def with_asked(self, key: str) -> ConversationState:
        return self if key in self.asked else replace(self, asked=(*self.asked, key))

    def with_notice(self, key: str) -> ConversationState:
        return self if key in self.notices else replace(self, notices=(*self.notices, key))

    def pushed(self, plan_document: dict[str, Any]) -> ConversationState:
        snap = Snapshot(state=self.to_dict(with_history=False), plan=plan_document)
        return replace(self, history=(*self.history, snap)[-HISTORY_LIMIT:])

    def to_dict(self, *, with_history: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mode": self.mode,
            "section": self.section,
            "step": self.step,
            "subject": self.subject,
            "asked": list(self.asked),
            "draft": self.draft,
            "notices": list(self.notices),
            "finished": self.finished,
            "parked": self.parked,
        }
        if with_history:
            data["history"] = [{"state": s.state, "plan": s.plan} for s in self.history]
        return data

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, history: tuple[Snapshot, ...] | None = None
    ) -> ConversationState:
        mode = data.get("mode", "setup")
        if mode not in ("setup", "edit", "idle", "checkin"):
            mode = "setup"
        section = data.get("section", "purpose")
        if section not in ALL_SECTIONS:
            section = "purpose"
        if history is None:
            history = tuple(
                Snapshot(state=h["state"], plan=h["plan"])
                for h in data.get("history", [])
                if isinstance(h, dict) and "state" in h and "plan" in h
            )
        return cls(
            mode=mode,
            section=section,
            step=data.get("step"),
            subject=data.get("subject"),
            asked=tuple(data.get("asked", ())),
            draft=dict(data.get("draft") or {}),
            notices=tuple(data.get("notices", ())),
            history=history,
            finished=bool(data.get("finished", False)),
            parked=data.get("parked") if isinstance(data.get("parked"), dict) else None,
        )
