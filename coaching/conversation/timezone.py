"""Asking for the owner's timezone once, when the platform could not tell us."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import process

from coaching.replies import Reply

from .turn import Answer, Outcome, Turn

KNOWN = "timezone"


@cache
def _places() -> dict[str, str]:
    """ "berlin" → "Europe/Berlin", "new york" → "America/New_York", plus every full name."""
    places: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/")) or "/" not in name:
            continue
        places.setdefault(name.rsplit("/", 1)[-1].replace("_", " ").casefold(), name)
        places[name.casefold()] = name
    return places


def resolve_timezone(text: str) -> str | None:
    """A zone name from "Europe/Berlin", "berlin", "Berln", "UTC"; None when unsure."""
    cleaned = text.strip().strip(".").replace(" ", "_") if "/" in text else text.strip().strip(".")
    if not cleaned or len(cleaned) > 64:
        return None
    try:
        ZoneInfo(cleaned)
        return cleaned
    except (ZoneInfoNotFoundError, ValueError):
        pass
    match = process.extractOne(cleaned.casefold(), list(_places()), score_cutoff=90)
    return _places()[str(match[0])] if match else None


class TimezoneSection:
    name = "timezone"

    def start(self, t: Turn, *, editing: bool) -> None:
        return None

    def next_question(self, t: Turn) -> tuple[str, str | None] | None:
        return None if t.noticed(KNOWN) or t.asked("setup.timezone") else ("setup.timezone", None)

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply:
        return t.question(step, None, t.wording.text("schedule", "timezone_ask"))

    def why(self, t: Turn, step: str) -> str:
        return t.wording.text("schedule", "timezone_why")

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome:
        zone = resolve_timezone(a.text)
        if zone is None:
            t.say(t.wording.text("schedule", "timezone_invalid"), "error")
            return "followup"
        t.plan = replace(t.plan, timezone=zone)
        t.notice(KNOWN)
        t.say(t.wording.text("schedule", "timezone_set", timezone=zone))
        return "ok"

    def skippable(self, step: str) -> bool:
        return True
