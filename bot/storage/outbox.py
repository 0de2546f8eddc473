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

import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from operator import attrgetter
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Dialect,
    Integer,
    String,
    Text,
    bindparam,
    case,
    exists,
    false,
    func,
    null,
    select,
    true,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import aliased

from bot.scheduling.triggers import missed_and_next
from bot.storage.driver import (
    DriverStatement,
    bind_values,
    binds,
    constant,
    driver_time,
    from_driver_date,
    from_driver_time,
    padded,
)
from bot.storage.engine import SINGLE_STATEMENT, SQLITE_BEGIN_OPTION, write_lock
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
        # isoformat()[:19] is strftime("%Y-%m-%dT%H:%M:%S") for a UTC slot, at a tenth of the cost.
        return f"{o.platform}/{o.tenant}/{o.subject}/{self.kind}/{self.slot.isoformat()[:19]}Z"


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


def _schedule_live() -> tuple[Any, ...]:
    """Schedules that get check-ins and reminders at all: active, not paused, reachable."""
    return (
        ScheduleRow.active.is_(true()),  # IS: written into the SQL, not bound
        ScheduleRow.paused.is_(false()),
        ScheduleRow.unreachable_at.is_(None),
    )


def _schedule_due(now: Any) -> tuple[Any, ...]:
    """Schedules :meth:`Outbox.enqueue_due` would turn into a check-in at ``now``."""
    return (ScheduleRow.next_due_at <= now, *_schedule_live())


def _as_json_rows(dialect: Dialect, *columns: Any) -> Any:
    """All selected rows as one JSON array of arrays, the dialect's way.

    One row back instead of hundreds: SQLite's driver hands the interpreter lock back and
    forth for every row it fetches, which under a busy event loop made a claim of a few
    hundred nudges take tens of milliseconds while the senders ran dry.
    """
    if dialect.name == "postgresql":
        return func.json_agg(func.json_build_array(*columns))
    return func.json_group_array(func.json_array(*columns))


def json_rows(found: str | list[list[Any]] | None) -> list[list[Any]]:
    """The rows of :func:`_as_json_rows` (asyncpg decodes JSON itself; SQLite gives text)."""
    if isinstance(found, str):
        rows: list[list[Any]] = json.loads(found)
        return rows
    return found or []


@cache
def _claim_candidates(platforms: tuple[str, ...]) -> DriverStatement:
    """The due nudges a claim may take, oldest first, locked on PostgreSQL.

    A row waits while its owner's schedule still has a check-in to enqueue: that
    check-in may supersede it (an earlier week's nudge left over from downtime), and a
    claim racing the enqueue, in this pass or another replica's, would send both.
    """

    def build(dialect: Dialect) -> Any:
        now = bindparam("b_now", type_=UTCDateTime())
        picked = (
            select(
                NudgeRow.id,
                NudgeRow.kind,
                NudgeRow.slot,
                NudgeRow.week,
                NudgeRow.due_at,
                NudgeRow.attempts,
                NudgeRow.platform,
                NudgeRow.owner_id,
            )
            .where(
                _claimable(),
                NudgeRow.next_attempt_at <= now,
                NudgeRow.platform.in_([constant(platform) for platform in platforms]),
                ~exists().where(ScheduleRow.owner_id == NudgeRow.owner_id, *_schedule_due(now)),
            )
            .order_by(NudgeRow.next_attempt_at)
            .limit(bindparam("b_limit", type_=Integer()))
            .offset(constant(0))  # else SQLite's compiler binds an OFFSET of 0
            .with_for_update(skip_locked=True)
            .subquery()
        )
        rows = _as_json_rows(
            dialect,
            *(picked.c[name] for name in ("id", "kind", "slot", "week", "due_at", "attempts", "platform")),
            OwnerRow.tenant,
            OwnerRow.subject,
            OwnerRow.kind,
        )
        return select(rows).select_from(picked.join(OwnerRow, OwnerRow.id == picked.c.owner_id))

    return DriverStatement(build)


@cache
def _claim(size: int) -> DriverStatement:
    """Claim the ``size`` nudges picked by :func:`_claim_candidates` (same transaction)."""
    expires = bindparam("b_expires", type_=UTCDateTime())
    return DriverStatement(
        lambda _: (
            update(NudgeRow)
            .where(NudgeRow.id.in_(binds("b_id", size, Integer())))
            .values(
                status=constant("claimed"),
                claimed_by=bindparam("b_worker", type_=String()),
                claim_expires_at=expires,
                next_attempt_at=expires,
                attempts=NudgeRow.attempts + constant(1),
            )
        )
    )


def _due_schedules(dialect: Dialect) -> Any:
    """The schedules whose next check-in has come, oldest first, locked for this enqueue
    (one JSON row: see :func:`_as_json_rows`)."""
    due = (
        select(
            ScheduleRow.owner_id,
            ScheduleRow.weekday,
            ScheduleRow.time,
            ScheduleRow.timezone,
            ScheduleRow.paused_until,
            ScheduleRow.next_due_at,
        )
        .where(*_schedule_due(bindparam("b_now", type_=UTCDateTime())))
        .order_by(ScheduleRow.next_due_at)
        .limit(bindparam("b_limit", type_=Integer()))
        .offset(constant(0))
        .with_for_update(skip_locked=True)
        .subquery()
    )
    rows = _as_json_rows(
        dialect,
        due.c.owner_id,
        OwnerRow.platform,
        due.c.weekday,
        due.c.time,
        due.c.timezone,
        due.c.paused_until,
        due.c.next_due_at,
    )
    return select(rows).select_from(due.join(OwnerRow, OwnerRow.id == due.c.owner_id))


_DUE_SCHEDULES = DriverStatement(_due_schedules)


@dataclass(frozen=True, slots=True)
class _PlannedSlot:
    """What one schedule (weekday, time, timezone, pause, slot due) means as of a pass:
    the slot to check in for, its week, and the slot after it, as the driver stores them."""

    slot: datetime | str
    week: str
    following: datetime | str

    @classmethod
    def of(cls, group: tuple[Any, ...], *, now: datetime, dialect: Dialect) -> _PlannedSlot:
        """``group`` as the driver returned it: weekday, time, timezone, paused until, next due."""
        weekday, at, timezone, paused_until, due = group
        slot, following = missed_and_next(
            weekday,
            at,
            timezone,
            due=from_driver_time(due),
            now=now,
            paused_until=from_driver_date(paused_until),
        )
        return cls(driver_time(dialect, slot), week_key(slot, timezone), driver_time(dialect, following))


@cache
def _insert_checkins(size: int) -> DriverStatement:
    """``size`` check-in nudges in one multi-row ``INSERT`` (an ``executemany`` costs the
    driver's thread a hand-over of the interpreter lock per row); a slot already in the
    outbox is left alone."""
    now = bindparam("b_now", type_=UTCDateTime())
    rows = [
        {
            "owner_id": bindparam(f"b_owner{i}", type_=Integer()),
            "platform": bindparam(f"b_platform{i}", type_=String()),
            "kind": constant("checkin"),
            "slot": bindparam(f"b_slot{i}", type_=UTCDateTime()),
            "week": bindparam(f"b_week{i}", type_=String()),
            "status": constant("due"),
            "due_at": now,
            "attempts": constant(0),
            "next_attempt_at": now,
        }
        for i in range(size)
    ]
    return DriverStatement(
        lambda dialect: (
            upsert_for(dialect, NudgeRow)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["owner_id", "kind", "slot"])
        )
    )


@cache
def _move_schedules(size: int) -> DriverStatement:
    """Each of ``size`` schedules to its own next slot, in one statement."""
    owners, following = binds("b_owner", size, Integer()), binds("b_next", size, UTCDateTime())
    return DriverStatement(
        lambda _: (
            update(ScheduleRow)
            .where(ScheduleRow.owner_id.in_(owners))
            .values(
                next_due_at=case(*zip((ScheduleRow.owner_id == o for o in owners), following, strict=True))
            )
        )
    )


#: Sent nudges are marked up to this many at a time, with one statement.
_SENT_CHUNK = 512


@cache
def _mark_sent(size: int) -> DriverStatement:
    """One ``UPDATE`` marking ``size`` nudges sent, each with its own message reference.

    One statement rather than an ``executemany``, which costs a round of the driver's
    thread handing the interpreter lock back and forth for every row.
    """

    def build(_: Dialect) -> Any:
        ids, refs = binds("b_id", size, Integer()), binds("b_ref", size, Text())
        return (
            update(NudgeRow)
            .where(
                NudgeRow.id.in_(ids),
                NudgeRow.status == constant("claimed"),
                NudgeRow.claimed_by == bindparam("b_worker", type_=String()),
            )
            .values(
                status=constant("sent"),
                sent_at=bindparam("b_at", type_=UTCDateTime()),
                message_ref=case(*zip((NudgeRow.id == i for i in ids), refs, strict=True)),
                claim_expires_at=null(),
                last_error=null(),
            )
        )

    return DriverStatement(build)


@cache
def _checkins_in_weeks(owners: int, weeks: int) -> DriverStatement:
    """Which of ``owners`` already have a check-in in one of ``weeks``."""
    return DriverStatement(
        lambda _: select(NudgeRow.owner_id, NudgeRow.week).where(
            NudgeRow.kind == constant("checkin"),
            NudgeRow.owner_id.in_(binds("b_owner", owners, Integer())),
            NudgeRow.week.in_(binds("b_week", weeks, String())),
        )
    )


@cache
def _supersede(owners: int) -> DriverStatement:
    """Skip whatever still waits for ``owners``: their new check-in takes its place."""
    return DriverStatement(
        lambda _: (
            update(NudgeRow)
            .where(
                NudgeRow.owner_id.in_(binds("b_owner", owners, Integer())), NudgeRow.status == constant("due")
            )
            .values(status=constant("skipped"), last_error=constant("superseded by a later check-in"))
        )
    )


class Outbox:
    """The dispatcher's repository over ``schedules`` and ``nudges``."""

    def __init__(self, engine: AsyncEngine) -> None:
        # Writers take SQLite's write lock at BEGIN, so a claim's read and update are
        # one atomic step there (PostgreSQL gets the same from row locks).
        self._writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._single = engine.execution_options(**{SQLITE_BEGIN_OPTION: SINGLE_STATEMENT})
        self._engine = engine

    @asynccontextmanager
    async def _transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        async with write_lock(self._engine, urgent=urgent), self._writer.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _single_statement(self) -> AsyncIterator[AsyncConnection]:
        """For one statement that is atomic on its own: on SQLite, no ``BEGIN`` and its round trip."""
        async with write_lock(self._engine), self._single.begin() as connection:
            yield connection

    # -- enqueue -----------------------------------------------------------------------

    async def enqueue_due(
        self,
        now: datetime,
        *,
        batch: int = 256,
        largest: int = 2048,
        on_batch: Callable[[], object] | None = None,
    ) -> int:
        """Turn every schedule whose next slot has come into at most one check-in nudge.

        After downtime only the latest missed slot gets a nudge; the older ones are
        dropped, and so is anything of an earlier week still waiting to be sent (its
        platform could not be reached meanwhile). A week that already has a check-in
        (the schedule was moved within the week) gets no second one. Returns the
        number of nudges written; ``on_batch`` is called after each committed batch, so a
        dispatcher can send what is enqueued while the rest is still being worked out.
        Batches start at ``batch`` schedules, so sending starts soon, and double up to
        ``largest``: each costs a fixed number of round trips to the database, and while
        the sends keep the event loop busy those, not the rows, are what a batch costs.
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
            batch = min(2 * batch, largest)

    async def _enqueue_batch(self, connection: AsyncConnection, now: datetime, batch: int) -> tuple[int, int]:
        dialect = connection.dialect
        driver_now = driver_time(dialect, now)
        ((found,),) = await _DUE_SCHEDULES.fetch(connection, {"b_now": driver_now, "b_limit": batch})
        rows = json_rows(found)
        if not rows:
            return 0, 0
        slots: dict[tuple[Any, ...], _PlannedSlot] = {}
        planned: list[tuple[int, str, _PlannedSlot]] = []
        for owner_id, platform, weekday, at, timezone, paused_until, due in rows:
            group = (weekday, at, timezone, paused_until, due)
            slot = slots.get(group)
            if slot is None:  # owners due together mostly share a schedule: worked out once
                slot = slots[group] = _PlannedSlot.of(group, now=now, dialect=dialect)
            planned.append((owner_id, platform, slot))
        taken = await self._weeks_with_checkin(connection, [(o, s.week) for o, _, s in planned])
        fresh = [(o, platform, s) for o, platform, s in planned if (o, s.week) not in taken]
        if fresh:
            # Whatever still waits for these owners belongs to an earlier week (its
            # platform's dispatcher was down too): superseded, so they get one check-in.
            size = padded(len(fresh))
            owners = bind_values("b_owner", [o for o, _, _ in fresh], size)
            await _supersede(size).execute(connection, owners)
            values = {
                "b_now": driver_now,
                **owners,
                **bind_values("b_platform", [platform for _, platform, _ in fresh], size),
                **bind_values("b_slot", [s.slot for _, _, s in fresh], size),
                **bind_values("b_week", [s.week for _, _, s in fresh], size),
            }
            await _insert_checkins(size).execute(connection, values)
        size = padded(len(planned))
        values = {
            **bind_values("b_owner", [o for o, _, _ in planned], size),
            **bind_values("b_next", [s.following for _, _, s in planned], size),
        }
        await _move_schedules(size).execute(connection, values)
        return len(fresh), len(rows)

    @staticmethod
    async def _weeks_with_checkin(
        connection: AsyncConnection, planned: Sequence[tuple[int, str]]
    ) -> set[tuple[int, str]]:
        """Which of the (owner, week) pairs ``planned`` already have a check-in."""
        owners = list({owner for owner, _ in planned})
        weeks = list({week for _, week in planned})
        size, weeks_size = padded(len(owners)), padded(len(weeks), least=4)
        values = {**bind_values("b_owner", owners, size), **bind_values("b_week", weeks, weeks_size)}
        found = await _checkins_in_weeks(size, weeks_size).fetch(connection, values)
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
                *_schedule_live(),
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
        candidates = _claim_candidates(tuple(platforms))
        # Senders wait on claims, so a claim goes ahead of queued writes (``urgent``).
        async with self._transaction(urgent=True) as connection:
            dialect = connection.dialect
            values = {"b_now": driver_time(dialect, now), "b_limit": limit}
            ((found,),) = await candidates.fetch(connection, values)
            rows = json_rows(found)
            if not rows:
                return []
            size = padded(len(rows))
            values = {
                "b_expires": driver_time(dialect, now + lease),
                "b_worker": worker,
                **bind_values("b_id", [row[0] for row in rows], size),
            }
            await _claim(size).execute(connection, values)
        times: dict[str, datetime] = {}  # a claim's nudges mostly share their slot and due time

        def when(value: str) -> datetime:
            moment = times.get(value)
            if moment is None:
                moment = times[value] = from_driver_time(value)
            return moment

        claimed = [
            ClaimedNudge(
                id=nudge_id,
                owner=Owner(platform, tenant, subject, owner_kind(of_kind)),
                kind=kind,
                slot=when(slot),
                week=week,
                due_at=when(due_at),
                attempts=attempts + 1,
            )
            for (nudge_id, kind, slot, week, due_at, attempts, platform, tenant, subject, of_kind) in rows
        ]
        claimed.sort(key=attrgetter("due_at", "id"))
        return claimed

    async def record(self, outcomes: Iterable[Outcome], *, worker: str, now: datetime) -> None:
        """Write what happened to claimed nudges: sent ones with one statement per
        :data:`_SENT_CHUNK`, everything else in one transaction.

        Each update applies only while ``worker`` still holds the claim: a row whose
        lease ran out and was claimed by another worker is that worker's to settle.
        """
        now = utc(now)
        by_kind: dict[type[Outcome], list[Any]] = {}
        for outcome in outcomes:
            by_kind.setdefault(type(outcome), []).append(outcome)
        # Each chunk of sent nudges is one statement, atomic by itself, and the write
        # queue is let go between them so that claims need not wait for a long batch.
        sent: list[Sent] = by_kind.pop(Sent, [])
        for start in range(0, len(sent), _SENT_CHUNK):
            chunk = sent[start : start + _SENT_CHUNK]
            size = padded(len(chunk))
            async with self._single_statement() as connection:
                values = {
                    "b_worker": worker,
                    "b_at": driver_time(connection.dialect, now),
                    **bind_values("b_id", [o.id for o in chunk], size),
                    **bind_values("b_ref", [o.message_ref for o in chunk], size),
                }
                await _mark_sent(size).execute(connection, values)
        if not by_kind:
            return
        mine = (
            NudgeRow.id == bindparam("b_id"),
            NudgeRow.status == "claimed",
            NudgeRow.claimed_by == worker,
        )
        async with self._transaction() as connection:
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
