"""Check-in history: what a person said about each tactic and metric, week by week.

The engine reads past entries to adapt the plan and emits new ones; storage keeps
them per owner, week and subject, so answering the same question twice in a week
replaces the earlier answer instead of piling up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

Verdict = Literal["yes", "somewhat", "no"]
EntryKind = Literal["verdict", "metric", "note"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckinEntry:
    """One answer in one week's check-in.

    ``subject`` is the tactic id for a verdict, the objective id for a metric reading,
    and ``""`` for the week's note.
    """

    week: str
    kind: EntryKind
    subject: str
    at: datetime
    verdict: Verdict | None = None
    value: float | None = None
    text: str | None = None
    answered_by: str | None = None


def week_key(instant: datetime, timezone: str) -> str:
    """The ISO week ("2026-W49") an instant falls in, in the owner's own timezone."""
    local = instant.astimezone(ZoneInfo(timezone))
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def entry_to_dict(entry: CheckinEntry) -> dict[str, object]:
    return {
        "week": entry.week,
        "kind": entry.kind,
        "subject": entry.subject,
        "at": entry.at.isoformat(),
        "verdict": entry.verdict,
        "value": entry.value,
        "text": entry.text,
        "answered_by": entry.answered_by,
    }
