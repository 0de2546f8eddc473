"""The repository: everything the bot stores, always addressed by an :class:`Owner`.

Callers never see or pass a bare ``owner_id``: every method takes the owner triple and
resolves it inside its own transaction, so no call can reach another tenant's rows by
a stale or forged id.

Concurrency: a turn is saved with optimistic locking (the conversation's ``version``
must still be the one the turn was computed from). Writers also lock the owner row
(PostgreSQL ``FOR NO KEY UPDATE``; SQLite ``BEGIN IMMEDIATE``), which serialises the
numbering of plan versions between a turn and an import of the same owner.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import Integer, Select, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.checkins import load_history, save_entries
from bot.storage.driver import DriverStatement, driver_time, from_driver_json
from bot.storage.engine import SINGLE_STATEMENT, SQLITE_BEGIN_OPTION, dumps_json, write_lock
from bot.storage.models import (
    Base,
    CheckinEntryRow,
    ConversationRow,
    NudgeRow,
    OwnerRow,
    PlanVersionRow,
    ProcessedEventRow,
    ScheduleRow,
)
from bot.storage.schedules import ScheduleSpec, clear_unreachable, save_schedule
from bot.storage.sql import bound_owner, insert_if_new, is_owner, owner_kind, owner_values, utc
from coaching.checkins import CheckinEntry
from coaching.model import Owner

SaveResult = Literal["saved", "conflict", "duplicate"]


@dataclass(frozen=True)
class TurnSnapshot:
    """What the engine needs to take a turn.

    ``owner_id`` is 0 for an owner nothing is stored about yet, ``version`` is 0 when the
    owner has no conversation row yet and ``plan_version`` 0 when no plan has been
    stored; pass ``version`` back as ``expected_version``.
    ``history`` is the owner's check-in answers of the last 26 weeks, oldest first.
    ``unreachable`` says a send to the owner failed for good; their next turn clears it.
    """

    owner_id: int
    state: dict[str, Any] | None
    version: int
    plan: dict[str, Any] | None
    plan_version: int
    timezone: str | None
    history: tuple[CheckinEntry, ...] = ()
    unreachable: bool = False


#: The snapshot of an owner nothing is stored about.
_NOBODY = TurnSnapshot(owner_id=0, state=None, version=0, plan=None, plan_version=0, timezone=None)


def _normalised(document: dict[str, Any]) -> dict[str, Any]:
    """The document as it will read back (tuples become lists, keys strings).

    Comparing this with the stored document tells whether a plan really changed; it
    also rejects what JSON cannot hold before anything is written.
    """
    result = json.loads(dumps_json(document))
    if not isinstance(result, dict):
        raise TypeError("a plan document must be a JSON object")
    return cast(dict[str, Any], result)


def _snapshot_query() -> Select[Any]:
    """One round trip for everything a turn reads, except the check-in history itself
    (the owner bound as :func:`~bot.storage.sql.owner_values`).

    Whether any history exists and whether the owner is marked unreachable ride along,
    so the usual turn (a plan being built, an owner we can reach) costs a single
    SELECT here and no clean-up UPDATE when it is saved.
    """
    latest = (
        select(func.max(PlanVersionRow.version))
        .where(PlanVersionRow.owner_id == OwnerRow.id)
        .correlate(OwnerRow)
        .scalar_subquery()
    )
    has_history = (
        select(CheckinEntryRow.id).where(CheckinEntryRow.owner_id == OwnerRow.id).correlate(OwnerRow).exists()
    )
    unreachable = (
        select(ScheduleRow.owner_id)
        .where(ScheduleRow.owner_id == OwnerRow.id, ScheduleRow.unreachable_at.is_not(None))
        .correlate(OwnerRow)
        .exists()
    )
    return (
        select(
            OwnerRow.id.label("owner_id"),
            OwnerRow.timezone.label("timezone"),
            ConversationRow.state.label("state"),
            ConversationRow.version.label("version"),
            PlanVersionRow.document.label("plan"),
            PlanVersionRow.version.label("plan_version"),
            has_history.label("has_history"),
            unreachable.label("unreachable"),
        )
        .select_from(OwnerRow)
        .outerjoin(ConversationRow, ConversationRow.owner_id == OwnerRow.id)
        .outerjoin(
            PlanVersionRow,
            and_(PlanVersionRow.owner_id == OwnerRow.id, PlanVersionRow.version == latest),
        )
        .where(bound_owner())
    )


#: Run through the driver (:class:`~bot.storage.driver.DriverStatement`): one hop to
#: SQLite's thread where SQLAlchemy's cursor takes four, and every turn reads it.
_SNAPSHOT = DriverStatement(lambda _dialect: _snapshot_query())


#: A turn's state (JSON text), stored if the conversation is still at the version the
#: turn was computed from; run through the driver, as every turn writes it.
_UPDATE_CONVERSATION = DriverStatement(
    lambda _dialect: (
        update(ConversationRow)
        .where(
            ConversationRow.owner_id == select(OwnerRow.id).where(bound_owner()).scalar_subquery(),
            ConversationRow.version == bindparam("b_expected", type_=Integer()),
        )
        .values(state=bindparam("b_state"), version=bindparam("b_version"), updated_at=bindparam("b_now"))
        .returning(ConversationRow.owner_id)
    )
)


class Store:
    """Owner-scoped access to conversations, plan versions and processed events."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # Writers take SQLite's write lock at BEGIN: upgrading a read lock half-way
        # through a transaction fails at once instead of waiting for the busy timeout.
        self._writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        # A turn's reads need no transaction: the snapshot is one statement, and the
        # history beside it is read once it exists. On SQLite that saves BEGIN's hop.
        self._reader = engine.execution_options(**{SQLITE_BEGIN_OPTION: SINGLE_STATEMENT})

    # -- helpers ---------------------------------------------------------------------

    @staticmethod
    async def _owner_id(connection: AsyncConnection, owner: Owner, *, now: datetime | None = None) -> int:
        """Resolve (creating if needed) and lock the owner row for this transaction."""
        query = select(OwnerRow.id).where(is_owner(owner)).with_for_update(key_share=True)
        owner_id = (await connection.execute(query)).scalar_one_or_none()
        if owner_id is not None:
            return owner_id
        values = {
            "platform": owner.platform,
            "tenant": owner.tenant,
            "subject": owner.subject,
            "kind": owner.kind,
            "timezone": None,
            "created_at": now or datetime.now(UTC),
        }
        owner_id = await insert_if_new(
            connection, OwnerRow, values, ("platform", "tenant", "subject"), returning="id"
        )
        if owner_id is not None:
            return int(owner_id)
        return (await connection.execute(query)).scalar_one()  # created meanwhile by another writer

    @staticmethod
    async def _add_plan_version(
        connection: AsyncConnection,
        owner_id: int,
        document: dict[str, Any],
        now: datetime,
        *,
        only_if_changed: bool,
    ) -> int:
        """Append a plan snapshot; returns its number (or the latest one, if unchanged)."""
        latest = (
            await connection.execute(
                select(PlanVersionRow.version, PlanVersionRow.document)
                .where(PlanVersionRow.owner_id == owner_id)
                .order_by(PlanVersionRow.version.desc())
                .limit(1)
            )
        ).first()
        if only_if_changed and latest is not None and latest.document == document:
            return int(latest.version)
        number = 1 if latest is None else int(latest.version) + 1
        await connection.execute(
            insert(PlanVersionRow).values(
                owner_id=owner_id, version=number, document=document, created_at=now
            )
        )
        return number

    # -- turns -----------------------------------------------------------------------

    async def load(self, owner: Owner, *, now: datetime | None = None) -> TurnSnapshot:
        """The owner's conversation, latest plan, timezone and check-in history.

        Reads only: an owner nothing is stored about gets an empty snapshot, and is
        created by the first turn that has something to keep (a "help" keeps nothing).
        ``now`` (default: the system clock) dates the 26 weeks of history; pass the turn's
        own time so an injected clock is honoured.
        """
        moment = datetime.now(UTC) if now is None else utc(now)
        async with self._reader.connect() as connection:
            found = await _SNAPSHOT.fetch(connection, owner_values(owner))
            if not found:
                return _NOBODY
            owner_id, timezone, state, version, plan, plan_version, has_history, unreachable = found[0]
            history: tuple[CheckinEntry, ...] = ()
            if has_history:
                zone = timezone or "UTC"
                history = await load_history(connection, int(owner_id), now=moment, timezone=zone)
        return TurnSnapshot(
            owner_id=int(owner_id),
            state=from_driver_json(state),
            version=int(version or 0),
            plan=from_driver_json(plan),
            plan_version=int(plan_version or 0),
            timezone=timezone,
            history=history,
            unreachable=bool(unreachable),
        )

    async def save_turn(
        self,
        owner: Owner,
        *,
        expected_version: int,
        state: dict[str, Any],
        plan: dict[str, Any] | None,
        now: datetime,
        event_key: tuple[str, str, str] | None = None,
        entries: Sequence[CheckinEntry] = (),
        schedule: ScheduleSpec | None = None,
        plan_version: int | None = None,
        clear_unreachable: bool = True,
    ) -> SaveResult:
        """Store the outcome of one turn atomically, or nothing at all.

        Returns ``"duplicate"`` when ``event_key`` (platform, tenant, event id) was
        already processed, ``"conflict"`` when the conversation moved past
        ``expected_version`` (another replica took a turn: reload and retry), and
        ``"saved"`` otherwise.

        ``plan_version`` is the stored version ``plan`` was derived from (the snapshot's
        ``plan_version``): ``plan`` becomes version ``plan_version + 1`` as is, and a plan
        stored meanwhile (an import) makes the turn a conflict instead of being
        overwritten by a stale one. Without it, the latest version is read back and a new
        one stored only when ``plan`` differs from it.

        In the same transaction: check-in ``entries`` are upserted (a second answer to
        the same question in the same week replaces the first), ``schedule`` is written
        (its next slot recomputed when weekday, time, timezone or a pause changed), and
        the owner is marked reachable again, since they just talked to us (skipped when
        ``clear_unreachable`` is false: the snapshot showed nothing to clear).
        """
        if expected_version < 0:
            raise ValueError("expected_version must be 0 (no conversation yet) or more")
        now = utc(now)
        # Serialised once, here, so what JSON cannot hold is refused before anything is
        # written; the state is not normalised like a plan, since nothing compares it.
        state_text = dumps_json(state)
        document = None if plan is None else _normalised(plan)
        async with write_lock(self._engine), self._writer.connect() as connection:
            await connection.begin()  # before the driver-level UPDATE, which would not begin one
            result = await self._save_turn(
                connection,
                owner,
                expected_version,
                (state, state_text),
                document,
                now,
                event_key,
                entries,
                schedule,
                plan_version,
                clear_unreachable,
            )
            if result == "saved":
                await connection.commit()
            else:
                await connection.rollback()
            return result

    async def _save_turn(
        self,
        connection: AsyncConnection,
        owner: Owner,
        expected_version: int,
        state: tuple[dict[str, Any], str],
        document: dict[str, Any] | None,
        now: datetime,
        event_key: tuple[str, str, str] | None,
        entries: Sequence[CheckinEntry],
        schedule: ScheduleSpec | None,
        plan_version: int | None,
        reachable_again: bool,
    ) -> SaveResult:
        """Every statement a turn needs, the fewest round trips first.

        A conversation that exists is updated through its owner's triple, which both
        resolves the owner and checks the version in one statement; the owner row is
        locked explicitly only where a plan version is numbered from a fresh read.
        """
        owner_id = await self._write_conversation(connection, owner, expected_version, state, now)
        if owner_id is None:
            return "conflict"
        if event_key is not None and not await self._mark_processed(connection, owner_id, event_key, now):
            return "duplicate"
        if document is not None:
            if plan_version is None:
                await self._owner_id(connection, owner, now=now)
                await self._add_plan_version(connection, owner_id, document, now, only_if_changed=True)
            elif not await self._insert_plan_version(connection, owner_id, plan_version + 1, document, now):
                return "conflict"
        await save_entries(connection, owner_id, entries)
        if schedule is not None:
            await save_schedule(connection, owner_id, schedule, now)
        elif reachable_again:
            await clear_unreachable(connection, owner_id, now)
        return "saved"

    async def _write_conversation(
        self,
        connection: AsyncConnection,
        owner: Owner,
        expected_version: int,
        state: tuple[dict[str, Any], str],
        now: datetime,
    ) -> int | None:
        """Store the new state (as a document, and as its JSON text) if the conversation is
        still at ``expected_version``; its owner id."""
        document, text = state
        if expected_version == 0:
            owner_id = await self._owner_id(connection, owner, now=now)
            values = {"owner_id": owner_id, "state": document, "version": 1, "updated_at": now}
            created = await insert_if_new(connection, ConversationRow, values, ("owner_id",))
            return owner_id if created is not None else None
        values = {
            **owner_values(owner),
            "b_expected": expected_version,
            "b_state": text,
            "b_version": expected_version + 1,
            "b_now": driver_time(connection.dialect, now),
        }
        updated = await _UPDATE_CONVERSATION.fetch(connection, values)
        return int(updated[0][0]) if updated else None

    @staticmethod
    async def _mark_processed(
        connection: AsyncConnection, owner_id: int, event_key: tuple[str, str, str], now: datetime
    ) -> bool:
        """Record the platform event as handled; False when it already was (a retry)."""
        platform, tenant, event_id = event_key
        values = {
            "platform": platform,
            "tenant": tenant,
            "event_id": event_id,
            "owner_id": owner_id,
            "created_at": now,
        }
        conflict = ("platform", "tenant", "event_id")
        return await insert_if_new(connection, ProcessedEventRow, values, conflict) is not None

    @staticmethod
    async def _insert_plan_version(
        connection: AsyncConnection, owner_id: int, number: int, document: dict[str, Any], now: datetime
    ) -> bool:
        """Store ``document`` as version ``number``; False when that number is taken."""
        values = {"owner_id": owner_id, "version": number, "document": document, "created_at": now}
        return await insert_if_new(connection, PlanVersionRow, values, ("owner_id", "version")) is not None

    async def is_processed(self, event_key: tuple[str, str, str]) -> bool:
        """Whether the platform event (platform, tenant, event id) was already handled."""
        platform, tenant, event_id = event_key
        async with self._engine.connect() as connection:
            found = await connection.execute(
                select(ProcessedEventRow.event_id).where(
                    ProcessedEventRow.platform == platform,
                    ProcessedEventRow.tenant == tenant,
                    ProcessedEventRow.event_id == event_id,
                )
            )
            return found.first() is not None

    # -- plans -----------------------------------------------------------------------

    async def plan(self, owner: Owner, *, as_of: datetime | None = None) -> dict[str, Any] | None:
        """The latest plan, or the one in force at ``as_of`` (newest stored at or before it)."""
        query = (
            select(PlanVersionRow.document)
            .join(OwnerRow, OwnerRow.id == PlanVersionRow.owner_id)
            .where(is_owner(owner))
        )
        if as_of is None:
            query = query.order_by(PlanVersionRow.version.desc())
        else:
            query = query.where(PlanVersionRow.created_at <= utc(as_of)).order_by(
                PlanVersionRow.created_at.desc(), PlanVersionRow.version.desc()
            )
        async with self._engine.connect() as connection:
            document = (await connection.execute(query.limit(1))).scalar_one_or_none()
        return cast(dict[str, Any] | None, document)

    async def plan_history(self, owner: Owner) -> list[tuple[int, datetime]]:
        """Every stored plan version of the owner with when it was stored, oldest first."""
        query = (
            select(PlanVersionRow.version, PlanVersionRow.created_at)
            .join(OwnerRow, OwnerRow.id == PlanVersionRow.owner_id)
            .where(is_owner(owner))
            .order_by(PlanVersionRow.version)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [(int(version), created_at) for version, created_at in rows]

    async def import_plan(self, owner: Owner, document: dict[str, Any], *, now: datetime) -> int:
        """Store ``document`` as the owner's newest plan version; the conversation is untouched.

        Always a new version, even when identical: an import is a deliberate act the
        history should show.
        """
        now = utc(now)
        normalised = _normalised(document)
        async with write_lock(self._engine), self._writer.begin() as connection:
            owner_id = await self._owner_id(connection, owner, now=now)
            return await self._add_plan_version(connection, owner_id, normalised, now, only_if_changed=False)

    # -- check-ins -------------------------------------------------------------------

    async def snooze(self, owner: Owner, *, until: datetime, week: str, now: datetime) -> bool:
        """Ask the owner that week's check-in again at ``until``; returns whether it is new.

        Idempotent (the same ``until`` twice is one nudge). A snooze replaces that week's
        pending reminder and any earlier snooze of the week still waiting.
        """
        until, now = utc(until), utc(now)
        async with write_lock(self._engine), self._writer.begin() as connection:
            owner_id = await self._owner_id(connection, owner, now=now)
            await connection.execute(
                update(NudgeRow)
                .where(
                    NudgeRow.owner_id == owner_id,
                    NudgeRow.week == week,
                    NudgeRow.status == "due",
                    NudgeRow.kind.in_(("reminder", "snooze")),
                    NudgeRow.slot != until,
                )
                .values(status="skipped", last_error="snoozed")
            )
            values = {
                "owner_id": owner_id,
                "platform": owner.platform,
                "kind": "snooze",
                "slot": until,
                "week": week,
                "status": "due",
                "due_at": until,
                "attempts": 0,
                "next_attempt_at": until,
            }
            return await insert_if_new(connection, NudgeRow, values, ("owner_id", "kind", "slot")) is not None

    async def deactivate_tenant(self, platform: str, tenant: str, *, reason: str, now: datetime) -> int:
        """Stop check-ins to every owner of a tenant (the app was removed from the workspace).

        Marks their schedules unreachable and skips their nudges still waiting; returns
        how many owners were marked. Plans are kept: an owner who talks to the coach again
        (after a reinstall) is reachable again, from their next slot on.
        """
        now = utc(now)
        owners = select(OwnerRow.id).where(OwnerRow.platform == platform, OwnerRow.tenant == tenant)
        async with write_lock(self._engine), self._writer.begin() as connection:
            marked = await connection.execute(
                update(ScheduleRow)
                .where(ScheduleRow.owner_id.in_(owners), ScheduleRow.unreachable_at.is_(None))
                .values(unreachable_at=now, unreachable_reason=reason, updated_at=now)
            )
            await connection.execute(
                update(NudgeRow)
                .where(NudgeRow.owner_id.in_(owners), NudgeRow.status == "due")
                .values(status="skipped", last_error=f"unreachable: {reason}")
            )
            return int(marked.rowcount)

    # -- owners ----------------------------------------------------------------------

    async def set_timezone(self, owner: Owner, timezone: str) -> None:
        """Remember the owner's IANA timezone (check-ins are scheduled in it)."""
        async with write_lock(self._engine), self._writer.begin() as connection:
            owner_id = await self._owner_id(connection, owner)
            await connection.execute(
                update(OwnerRow).where(OwnerRow.id == owner_id).values(timezone=timezone)
            )

    async def forget(self, owner: Owner) -> int:
        """Delete every stored row of the owner, the owner row included; returns the count.

        Walks every table of the metadata that has an ``owner_id`` column (children
        first), so a table added later is forgotten too without touching this method.
        A person's answers to their team's check-ins stay with the team's plan, but no
        longer say who gave them: the person is gone from those rows too (counted).
        """
        async with write_lock(self._engine), self._writer.begin() as connection:
            removed = 0
            if owner.kind == "user":
                teams = select(OwnerRow.id).where(
                    OwnerRow.platform == owner.platform, OwnerRow.tenant == owner.tenant
                )
                scrubbed = await connection.execute(
                    update(CheckinEntryRow)
                    .where(CheckinEntryRow.answered_by == owner.subject, CheckinEntryRow.owner_id.in_(teams))
                    .values(answered_by=None)
                )
                removed += scrubbed.rowcount
            owner_id = (
                await connection.execute(select(OwnerRow.id).where(is_owner(owner)).with_for_update())
            ).scalar_one_or_none()
            if owner_id is None:
                return removed
            owners_table = OwnerRow.__table__
            for table in reversed(Base.metadata.sorted_tables):
                if table is not owners_table and "owner_id" in table.c:
                    deleted = await connection.execute(delete(table).where(table.c.owner_id == owner_id))
                    removed += deleted.rowcount
            deleted = await connection.execute(delete(OwnerRow).where(OwnerRow.id == owner_id))
            return removed + deleted.rowcount

    async def owners(self, *, platform: str | None = None, tenant: str | None = None) -> list[Owner]:
        """Known owners, optionally only those of one platform and/or tenant."""
        query = select(OwnerRow.platform, OwnerRow.tenant, OwnerRow.subject, OwnerRow.kind)
        if platform is not None:
            query = query.where(OwnerRow.platform == platform)
        if tenant is not None:
            query = query.where(OwnerRow.tenant == tenant)
        query = query.order_by(OwnerRow.platform, OwnerRow.tenant, OwnerRow.subject)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [Owner(platform=p, tenant=t, subject=s, kind=owner_kind(k)) for p, t, s, k in rows]
