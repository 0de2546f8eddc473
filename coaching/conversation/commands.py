"""Schedule commands: ``schedule <weekday> <HH:MM>``, ``pause [until DATE]``, ``resume``, ``timezone``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from coaching.parsing import parse_pause_end
from coaching.schedule import describe, parse_clock, parse_weekday

from .checkin import checkins_run
from .timezone import KNOWN as TIMEZONE_KNOWN
from .timezone import resolve_timezone
from .turn import Turn


def schedule_command(t: Turn, command: str, argument: str) -> None:
    schedule = t.plan.schedule

    def text(key: str, **values: object) -> str:
        return t.wording.text("schedule", key, **values)

    def timing(key: str) -> str:
        """The schedule as it now stands, and whether it runs yet."""
        said = text(key, description=describe(t.plan, t.now))
        return said if checkins_run(t.state, t.plan) else f"{said} {text('not_started')}"

    if command == "schedule":
        words = argument.split()
        weekday = next((d for d in (parse_weekday(w) for w in words) if d), None) if words else None
        clock = parse_clock(argument) if argument else None
        if not argument or (weekday is None and clock is None):
            t.say(text("usage"))
            return
        t.plan = replace(
            t.plan,
            schedule=replace(schedule, weekday=weekday or schedule.weekday, time=clock or schedule.time),
        )
        t.say(timing("set"))
    elif command == "pause":
        wanted = argument.strip()
        if not wanted:
            t.plan = replace(t.plan, schedule=replace(schedule, paused=True, paused_until=None))
            t.say(text("paused"))
            return
        until = parse_pause_end(wanted, now=t.now)
        if until is None:
            # A date that would have been read ten years ago has passed; anything else is unreadable.
            past = parse_pause_end(wanted, now=t.now - timedelta(days=3653)) is not None
            t.say(text("pause_past" if past else "pause_usage"), "error")
            return
        t.plan = replace(t.plan, schedule=replace(schedule, paused=False, paused_until=until))
        t.say(timing("paused_until"))
    elif command == "resume":
        t.plan = replace(t.plan, schedule=replace(schedule, paused=False, paused_until=None))
        t.say(timing("resumed"))
    elif command == "timezone":
        zone = resolve_timezone(argument) if argument.strip() else None
        if zone is None:
            t.say(text("timezone_invalid" if argument.strip() else "timezone_ask"), "error")
            return
        t.plan = replace(t.plan, timezone=zone)
        t.notice(TIMEZONE_KNOWN)
        t.say(text("timezone_set", timezone=zone))
