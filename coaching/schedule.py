"""The weekly check-in schedule as the person sees it: parsing commands, showing the next one.

The scheduler in ``bot/`` computes fire times with APScheduler; this module only needs
the next occurrence for a friendly reply, so plain ``zoneinfo`` arithmetic is enough.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapidfuzz import process

from coaching.document import WEEKDAYS
from coaching.model import Plan, Schedule

_TIME = re.compile(r"\b(\d{1,2})(?::|\.|h)?(\d{2})?\s*(am|pm)?\b", re.IGNORECASE)


def parse_weekday(word: str) -> str | None:
    """ "mon", "Monday", "mondays", "tuesdy" → the weekday's full name."""
    word = word.strip().casefold().rstrip("s")
    if len(word) < 2:
        return None
    prefixed = [d for d in WEEKDAYS if d.startswith(word[:3])]
    if len(prefixed) == 1:
        return prefixed[0]
    match = process.extractOne(word, WEEKDAYS, score_cutoff=80)
    return str(match[0]) if match else None


def parse_clock(text: str) -> str | None:
    """ "9", "09:30", "9am", "5.30pm", "17h" → "HH:MM", or None."""
    m = _TIME.search(text)
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    meridiem = (m.group(3) or "").casefold()
    if meridiem == "pm" and hour < 12:
        hour += 12
    if meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def next_checkin(plan: Plan, now: datetime) -> datetime | None:
    """The next scheduled check-in in the owner's timezone, honouring pauses."""
    s = plan.schedule
    if s.paused:
        return None
    zone = ZoneInfo(plan.timezone)
    local_now = now.astimezone(zone)
    start = local_now.date()
    if s.paused_until and s.paused_until >= start:
        start = s.paused_until + timedelta(days=1)
    hour, minute = (int(x) for x in s.time.split(":"))
    weekday = WEEKDAYS.index(s.weekday)
    for offset in range(0, 15):
        day = start + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        candidate = _local(day, time(hour, minute), zone)
        if candidate > local_now:
            return candidate
    return None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day; one that a DST jump skips moves forward by the gap."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:
        return round_trip
    return aware


def is_paused(schedule: Schedule, today: date) -> bool:
    return schedule.paused or (schedule.paused_until is not None and schedule.paused_until >= today)


def describe(plan: Plan, now: datetime, *, upcoming: datetime | None = None) -> str:
    """ "every Monday at 09:00 (Europe/Berlin); next on Monday 7 December" in plain words.

    ``upcoming`` is the next check-in when the caller knows better than the schedule
    (this week's is answered already, so the next one asked is next week's)."""
    s = plan.schedule
    base = f"every {s.weekday.capitalize()} at {s.time} ({plan.timezone})"
    if s.paused:
        return base + ", paused until you say **resume**"
    upcoming = upcoming or next_checkin(plan, now)
    if upcoming is None:
        return base
    when = f"{upcoming:%A} {upcoming.day} {upcoming:%B}"
    if s.paused_until and s.paused_until >= now.astimezone(ZoneInfo(plan.timezone)).date():
        return f"{base}, paused until {s.paused_until.isoformat()}; next on {when}"
    return f"{base}; next on {when}"
