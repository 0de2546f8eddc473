"""Retention: deleting what the coach no longer needs, by age (``coach db prune``, daily in serve).

Three kinds of rows only ever grow:

- ``checkin_entries``: the weekly answers. Kept ``checkin_days`` after they were given
  (default two years, ``COACH_CHECKIN_RETENTION_DAYS``; ``none`` keeps them for ever). The
  coach itself reads 26 weeks back; the rest is the owner's own record of progress.
- ``processed_events``: ids of platform events already handled, kept only to recognise a
  retry. Platforms retry within minutes (Slack: three retries within about five minutes), so
  ``event_hours`` (default 48) is ample; after that an event id is just a trace of who
  wrote when.
- ``nudges`` that are over (sent, skipped, failed): pruned with the same cutoff as the
  answers they asked for. Open ones (due, claimed) are never touched.

Why deleting old nudges cannot make the bot send a past check-in again: the outbox's
unique key (owner, kind, slot) is what stops a slot being sent twice, so a deleted row no
longer guards its slot. But no slot older than "now" is ever enqueued a second time:
:meth:`bot.storage.Outbox.enqueue_due` enqueues a check-in only for the schedule's
``next_due_at`` or a later slot, and moves ``next_due_at`` past it in the same
transaction; a changed schedule restarts after "now". A reminder reuses its check-in's
slot, but only for a check-in sent in the last
:data:`~bot.storage.outbox.REMINDER_WINDOW` (6 days), and a snooze's slot is in the
future. So rows whose slot and send time are both older than :data:`MIN_CHECKIN_DAYS`
guard nothing any more, and the prune refuses a shorter cutoff.

Deletes run in small batches, each its own short transaction, so a prune of a large
backlog never holds SQLite's single write lock (or PostgreSQL row locks) long enough to
stall a turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, inspect, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import SQLITE_BEGIN_OPTION, write_lock
from bot.storage.models import Base, CheckinEntryRow, NudgeRow, ProcessedEventRow
from bot.storage.sql import utc

#: The shortest check-in retention allowed: four weeks, well past the week a missed
#: check-in may still be sent in and the six days a reminder looks back (see above).
MIN_CHECKIN_DAYS = 28

#: Nudge statuses that are over; ``due`` and ``claimed`` rows are work still to do.
FINISHED_NUDGES = ("sent", "skipped", "failed")

#: Rows deleted per transaction.
BATCH = 1000


@dataclass(frozen=True, slots=True)
class PruneReport:
    """How many rows one prune deleted, per table."""

    checkin_entries: int = 0
    processed_events: int = 0
    nudges: int = 0


async def _delete_in_batches(
    engine: AsyncEngine, model: type[Base], condition: ColumnElement[bool], batch: int
) -> int:
    """Delete the rows matching ``condition``, ``batch`` at a time; returns how many went."""
    key = list(inspect(model).primary_key)
    target = key[0] if len(key) == 1 else tuple_(*key)
    writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    removed = 0
    while True:
        chosen = select(*key).where(condition).limit(batch)
        if engine.dialect.name == "postgresql":
            # Rows a turn is writing right now are left for the next batch or day.
            chosen = chosen.with_for_update(skip_locked=True)
        async with write_lock(engine), writer.begin() as connection:
            deleted = (await connection.execute(delete(model).where(target.in_(chosen)))).rowcount
        removed += deleted
        if deleted < batch:
            return removed


async def prune(
    engine: AsyncEngine,
    *,
    now: datetime,
    checkin_days: int | None,
    event_hours: float,
    batch: int = BATCH,
) -> PruneReport:
    """Delete check-in answers, finished nudges and processed events past their retention.

    ``checkin_days`` None keeps answers and nudges for ever; processed events always
    expire after ``event_hours``. Idempotent and safe to run from several replicas at
    once (the loser of a race just deletes fewer rows).
    """
    now = utc(now)
    if checkin_days is not None and checkin_days < MIN_CHECKIN_DAYS:
        raise ValueError(f"check-in retention must be at least {MIN_CHECKIN_DAYS} days, not {checkin_days}")
    if event_hours <= 0:
        raise ValueError("processed events must be kept for some hours, or retries would be handled twice")
    if batch <= 0:
        raise ValueError("the batch size must be positive")
    events = await _delete_in_batches(
        engine,
        ProcessedEventRow,
        ProcessedEventRow.created_at < now - timedelta(hours=event_hours),
        batch,
    )
    if checkin_days is None:
        return PruneReport(processed_events=events)
    cutoff = now - timedelta(days=checkin_days)
    answers = await _delete_in_batches(engine, CheckinEntryRow, CheckinEntryRow.created_at < cutoff, batch)
    nudges = await _delete_in_batches(
        engine,
        NudgeRow,
        and_(
            NudgeRow.slot < cutoff,
            NudgeRow.status.in_(FINISHED_NUDGES),
            or_(NudgeRow.sent_at.is_(None), NudgeRow.sent_at < cutoff),
        ),
        batch,
    )
    return PruneReport(checkin_entries=answers, processed_events=events, nudges=nudges)
