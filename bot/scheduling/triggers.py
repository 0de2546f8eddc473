"""Weekly fire times in the owner's own timezone, safe across daylight-saving changes.

APScheduler's :class:`~apscheduler.triggers.cron.CronTrigger` finds the next matching
weekday and wall-clock time. Two of its answers need correcting for a weekly check-in:

- a wall-clock time a spring-forward skips (02:30 on the night clocks jump from 02:00
  to 03:00) comes back as a non-existent local time. It is *moved* to the first valid
  local time after the gap (03:00), never dropped, so that week still has its check-in;
- a wall-clock time an autumn fall-back repeats (02:30 twice) would fire twice, an
  hour apart. Only the first occurrence counts.

Everything here is pure: the caller passes the instant to start from, so the clock is
whatever the caller's clock says.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Enough to contain one weekly slot whatever a DST change does to it.
_SLOT_WINDOW = timedelta(days=8)


@lru_cache(maxsize=4096)
def _trigger(weekday: str, at: str, timezone: str) -> CronTrigger:
    # Imported here: APScheduler costs ~75 ms to import, and a chat turn never needs it.
    from apscheduler.triggers.cron import CronTrigger

    hour, minute = parse_time(at)
    return CronTrigger(
        day_of_week=WEEKDAYS.index(weekday), hour=hour, minute=minute, timezone=ZoneInfo(timezone)
    )


def parse_time(at: str) -> tuple[int, int]:
    """ "09:30" → (9, 30); anything else is a ValueError."""
    hours, sep, minutes = at.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"time must be HH:MM, not {at!r}")
    parsed = time(int(hours), int(minutes))  # range-checked by time()
    return parsed.hour, parsed.minute


def resolve_local(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a naive wall-clock time stands for in ``zone``.

    An ambiguous time (repeated by a fall-back) is its first occurrence; a time inside
    a spring-forward gap is the end of the gap (the first valid local time after it).
    """
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == wall:
        return min(early, late)
    # In a gap fold=0 uses the offset from before it and lands after the jump, fold=1
    # lands before it: the transition lies in (late, early]. Find it to the second.
    before, after = late, early
    target = after.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle <= before:
            break
        if middle.astimezone(zone).utcoffset() == target:
            after = middle
        else:
            before = middle
    return after


@lru_cache(maxsize=65536)
def next_slot(
    weekday: str, at: str, timezone: str, after: datetime, *, paused_until: date | None = None
) -> datetime:
    """The first weekly slot strictly after ``after``, in UTC.

    Slots on or before ``paused_until`` (a date in the owner's timezone) are passed over.
    Cached: CronTrigger takes a quarter of a millisecond, and the owners due in one pass
    mostly share a handful of schedules (Monday 09:00 in a few timezones) and ``after``.
    """
    zone = ZoneInfo(timezone)
    trigger = _trigger(weekday, at, timezone)
    hm = parse_time(at)
    cursor = after.astimezone(zone) + timedelta(microseconds=1)
    if paused_until is not None:
        resume = resolve_local(datetime.combine(paused_until + timedelta(days=1), time()), zone)
        cursor = max(cursor, resume.astimezone(zone))
    while True:
        candidate = trigger.get_next_fire_time(None, cursor)
        if candidate is None:  # pragma: no cover - a weekly trigger without end date always has one
            raise RuntimeError(f"no next fire time for {weekday} {at} {timezone}")
        slot = resolve_local(candidate.replace(tzinfo=None, fold=0), zone)
        # CronTrigger walks the local calendar through real instants, so a date the
        # timezone skips entirely (Samoa, 30 December 2011) never comes up and that
        # week's slot would vanish: if the same weekday a week earlier is still ahead
        # of the cursor, it was skipped, and it is moved to the end of the gap instead.
        skipped = resolve_local(datetime.combine(candidate.date() - timedelta(days=7), time(*hm)), zone)
        if skipped >= cursor:
            slot = skipped
        if slot > after and (paused_until is None or slot.astimezone(zone).date() > paused_until):
            return slot
        # The repeat of an ambiguous time (its first occurrence already passed): next day.
        next_day = datetime.combine(candidate.date() + timedelta(days=1), time())
        cursor = resolve_local(next_day, zone).astimezone(zone)


def missed_and_next(
    weekday: str,
    at: str,
    timezone: str,
    *,
    due: datetime,
    now: datetime,
    paused_until: date | None = None,
) -> tuple[datetime, datetime]:
    """The most recent slot at or before ``now``, and the first one after it.

    ``due`` (<= now) is a slot not handled yet. After downtime only the most recent of
    the missed slots gets a check-in, so only that one matters. Looks back at most a
    little over a week, so a year of downtime costs the same as a day.
    """
    latest = due
    cursor = max(due, now - _SLOT_WINDOW)
    while (candidate := next_slot(weekday, at, timezone, cursor, paused_until=paused_until)) <= now:
        latest = cursor = candidate
    return latest, candidate
