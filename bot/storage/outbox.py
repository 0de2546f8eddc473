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

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from operator import attrgetter, itemgetter
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Dialect,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    null,
    or_,
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
    JsonTable,
    constant,
    driver_time,
    from_driver_date,
    from_driver_json,
    from_driver_time,
    json_time,
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

#: Schedules an enqueue turns into nudges in its first batch, and in its largest
#: (see :meth:`Outbox.enqueue_due`).
FIRST_ENQUEUE_BATCH = 256
LARGEST_ENQUEUE_BATCH = 2048


class ClaimedNudge(NamedTuple):
    """A nudge this worker holds the claim on; ``attempts`` counts this claim too.

    ``lease_ends`` is when the claim runs out: from then on another worker may take the
    nudge over, so it must not be sent after that.

    A named tuple rather than a frozen dataclass: one is built for every nudge sent, and
    a frozen dataclass sets each field through ``object.__setattr__``, five times what
    building a tuple costs.
    """

    id: int
    owner: Owner
    kind: NudgeKind
    slot: datetime
    week: str
    due_at: datetime
    attempts: int
    lease_ends: datetime

    @property
    def key(self) -> str:
        """The idempotency key as text, unique across owners, platforms and tenants."""
        o = self.owner
        return f"{o.platform}/{o.tenant}/{o.subject}/{self.kind}/{_key_time(self.slot)}"


@lru_cache(maxsize=1024)
def _key_time(slot: datetime) -> str:
    """A UTC slot as the key writes it. Cached: the nudges of a pass mostly share a few
    slots, and formatting one costs ten times the lookup."""
    return slot.isoformat()[:19] + "Z"  # strftime("%Y-%m-%dT%H:%M:%SZ") at a tenth of the cost


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
    """Claimed but never started (shutdown, or held past most of its lease): due again at
    once, the claim not counted."""

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
    rows: list[list[Any]] = from_driver_json(found) or []
    return rows


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


def _claim(dialect: Dialect) -> Any:
    """Claim the nudges of the (id) rows picked by :func:`_claim_candidates` (same transaction)."""
    ids = JsonTable(dialect, "b_ids")
    expires = bindparam("b_expires", type_=UTCDateTime())
    return (
        update(NudgeRow)
        .where(NudgeRow.id.in_(ids.column(0, Integer())))
        .values(
            status=constant("claimed"),
            claimed_by=bindparam("b_worker", type_=String()),
            claim_expires_at=expires,
            next_attempt_at=expires,
            attempts=NudgeRow.attempts + constant(1),
        )
    )


_CLAIM = DriverStatement(_claim)


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
        OwnerRow.tenant,
        OwnerRow.subject,
        OwnerRow.kind,
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
    the slot to check in for, its week, and the slot after it (the slots also as text
    for a :class:`JsonTable` row)."""

    slot: datetime
    slot_text: str
    week: str
    following_text: str

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
        return cls(slot, json_time(dialect, slot), week_key(slot, timezone), json_time(dialect, following))


def _insert_checkins(dialect: Dialect) -> Any:
    """A batch of check-in nudges in one ``INSERT`` from :class:`JsonTable` rows (owner,
    platform, slot, week, claimed: 0 or 1); a slot already in the outbox is left alone.

    A row marked claimed is inserted as a claim would leave it (one attempt, leased to
    ``b_worker`` until ``b_expires``), the others due at ``b_now``. On PostgreSQL it
    returns (owner, id, status) of each row it inserted, so the claimed ones need no
    second look-up; on SQLite :func:`_inserted_claims` reads them (see there why).
    """
    rows = JsonTable(dialect, "b_rows")
    now, expires = bindparam("b_now", type_=UTCDateTime()), bindparam("b_expires", type_=UTCDateTime())
    claimed = rows.item(4, Integer()) == constant(1)
    values = select(
        rows.item(0, Integer()),
        rows.item(1, String()),
        constant("checkin"),
        rows.item(2, UTCDateTime()),
        rows.item(3, String()),
        case((claimed, constant("claimed")), else_=constant("due")),
        now,
        rows.item(4, Integer()),
        case((claimed, expires), else_=now),
        case((claimed, bindparam("b_worker", type_=String())), else_=null()),
        case((claimed, expires), else_=null()),
    ).where(true())  # SQLite: an upsert's SELECT needs a WHERE, or ON CONFLICT reads as a join
    columns = [
        "owner_id",
        "platform",
        "kind",
        "slot",
        "week",
        "status",
        "due_at",
        "attempts",
        "next_attempt_at",
        "claimed_by",
        "claim_expires_at",
    ]
    insert = (
        upsert_for(dialect, NudgeRow)
        .from_select(columns, values)
        .on_conflict_do_nothing(index_elements=["owner_id", "kind", "slot"])
    )
    if dialect.name == "postgresql":
        return insert.returning(NudgeRow.owner_id, NudgeRow.id, NudgeRow.status)
    return insert


_INSERT_CHECKINS = DriverStatement(_insert_checkins)


def _inserted_claims(dialect: Dialect) -> Any:
    """SQLite: (owner, id) of each claimed row the connection's last ``INSERT`` wrote, as
    one JSON row (:func:`_as_json_rows`).

    Not ``RETURNING``: SQLite's driver steps through returned rows one at a time, taking
    the interpreter lock back from the busy event loop for each. A batch of 1,600
    check-ins kept the driver's thread waiting ten times as long as it worked (0.7 s of a
    2.2 s pass), all the while holding the write lock that chat turns wait for: the
    longest hold in a 10,000-nudge pass was 184-248 ms, and is 108-139 ms this way.

    An ``INSERT`` gives the rows it writes consecutive rowids, each one above the largest
    before it (SQLite's rowid rule, while ids stay below 2^63), so they are the last
    ``changes()`` up to ``last_insert_rowid()``, read here in the same transaction.
    """
    last = func.last_insert_rowid()
    return select(_as_json_rows(dialect, NudgeRow.owner_id, NudgeRow.id)).where(
        NudgeRow.id > last - func.changes(),
        NudgeRow.id <= last,
        NudgeRow.status == constant("claimed"),
    )


_INSERTED_CLAIMS = DriverStatement(_inserted_claims)


def _move_schedules(dialect: Dialect) -> Any:
    """Each schedule of the (owner, next slot) rows to its own next slot, in one statement."""
    moves = JsonTable(dialect, "b_moves")
    return (
        update(ScheduleRow)
        .where(ScheduleRow.owner_id == moves.item(0, Integer()))
        .values(next_due_at=moves.item(1, UTCDateTime()))
    )


_MOVE_SCHEDULES = DriverStatement(_move_schedules)


#: Sent nudges are marked up to this many at a time, with one statement.
_SENT_CHUNK = 512


def _mark_sent(dialect: Dialect) -> Any:
    """One ``UPDATE`` marking the nudges of the (id, message reference) rows sent.

    One statement rather than an ``executemany``, which costs a round of the driver's
    thread handing the interpreter lock back and forth for every row; a join rather
    than a ``CASE`` per reference, which the database would walk for every row.
    """
    rows = JsonTable(dialect, "b_rows")
    return (
        update(NudgeRow)
        .where(
            NudgeRow.id == rows.item(0, Integer()),
            NudgeRow.status == constant("claimed"),
            NudgeRow.claimed_by == bindparam("b_worker", type_=String()),
        )
        .values(
            status=constant("sent"),
            sent_at=bindparam("b_at", type_=UTCDateTime()),
            message_ref=rows.item(1, Text()),
            claim_expires_at=null(),
            last_error=null(),
        )
    )


_MARK_SENT = DriverStatement(_mark_sent)


def _checkins_and_waiting(dialect: Dialect) -> Any:
    """For the owners of the (owner, week) rows: their check-ins in any of those weeks, and
    every nudge of theirs still due, as one JSON row of (owner, kind, week, status).

    One probe of each owner's nudges answers both questions an enqueue asks (has this
    week a check-in yet, and does anything older still wait to be superseded), so the
    common case, nothing waiting, costs no ``UPDATE`` at all. A pair that is not one of
    the rows matches none of them (the caller compares pairs).
    """
    pairs = JsonTable(dialect, "b_pairs")
    due = NudgeRow.status == constant("due")
    return select(
        _as_json_rows(dialect, NudgeRow.owner_id, NudgeRow.kind, NudgeRow.week, NudgeRow.status)
    ).where(
        NudgeRow.owner_id.in_(pairs.column(0, Integer())),
        or_(and_(NudgeRow.kind == constant("checkin"), NudgeRow.week.in_(pairs.column(1, String()))), due),
    )


_CHECKINS_AND_WAITING = DriverStatement(_checkins_and_waiting)


def _supersede(dialect: Dialect) -> Any:
    """Skip whatever still waits for the owners of the rows: their new check-in takes its place."""
    owners = JsonTable(dialect, "b_owners")
    return (
        update(NudgeRow)
        .where(
            NudgeRow.owner_id.in_(owners.column(0, Integer())),
            NudgeRow.status == constant("due"),
        )
        .values(status=constant("skipped"), last_error=constant("superseded by a later check-in"))
    )


_SUPERSEDE = DriverStatement(_supersede)


@dataclass(frozen=True, slots=True)
class Claimant:
    """A dispatcher taking the check-ins it can send as they are enqueued.

    They are inserted already claimed, so they need no claim of their own: that
    transaction would wait behind the enqueue's, while the senders ran dry. ``room``
    says how many it takes now, so a claimed nudge still waits only a few sends' time;
    the rest are enqueued due, for any worker. Leases run from ``clock()``.

    The enqueue works at the claimant's pace: before each further batch it awaits
    ``ready()``, which returns once there is room for a batch (sized to the room), or
    False when the claimant takes no more (its pass is ending). The enqueue then stops
    and the schedules it has not reached stay due, for the next pass or another
    replica, so a large backlog is turned into nudges only as fast as they are sent,
    and each replica enqueues about what it can send.
    """

    worker: str
    platforms: frozenset[str]
    lease: timedelta
    clock: Callable[[], datetime]
    room: Callable[[], int]
    ready: Callable[[], Awaitable[bool]]


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
        batch: int = FIRST_ENQUEUE_BATCH,
        largest: int = LARGEST_ENQUEUE_BATCH,
        claimant: Claimant | None = None,
        on_batch: Callable[[list[ClaimedNudge]], object] | None = None,
    ) -> int:
        """Turn every schedule whose next slot has come into at most one check-in nudge.

        After downtime only the latest missed slot gets a nudge; the older ones are
        dropped, and so is anything of an earlier week still waiting to be sent (its
        platform could not be reached meanwhile). A week that already has a check-in
        (the schedule was moved within the week) gets no second one. Returns the
        number of nudges written. ``on_batch`` is handed each committed batch's nudges
        claimed for ``claimant`` (none without one), so a dispatcher sends what is
        enqueued while the rest is still being worked out.
        Batches start at ``batch`` schedules, so sending starts soon. Without a
        claimant they double up to ``largest``: each costs a fixed number of round trips
        to the database, and while the sends keep the event loop busy those, not the
        rows, are what a batch costs. With one, each further batch waits for the
        claimant's room and fills it (at least ``batch``, at most ``largest``), so
        nearly every check-in it sends is claimed as it is inserted.
        """
        now = utc(now)
        total, size = 0, batch
        while True:
            async with self._transaction() as connection:
                written, seen, claimed = await self._enqueue_batch(connection, now, size, claimant)
            total += written
            if on_batch is not None:
                on_batch(claimed)
            if seen < size:
                return total
            if claimant is None:
                size = min(2 * size, largest)
            elif await claimant.ready():
                size = min(max(claimant.room(), batch), largest)
            else:
                return total

    async def _enqueue_batch(
        self, connection: AsyncConnection, now: datetime, batch: int, claimant: Claimant | None
    ) -> tuple[int, int, list[ClaimedNudge]]:
        dialect = connection.dialect
        driver_now = driver_time(dialect, now)
        ((found,),) = await _DUE_SCHEDULES.fetch(connection, {"b_now": driver_now, "b_limit": batch})
        rows = json_rows(found)
        if not rows:
            return 0, 0, []
        slots: dict[tuple[Any, ...], _PlannedSlot] = {}
        planned: list[tuple[int, tuple[Any, ...], _PlannedSlot]] = []
        for owner_id, platform, tenant, subject, of_kind, *group in rows:
            key = tuple(group)
            slot = slots.get(key)
            if slot is None:  # owners due together mostly share a schedule: worked out once
                slot = slots[key] = _PlannedSlot.of(key, now=now, dialect=dialect)
            planned.append((owner_id, (platform, tenant, subject, of_kind), slot))
        taken, waiting = await self._checkins_and_waiting(connection, [(o, s.week) for o, _, s in planned])
        fresh = [(o, owner, s) for o, owner, s in planned if (o, s.week) not in taken]
        claimed: list[ClaimedNudge] = []
        if fresh:
            # Whatever still waits for these owners belongs to an earlier week (its
            # platform's dispatcher was down too): superseded, so they get one check-in.
            if stale := [[o] for o, _, _ in fresh if o in waiting]:
                await _SUPERSEDE.execute(connection, {"b_owners": JsonTable.encode(stale)})
            claimed = await self._insert_checkins(connection, now, driver_now, fresh, claimant)
        moves = JsonTable.encode([[o, s.following_text] for o, _, s in planned])
        await _MOVE_SCHEDULES.execute(connection, {"b_moves": moves})
        return len(fresh), len(rows), claimed

    @staticmethod
    async def _insert_checkins(
        connection: AsyncConnection,
        now: datetime,
        driver_now: datetime | str,
        fresh: Sequence[tuple[int, tuple[Any, ...], _PlannedSlot]],
        claimant: Claimant | None,
    ) -> list[ClaimedNudge]:
        """Insert ``fresh`` check-ins, as many as ``claimant`` has room for claimed by it."""
        dialect = connection.dialect
        room, mine = 0, frozenset[str]()
        if claimant is not None:
            room, mine = max(0, claimant.room()), claimant.platforms
        rows: list[list[Any]] = []
        taking: dict[int, tuple[tuple[Any, ...], _PlannedSlot]] = {}
        for owner_id, identity, slot in fresh:
            take = len(taking) < room and identity[0] in mine
            if take:
                taking[owner_id] = (identity, slot)
            rows.append([owner_id, identity[0], slot.slot_text, slot.week, int(take)])
        values: dict[str, Any] = {"b_now": driver_now, "b_rows": JsonTable.encode(rows)}
        values["b_worker"] = values["b_expires"] = None
        lease_ends = now
        if claimant is not None and taking:
            lease_ends = utc(claimant.clock()) + claimant.lease
            values["b_worker"] = claimant.worker
            values["b_expires"] = driver_time(dialect, lease_ends)
        claims = await Outbox._write_checkins(connection, values, read_claims=bool(taking))
        if not taking:
            return []
        claimed = []
        for owner_id, nudge_id in sorted(claims, key=itemgetter(1)):
            (platform, tenant, subject, of_kind), slot = taking[owner_id]
            owner = Owner(platform, tenant, subject, owner_kind(of_kind))
            claimed.append(ClaimedNudge(nudge_id, owner, "checkin", slot.slot, slot.week, now, 1, lease_ends))
        return claimed

    @staticmethod
    async def _write_checkins(
        connection: AsyncConnection, values: Mapping[str, Any], *, read_claims: bool
    ) -> Sequence[Sequence[Any]]:
        """Run :func:`_insert_checkins`; with ``read_claims``, (owner, id) of the rows it inserted claimed."""
        if connection.dialect.name == "postgresql":
            inserted = await _INSERT_CHECKINS.fetch(connection, values)
            return [(owner_id, nudge_id) for owner_id, nudge_id, status in inserted if status == "claimed"]
        await _INSERT_CHECKINS.execute(connection, values)
        if not read_claims:
            return []
        ((found,),) = await _INSERTED_CLAIMS.fetch(connection, {})
        return json_rows(found)

    @staticmethod
    async def _checkins_and_waiting(
        connection: AsyncConnection, planned: Sequence[tuple[int, str]]
    ) -> tuple[set[tuple[int, str]], set[int]]:
        """Which of the (owner, week) pairs ``planned`` already have a check-in, and which
        of their owners have a nudge still due."""
        ((found,),) = await _CHECKINS_AND_WAITING.fetch(connection, {"b_pairs": JsonTable.encode(planned)})
        taken: set[tuple[int, str]] = set()
        waiting: set[int] = set()
        for owner_id, kind, week, status in json_rows(found):
            if kind == "checkin":
                taken.add((int(owner_id), str(week)))
            if status == "due":
                waiting.add(int(owner_id))
        return taken, waiting

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
        expires = now + lease
        candidates = _claim_candidates(tuple(platforms))
        # Senders wait on claims, so a claim goes ahead of queued writes (``urgent``).
        async with self._transaction(urgent=True) as connection:
            dialect = connection.dialect
            values = {"b_now": driver_time(dialect, now), "b_limit": limit}
            ((found,),) = await candidates.fetch(connection, values)
            rows = json_rows(found)
            if not rows:
                return []
            values = {
                "b_expires": driver_time(dialect, expires),
                "b_worker": worker,
                "b_ids": JsonTable.encode([[row[0]] for row in rows]),
            }
            await _CLAIM.execute(connection, values)
        times: dict[str, datetime] = {}  # a claim's nudges mostly share their slot and due time

        def when(value: str) -> datetime:
            moment = times.get(value)
            if moment is None:
                moment = times[value] = from_driver_time(value)
            return moment

        claimed = [
            ClaimedNudge(
                nudge_id,
                Owner(platform, tenant, subject, owner_kind(of_kind)),
                kind,
                when(slot),
                week,
                when(due_at),
                attempts + 1,
                expires,
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
            rows = JsonTable.encode([[o.id, o.message_ref] for o in sent[start : start + _SENT_CHUNK]])
            async with self._single_statement() as connection:
                values = {"b_worker": worker, "b_at": driver_time(connection.dialect, now), "b_rows": rows}
                await _MARK_SENT.execute(connection, values)
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
