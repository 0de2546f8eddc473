"""Weekly slots from APScheduler's CronTrigger, corrected for daylight-saving changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling.triggers import WEEKDAYS, missed_and_next, next_slot, resolve_local


def weekly(weekday: str, at: str, timezone: str, start: datetime, weeks: int) -> list[datetime]:
    slots, cursor = [], start
    for _ in range(weeks):
        cursor = next_slot(weekday, at, timezone, cursor)
        slots.append(cursor)
    return slots


@pytest.mark.parametrize(
    ("timezone", "spring", "autumn"),
    [
        ("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ],
)
def test_nine_oclock_stays_nine_oclock_local_across_both_changes(
    timezone: str, spring: date, autumn: date
) -> None:
    zone = ZoneInfo(timezone)
    for change in (spring, autumn):
        start = datetime.combine(change - timedelta(weeks=3), datetime.min.time(), tzinfo=UTC)
        slots = weekly("monday", "09:00", timezone, start, 6)
        local = [s.astimezone(zone) for s in slots]
        assert all((t.hour, t.minute, t.weekday()) == (9, 0, 0) for t in local), local
        assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(local))
        offsets = {s.astimezone(zone).utcoffset() for s in slots}
        assert len(offsets) == 2  # the UTC instants shift by the hour the clocks moved
        assert all(s.tzinfo is UTC for s in slots)


def test_a_time_the_spring_change_skips_is_moved_to_the_end_of_the_gap_not_dropped() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    slots = weekly("sunday", "02:30", "Europe/Berlin", datetime(2026, 3, 16, tzinfo=UTC), 3)
    assert [s.astimezone(berlin).isoformat() for s in slots] == [
        "2026-03-22T02:30:00+01:00",
        "2026-03-29T03:00:00+02:00",  # 02:00-03:00 does not exist that night
        "2026-04-05T02:30:00+02:00",
    ]
    new_york = ZoneInfo("America/New_York")
    slot = next_slot("sunday", "02:15", "America/New_York", datetime(2026, 3, 7, tzinfo=UTC))
    assert slot.astimezone(new_york).isoformat() == "2026-03-08T03:00:00-04:00"


def test_a_time_the_autumn_change_repeats_fires_once_at_its_first_occurrence() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    slots = weekly("sunday", "02:30", "Europe/Berlin", datetime(2026, 10, 17, tzinfo=UTC), 3)
    assert [s.isoformat() for s in slots] == [
        "2026-10-18T00:30:00+00:00",
        "2026-10-25T00:30:00+00:00",  # 02:30 CEST, the first of the two 02:30s
        "2026-11-01T01:30:00+00:00",
    ]
    # Between the two 02:30s the next slot is a week later, not an hour later.
    between = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert next_slot("sunday", "02:30", "Europe/Berlin", between).astimezone(berlin).date() == date(
        2026, 11, 1
    )


def test_a_day_the_timezone_skips_entirely_still_gets_its_check_in() -> None:
    # Samoa skipped Friday 30 December 2011; CronTrigger alone jumps to the next Friday.
    apia = ZoneInfo("Pacific/Apia")
    slots = weekly("friday", "10:00", "Pacific/Apia", datetime(2011, 12, 20, tzinfo=UTC), 3)
    assert [s.astimezone(apia).isoformat() for s in slots] == [
        "2011-12-23T10:00:00-10:00",
        "2011-12-31T00:00:00+14:00",
        "2012-01-06T10:00:00+14:00",
    ]


def test_paused_until_skips_slots_on_or_before_that_local_date() -> None:
    start = datetime(2026, 3, 4, tzinfo=UTC)
    assert next_slot("monday", "09:00", "UTC", start, paused_until=date(2026, 3, 9)) == datetime(
        2026, 3, 16, 9, tzinfo=UTC
    )
    assert next_slot("monday", "09:00", "UTC", start, paused_until=date(2026, 3, 8)) == datetime(
        2026, 3, 9, 9, tzinfo=UTC
    )


def test_after_long_downtime_only_the_most_recent_missed_slot_counts() -> None:
    due = datetime(2025, 1, 6, 9, tzinfo=UTC)
    now = datetime(2026, 3, 11, 12, tzinfo=UTC)  # a Wednesday, 61 weeks later
    assert missed_and_next("monday", "09:00", "UTC", due=due, now=now) == (
        datetime(2026, 3, 9, 9, tzinfo=UTC),
        datetime(2026, 3, 16, 9, tzinfo=UTC),
    )
    assert missed_and_next("monday", "09:00", "UTC", due=due, now=due) == (due, due + timedelta(weeks=1))


@given(
    weekday=st.sampled_from(WEEKDAYS),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45, 59]),
    timezone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
    start=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
)
def test_slots_are_strictly_increasing_about_a_week_apart_and_on_the_right_weekday(
    weekday: str, hour: int, minute: int, timezone: str, start: datetime
) -> None:
    zone = ZoneInfo(timezone)
    at = f"{hour:02d}:{minute:02d}"
    slots = weekly(weekday, at, timezone, start, 3)
    assert slots[0] > start
    for a, b in itertools.pairwise(slots):
        assert timedelta(days=6, hours=22) <= b - a <= timedelta(days=7, hours=2)
    for slot in slots:
        local = slot.astimezone(zone)
        assert local.weekday() == WEEKDAYS.index(weekday)
        wall = datetime.combine(local.date(), datetime.min.time().replace(hour=hour, minute=minute))
        assert resolve_local(wall, zone) == slot
