"""The nudge outbox as the dispatcher sees it: enqueue, claim, record what happened.

Every write is one short transaction, and none is open while a message is being sent:
a claim is committed before the send, and its outcome is written after it. That is
what lets two replicas share the table without waiting on each other (PostgreSQL
``FOR UPDATE SKIP LOCKED``) and a crashed worker's rows come back once their lease
runs out.

Idempotency rests on the unique key (owner, kind, slot): enqueueing a slot twice, from
two replicas or after a restart, inserts one row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Dialect, bindparam, exists, null, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import aliased

from bot.scheduling.triggers import missed_and_next
from bot.storage.bulk import BulkStatement, constant, driver_time
from bot.storage.engine import SQLITE_BEGIN_OPTION, write_lock
from bot.storage.models import CLAIMABLE, CheckinEntryRow, NudgeRow, OwnerRow, ScheduleRow, UTCDateTime
from bot.storage.schedules import skip_pending
from bot.storage.sql import owner_kind, upsert, upsert_for, utc
from coaching.checkins import week_key
from coaching.model import Owner

NudgeKind = Literal["checkin", "reminder", "snooze"]

#: A reminder goes out this long after an unanswered check-in, unless the next is as close.
REMINDER_AFTER = timedelta(hours=24)

#: Check-ins sent longer ago than this get no reminder any more (the next one is near).
REMINDER_WINDOW = timedelta(days=6)


@dataclass(frozen=True, slots=True)
class ClaimedNudge:
    """A nudge this worker holds the claim on; ``attempts`` counts this claim too."""

    id: int
    owner: Owner
    kind: NudgeKind
    slot: datetime
    week: str
    due_at: datetime
    attempts: int

    @property
    def key(self) -> str:
        """The idempotency key as text, unique across owners, platforms and tenants."""
        o = self.owner
        return f"{o.platform}/{o.tenant}/{o.subject}/{self.kind}/{self.slot:%Y-%m-%dT%H:%M:%SZ}"


# -- outcomes of a claimed nudge -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    id: int
    message_ref: str | None


@dataclass(frozen=True, slots=True)
class Skipped:
    """Nothing to say (compose returned no replies)."""

    id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure: back to due at ``at``."""

    id: int
    at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class Failed:
    """Given up; ``unreachable`` also marks the owner unreachable (a permanent failure)."""

    id: int
    error: str
    unreachable: bool


@dataclass(frozen=True, slots=True)
class Released:
    """Claimed but never started (shutdown): due again at once, the claim not counted."""

    id: int


Outcome = Sent | Skipped | Retry | Failed | Released


def _claimable() -> Any:
    # Literal text, the same as the partial index's predicate: both PostgreSQL and
    # SQLite use a partial index only when they can see the query implies it.
    return sql_text(CLAIMABLE)


def _schedule_due(now: Any) -> tuple[Any, ...]:
    """Schedules :meth:`Outbox.enqueue_due` would turn into a check-in at ``now``."""
    return (
        ScheduleRow.next_due_at <= now,
        ScheduleRow.active,
        ~ScheduleRow.paused,
        ScheduleRow.unreachable_at.is_(None),
    )


def _claim_statement(platforms: Sequence[str], worker: str) -> Any:
    """One ``UPDATE ... RETURNING`` that picks due rows and claims them.

    A row waits while its owner's schedule still has a check-in to enqueue: that
    check-in may supersede it (an earlier week's nudge left over from downtime), and a
    claim racing the enqueue, in this pass or another replica's, would send both.
    """
    now, expires = bindparam("b_now", type_=UTCDateTime()), bindparam("b_expires", type_=UTCDateTime())
    picked = (
        select(NudgeRow.id)
        .where(
            _claimable(),
            NudgeRow.next_attempt_at <= now,
            NudgeRow.platform.in_(platforms),
            ~exists().where(ScheduleRow.owner_id == NudgeRow.owner_id, *_schedule_due(now)),
        )
        .order_by(NudgeRow.next_attempt_at)
        .limit(bindparam("b_limit"))
        .with_for_update(skip_locked=True)
    )
    owner = select(OwnerRow).where(OwnerRow.id == NudgeRow.owner_id)
    return (
        update(NudgeRow)
        .where(NudgeRow.id.in_(picked.scalar_subquery()))
        .values(
            status="claimed",
            claimed_by=worker,
            claim_expires_at=expires,
            next_attempt_at=expires,
            attempts=NudgeRow.attempts + 1,
        )
        # SQLite's RETURNING cannot name an UPDATE ... FROM table: the owner comes from
        # scalar subqueries (primary-key lookups) on both backends.
        .returning(
            NudgeRow.id,
            NudgeRow.kind,
            NudgeRow.slot,
            NudgeRow.week,
            NudgeRow.due_at,
            NudgeRow.attempts,
            NudgeRow.platform,
            owner.with_only_columns(OwnerRow.tenant).scalar_subquery(),
            owner.with_only_columns(OwnerRow.subject).scalar_subquery(),
            owner.with_only_columns(OwnerRow.kind).scalar_subquery(),
        )
    )


@dataclass(frozen=True, slots=True)
class _PlannedSlot:
    """What one schedule (weekday, time, timezone, pause, slot due) means as of a pass:
    the slot to check in for, its week, and the slot after it, as the driver stores them."""

    slot: datetime | str
    week: str
    following: datetime | str

    @classmethod
    def of(cls, group: tuple[Any, ...], *, now: datetime, dialect: Dialect) -> _PlannedSlot:
        weekday, at, timezone, paused_until, due = group
        slot, following = missed_and_next(weekday, at, timezone, due=due, now=now, paused_until=paused_until)
        return cls(driver_time(dialect, slot), week_key(slot, timezone), driver_time(dialect, following))


_INSERT_CHECKIN = BulkStatement(
    lambda dialect: (
        upsert_for(dialect, NudgeRow)
        .values(kind=constant("checkin"), status=constant("due"), attempts=constant(0))
        .on_conflict_do_nothing(index_elements=["owner_id", "kind", "slot"])
    ),
    columns=["owner_id", "platform", "slot", "week", "due_at", "next_attempt_at"],
)

_MOVE_SCHEDULE = BulkStatement(
    lambda _: (
        update(ScheduleRow)
        .where(ScheduleRow.owner_id == bindparam("b_owner"))
        .values(next_due_at=bindparam("b_next"))
    )
)


#: The outcome of nearly every claim, so it goes the driver's fast way (see :mod:`bot.storage.bulk`).
_MARK_SENT = BulkStatement(
    lambda _: (
        update(NudgeRow)
        .where(
            NudgeRow.id == bindparam("b_id"),
            NudgeRow.status == constant("claimed"),
            NudgeRow.claimed_by == bindparam("b_worker"),
        )
        .values(
            status=constant("sent"),
            sent_at=bindparam("b_at"),
            message_ref=bindparam("b_ref"),
            claim_expires_at=null(),
            last_error=null(),
        )
    )
)


class Outbox:
    """The dispatcher's repository over ``schedules`` and ``nudges``."""

    def __init__(self, engine: AsyncEngine) -> None:
        # Writers take SQLite's write lock at BEGIN, so a claim's read and update are
        # one atomic step there (PostgreSQL gets the same from row locks).
        self._writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._engine = engine
        self._claims: dict[tuple[tuple[str, ...], str], Any] = {}

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        async with write_lock(self._engine), self._writer.begin() as connection:
            yield connection

    # -- enqueue -----------------------------------------------------------------------

    async def enqueue_due(
        self, now: datetime, *, batch: int = 500, on_batch: Callable[[], object] | None = None
    ) -> int:
        """Turn every schedule whose next slot has come into at most one check-in nudge.

        After downtime only the latest missed slot gets a nudge; the older ones are
        dropped, and so is anything of an earlier week still waiting to be sent (its
        platform could not be reached meanwhile). A week that already has a check-in
        (the schedule was moved within the week) gets no second one. Returns the
        number of nudges written; ``on_batch`` is called after each committed batch, so a
        dispatcher can send what is enqueued while the rest is still being worked out.
        """
        now = utc(now)
        total = 0
        while True:
            async with self._transaction() as connection:
                written, seen = await self._enqueue_batch(connection, now, batch)
            total += written
            if on_batch is not None:
                on_batch()
            if seen < batch:
                return total

    async def _enqueue_batch(self, connection: AsyncConnection, now: datetime, batch: int) -> tuple[int, int]:
        rows = (
            await connection.execute(
                select(
                    ScheduleRow.owner_id,
                    OwnerRow.platform,
                    ScheduleRow.weekday,
                    ScheduleRow.time,
                    ScheduleRow.timezone,
                    ScheduleRow.paused_until,
                    ScheduleRow.next_due_at,
                )
                .join(OwnerRow, OwnerRow.id == ScheduleRow.owner_id)
                .where(*_schedule_due(now))
                .order_by(ScheduleRow.next_due_at)
                .limit(batch)
                .with_for_update(of=ScheduleRow, skip_locked=True)
            )
        ).all()
        if not rows:
            return 0, 0
        dialect = connection.dialect
        driver_now = driver_time(dialect, now)
        slots: dict[tuple[Any, ...], _PlannedSlot] = {}
        planned: list[dict[str, Any]] = []
        moves: list[dict[str, Any]] = []
        for owner_id, platform, weekday, at, timezone, paused_until, due in rows:
            group = (weekday, at, timezone, paused_until, due)
            slot = slots.get(group)
            if slot is None:  # owners due together mostly share a schedule: worked out once
                slot = slots[group] = _PlannedSlot.of(group, now=now, dialect=dialect)
            moves.append({"b_owner": owner_id, "b_next": slot.following})
            planned.append(
                {
                    "owner_id": owner_id,
                    "platform": platform,
                    "slot": slot.slot,
                    "week": slot.week,
                    "due_at": driver_now,
                    "next_attempt_at": driver_now,
                }
            )
        taken = await self._weeks_with_checkin(connection, planned)
        fresh = [p for p in planned if (p["owner_id"], p["week"]) not in taken]
        if fresh:
            # Whatever still waits for these owners belongs to an earlier week (its
            # platform's dispatcher was down too): superseded, so they get one check-in.
            await connection.execute(
                update(NudgeRow)
                .where(NudgeRow.owner_id.in_([p["owner_id"] for p in fresh]), NudgeRow.status == "due")
                .values(status="skipped", last_error="superseded by a later check-in")
            )
            await _INSERT_CHECKIN.execute(connection, fresh)
        await _MOVE_SCHEDULE.execute(connection, moves)
        return len(fresh), len(rows)

    @staticmethod
    async def _weeks_with_checkin(
        connection: AsyncConnection, planned: Sequence[dict[str, Any]]
    ) -> set[tuple[int, str]]:
        owners = {p["owner_id"] for p in planned}
        weeks = {p["week"] for p in planned}
        found = await connection.execute(
            select(NudgeRow.owner_id, NudgeRow.week).where(
                NudgeRow.kind == "checkin", NudgeRow.owner_id.in_(owners), NudgeRow.week.in_(weeks)
            )
        )
        return {(int(owner_id), str(week)) for owner_id, week in found}

    async def enqueue_reminders(self, now: datetime) -> int:
        """One reminder for each check-in left unanswered for :data:`REMINDER_AFTER`.

        Only for the owner's latest check-in, only when that week has no answer and no
        reminder or snooze yet, and only when the next check-in is more than
        :data:`REMINDER_AFTER` away. The reminder's slot is the check-in's, so the
        unique key allows exactly one per check-in however often this runs.
        """
        now = utc(now)
        checkin = aliased(NudgeRow)
        other = aliased(NudgeRow)
        query = (
            select(
                checkin.owner_id,
                checkin.platform,
                checkin.slot,
                checkin.week,
                ScheduleRow.timezone,
                ScheduleRow.paused_until,
            )
            .join(ScheduleRow, ScheduleRow.owner_id == checkin.owner_id)
            .where(
                checkin.kind == "checkin",
                checkin.sent_at <= now - REMINDER_AFTER,
                checkin.sent_at > now - REMINDER_WINDOW,
                checkin.status == "sent",
                ScheduleRow.active,
                ~ScheduleRow.paused,
                ScheduleRow.unreachable_at.is_(None),
                ScheduleRow.next_due_at > now + REMINDER_AFTER,
                ~exists().where(
                    other.owner_id == checkin.owner_id,
                    other.kind.in_(("reminder", "snooze")),
                    other.week == checkin.week,
                ),
                ~exists().where(
                    other.owner_id == checkin.owner_id, other.kind == "checkin", other.slot > checkin.slot
                ),
                ~exists().where(
                    CheckinEntryRow.owner_id == checkin.owner_id, CheckinEntryRow.week == checkin.week
                ),
            )
        )
        async with self._transaction() as connection:
            rows = (await connection.execute(query)).all()
            reminders = [
                {
                    "owner_id": owner_id,
                    "platform": platform,
                    "kind": "reminder",
                    "slot": slot,
                    "week": week,
                    "status": "due",
                    "due_at": now,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for owner_id, platform, slot, week, timezone, paused_until in rows
                if not _paused_on(paused_until, now, timezone)
            ]
            if reminders:
                await connection.execute(
                    upsert(connection, NudgeRow).on_conflict_do_nothing(
                        index_elements=["owner_id", "kind", "slot"]
                    ),
                    reminders,
                )
        return len(reminders)

    # -- claim and record --------------------------------------------------------------

    async def claim(
        self,
        *,
        now: datetime,
        limit: int,
        platforms: Sequence[str],
        worker: str,
        lease: timedelta,
    ) -> list[ClaimedNudge]:
        """Claim up to ``limit`` due nudges of ``platforms`` for ``worker``, committed on return.

        Due rows, and claimed rows whose lease has run out (their worker died), are
        claimable. The claim sets the lease and counts an attempt; the caller must not
        send anything before this returns.
        """
        now = utc(now)
        if limit <= 0 or not platforms:
            return []
        statement = self._claims.get((tuple(platforms), worker))
        if statement is None:
            statement = self._claims[(tuple(platforms), worker)] = _claim_statement(platforms, worker)
        async with self._transaction() as connection:
            parameters = {"b_now": now, "b_expires": now + lease, "b_limit": limit}
            rows = await connection.execute(statement, parameters)
            claimed = [
                ClaimedNudge(
                    id=nudge_id,
                    owner=Owner(platform, tenant, subject, owner_kind(of_kind)),
                    kind=kind,
                    slot=slot,
                    week=week,
                    due_at=due_at,
                    attempts=attempts,
                )
                for (nudge_id, kind, slot, week, due_at, attempts, platform, tenant, subject, of_kind) in rows
            ]
        claimed.sort(key=attrgetter("due_at", "id"))
        return claimed

    async def record(self, outcomes: Iterable[Outcome], *, worker: str, now: datetime) -> None:
        """Write what happened to claimed nudges, in one transaction.

        Each update applies only while ``worker`` still holds the claim: a row whose
        lease ran out and was claimed by another worker is that worker's to settle.
        """
        now = utc(now)
        by_kind: dict[type[Outcome], list[Any]] = {}
        for outcome in outcomes:
            by_kind.setdefault(type(outcome), []).append(outcome)
        if not by_kind:
            return
        mine = (
            NudgeRow.id == bindparam("b_id"),
            NudgeRow.status == "claimed",
            NudgeRow.claimed_by == worker,
        )
        async with self._transaction() as connection:
            if sent := by_kind.get(Sent):
                at = driver_time(connection.dialect, now)
                await _MARK_SENT.execute(
                    connection,
                    [{"b_id": o.id, "b_ref": o.message_ref, "b_worker": worker, "b_at": at} for o in sent],
                )
            if skipped := by_kind.get(Skipped):
                await connection.execute(
                    update(NudgeRow)
                    .where(*mine)
                    .values(status="skipped", claim_expires_at=None, last_error=bindparam("b_error")),
                    [{"b_id": o.id, "b_error": o.reason} for o in skipped],
                )
            if retries := by_kind.get(Retry):
                await connection.execute(
                    update(NudgeRow)
                    .where(*mine)
                    .values(
                        status="due",
                        claimed_by=None,
                        claim_expires_at=None,
                        next_attempt_at=bindparam("b_at"),
                        last_error=bindparam("b_error"),
                    ),
                    [{"b_id": o.id, "b_at": utc(o.at), "b_error": o.error} for o in retries],
                )
            if released := by_kind.get(Released):
                await connection.execute(
                    update(NudgeRow)
                    .where(*mine)
                    .values(
                        status="due",
                        claimed_by=None,
                        claim_expires_at=None,
                        next_attempt_at=now,
                        attempts=NudgeRow.attempts - 1,
                    ),
                    [{"b_id": o.id} for o in released],
                )
            if failed := by_kind.get(Failed):
                await self._record_failed(connection, failed, worker=worker, now=now)

    @staticmethod
    async def _record_failed(
        connection: AsyncConnection, failed: Sequence[Failed], *, worker: str, now: datetime
    ) -> None:
        owners = dict(
            (
                await connection.execute(
                    update(NudgeRow)
                    .where(
                        NudgeRow.id.in_([o.id for o in failed]),
                        NudgeRow.status == "claimed",
                        NudgeRow.claimed_by == worker,
                    )
                    .values(status="failed", claim_expires_at=None)
                    .returning(NudgeRow.id, NudgeRow.owner_id)
                )
            ).all()
        )
        await connection.execute(
            update(NudgeRow).where(NudgeRow.id == bindparam("b_id")).values(last_error=bindparam("b_error")),
            [{"b_id": o.id, "b_error": o.error} for o in failed if o.id in owners],
        )
        for outcome in failed:
            owner_id = owners.get(outcome.id)
            if owner_id is None or not outcome.unreachable:
                continue
            await connection.execute(
                update(ScheduleRow)
                .where(ScheduleRow.owner_id == owner_id)
                .values(unreachable_at=now, unreachable_reason=outcome.error, updated_at=now)
            )
            await skip_pending(connection, owner_id, reason=f"unreachable: {outcome.error}")


def _paused_on(paused_until: date | None, now: datetime, timezone: str) -> bool:
    return paused_until is not None and paused_until >= now.astimezone(ZoneInfo(timezone)).date()
