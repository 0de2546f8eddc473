"""An owner's weekly check-in schedule as stored, and keeping ``next_due_at`` right.

The engine decides the schedule (``schedule friday 10:00``, ``pause``, ``resume``) and
hands it to :meth:`bot.storage.Store.save_turn` as a :class:`ScheduleSpec`; this module
writes it in that turn's transaction and recomputes the next slot whenever something
that moves it changed. Slots before the change are never caught up: a new schedule,
a resume or a pause that ends starts from the next slot after "now".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.scheduling.triggers import WEEKDAYS, next_slot, parse_time
from bot.storage.models import NudgeRow, ScheduleRow


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A weekly check-in: weekday (``"monday"``), local ``"HH:MM"`` and IANA timezone.

    ``paused`` stops check-ins until resumed; ``paused_until`` skips every slot on or
    before that date (in the owner's timezone); ``active`` is false when the owner has
    nothing to check in on (no plan yet).
    """

    weekday: str
    time: str
    timezone: str
    paused: bool = False
    paused_until: date | None = None
    active: bool = True

    def __post_init__(self) -> None:
        if self.weekday not in WEEKDAYS:
            raise ValueError(f"weekday must be one of {', '.join(WEEKDAYS)}, not {self.weekday!r}")
        parse_time(self.time)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {self.timezone!r}") from error

    def next_slot(self, after: datetime) -> datetime | None:
        """The first check-in strictly after ``after`` (UTC), or None while paused or inactive."""
        if self.paused or not self.active:
            return None
        return next_slot(self.weekday, self.time, self.timezone, after, paused_until=self.paused_until)


_SPEC_COLUMNS = (
    ScheduleRow.weekday,
    ScheduleRow.time,
    ScheduleRow.timezone,
    ScheduleRow.paused,
    ScheduleRow.paused_until,
    ScheduleRow.active,
)


def spec_of(values: Sequence[Any]) -> ScheduleSpec:
    """A spec from the six :data:`_SPEC_COLUMNS` of a row, in that order."""
    weekday, at, timezone, paused, paused_until, active = values
    return ScheduleSpec(weekday, at, timezone, bool(paused), paused_until, bool(active))


async def save_schedule(
    connection: AsyncConnection, owner_id: int, spec: ScheduleSpec, now: datetime
) -> None:
    """Insert or update the owner's schedule; recompute the next slot when it moved.

    Also clears ``unreachable_at`` (the owner just took a turn). A pause or a
    deactivation skips what is still waiting in the outbox for the owner.
    """
    current = (
        await connection.execute(
            select(*_SPEC_COLUMNS, ScheduleRow.unreachable_at).where(ScheduleRow.owner_id == owner_id)
        )
    ).first()
    values = {
        "weekday": spec.weekday,
        "time": spec.time,
        "timezone": spec.timezone,
        "paused": spec.paused,
        "paused_until": spec.paused_until,
        "active": spec.active,
        "updated_at": now,
    }
    if current is None:
        await connection.execute(
            insert(ScheduleRow).values(
                owner_id=owner_id, next_due_at=spec.next_slot(now), unreachable_at=None, **values
            )
        )
        return
    changed = astuple(spec_of(current[:6])) != astuple(spec)
    if not changed and current.unreachable_at is None:
        return
    next_due_at = spec.next_slot(now)
    await connection.execute(
        update(ScheduleRow)
        .where(ScheduleRow.owner_id == owner_id)
        .values(next_due_at=next_due_at, unreachable_at=None, unreachable_reason=None, **values)
    )
    if next_due_at is None and changed:
        await skip_pending(connection, owner_id, reason="schedule paused")


async def clear_unreachable(connection: AsyncConnection, owner_id: int, now: datetime) -> None:
    """The owner talked to us, so they can be reached: check-ins resume from the next slot.

    One statement that matches nothing in the common case (the owner was reachable).
    """
    row = (
        await connection.execute(
            update(ScheduleRow)
            .where(ScheduleRow.owner_id == owner_id, ScheduleRow.unreachable_at.is_not(None))
            .values(unreachable_at=None, unreachable_reason=None, updated_at=now)
            .returning(*_SPEC_COLUMNS)
        )
    ).first()
    if row is not None:
        await connection.execute(
            update(ScheduleRow)
            .where(ScheduleRow.owner_id == owner_id)
            .values(next_due_at=spec_of(row).next_slot(now))
        )


async def skip_pending(
    connection: AsyncConnection, owner_id: int, *, reason: str, kinds: tuple[str, ...] | None = None
) -> None:
    """Mark the owner's nudges still waiting to be sent as skipped (claimed ones run on)."""
    query = update(NudgeRow).where(NudgeRow.owner_id == owner_id, NudgeRow.status == "due")
    if kinds is not None:
        query = query.where(NudgeRow.kind.in_(kinds))
    await connection.execute(query.values(status="skipped", last_error=reason))
