"""Schedules saved with a turn: next slot kept right, pauses, reachability, snoozes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import ScheduleSpec, Store
from bot.storage.models import NudgeRow, OwnerRow, ScheduleRow
from coaching.model import Owner

ALICE = Owner("console", "local", "alice")
T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
BERLIN_MONDAY = ScheduleSpec("monday", "09:00", "Europe/Berlin")


async def turn(store: Store, schedule: ScheduleSpec | None, *, now: datetime = T0) -> None:
    snapshot = await store.load(ALICE, now=now)
    saved = await store.save_turn(
        ALICE, expected_version=snapshot.version, state={}, plan=None, now=now, schedule=schedule
    )
    assert saved == "saved"


async def schedule_row(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(select(ScheduleRow))).one()


async def test_a_new_schedule_is_due_at_the_next_slot(store: Store, engine: AsyncEngine) -> None:
    await turn(store, BERLIN_MONDAY)
    row = await schedule_row(engine)
    assert row.next_due_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert (row.weekday, row.time, row.timezone, row.paused, row.active) == (
        "monday",
        "09:00",
        "Europe/Berlin",
        False,
        True,
    )


async def test_an_unchanged_schedule_keeps_its_next_slot_and_a_change_moves_it(
    store: Store, engine: AsyncEngine
) -> None:
    await turn(store, BERLIN_MONDAY)
    await turn(store, BERLIN_MONDAY, now=T0 + timedelta(days=10))  # past the slot: left to the dispatcher
    assert (await schedule_row(engine)).next_due_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    await turn(store, ScheduleSpec("friday", "17:30", "America/New_York"), now=T0 + timedelta(days=10))
    assert (await schedule_row(engine)).next_due_at == datetime(2026, 3, 20, 21, 30, tzinfo=UTC)  # EDT


async def test_pause_clears_the_next_slot_and_skips_what_is_waiting(
    store: Store, engine: AsyncEngine
) -> None:
    await turn(store, BERLIN_MONDAY)
    assert await store.snooze(ALICE, until=T0 + timedelta(hours=5), week="2026-W10", now=T0)
    await turn(store, ScheduleSpec("monday", "09:00", "Europe/Berlin", paused=True))
    assert (await schedule_row(engine)).next_due_at is None
    async with engine.connect() as connection:
        assert (await connection.execute(select(NudgeRow.status))).scalars().all() == ["skipped"]
    resumed_at = T0 + timedelta(weeks=3)
    await turn(store, BERLIN_MONDAY, now=resumed_at)
    assert (await schedule_row(engine)).next_due_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # CEST


async def test_pause_until_skips_the_slots_up_to_that_date(store: Store, engine: AsyncEngine) -> None:
    await turn(store, ScheduleSpec("monday", "09:00", "Europe/Berlin", paused_until=date(2026, 3, 16)))
    assert (await schedule_row(engine)).next_due_at == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)


async def test_inactive_schedule_has_no_next_slot(store: Store, engine: AsyncEngine) -> None:
    await turn(store, ScheduleSpec("monday", "09:00", "Europe/Berlin", active=False))
    assert (await schedule_row(engine)).next_due_at is None


async def test_any_turn_makes_an_unreachable_owner_reachable_again(store: Store, engine: AsyncEngine) -> None:
    await turn(store, BERLIN_MONDAY)
    async with engine.begin() as connection:
        await connection.execute(
            update(ScheduleRow).values(
                unreachable_at=T0, unreachable_reason="cannot_dm_bot", next_due_at=T0 - timedelta(weeks=4)
            )
        )
    later = T0 + timedelta(weeks=5)
    await turn(store, None, now=later)
    row = await schedule_row(engine)
    assert (row.unreachable_at, row.unreachable_reason) == (None, None)
    # No catch-up for the weeks they could not be reached: the next slot after now.
    assert row.next_due_at == datetime(2026, 4, 13, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [("weekday", "mondays"), ("time", "9:00"), ("time", "24:00"), ("timezone", "Mars/Olympus")],
)
def test_invalid_schedules_are_refused(field: str, value: str) -> None:
    fields: dict[str, Any] = {"weekday": "monday", "time": "09:00", "timezone": "UTC", field: value}
    with pytest.raises(ValueError, match=field if field != "time" else "time|hour"):
        ScheduleSpec(**fields)


async def test_snooze_is_idempotent_and_replaces_the_pending_reminder(
    store: Store, engine: AsyncEngine
) -> None:
    await turn(store, BERLIN_MONDAY)
    owner_id = (await store.load(ALICE)).owner_id
    async with engine.begin() as connection:
        await connection.execute(
            NudgeRow.__table__.insert().values(
                owner_id=owner_id,
                platform="console",
                kind="reminder",
                slot=T0,
                week="2026-W10",
                status="due",
                due_at=T0,
                attempts=0,
                next_attempt_at=T0,
            )
        )
    until = T0 + timedelta(hours=4)
    assert await store.snooze(ALICE, until=until, week="2026-W10", now=T0)
    assert not await store.snooze(ALICE, until=until, week="2026-W10", now=T0 + timedelta(minutes=1))
    later = until + timedelta(hours=2)
    assert await store.snooze(ALICE, until=later, week="2026-W10", now=T0 + timedelta(minutes=2))
    async with engine.connect() as connection:
        rows = (await connection.execute(select(NudgeRow.kind, NudgeRow.slot, NudgeRow.status))).all()
    assert sorted(rows) == [
        ("reminder", T0, "skipped"),
        ("snooze", until, "skipped"),
        ("snooze", later, "due"),
    ]


async def test_deactivating_a_tenant_marks_its_owners_unreachable_and_skips_their_nudges(
    store: Store, engine: AsyncEngine
) -> None:
    acme = [Owner("slack", "T-ACME", "U1"), Owner("slack", "T-ACME", "C1", kind="team")]
    other = Owner("slack", "T-OTHER", "U1")
    for owner in [*acme, other]:
        snapshot = await store.load(owner)
        await store.save_turn(
            owner, expected_version=snapshot.version, state={}, plan=None, now=T0, schedule=BERLIN_MONDAY
        )
        await store.snooze(owner, until=T0 + timedelta(hours=2), week="2026-W10", now=T0)
    assert await store.deactivate_tenant("slack", "T-ACME", reason="app uninstalled", now=T0) == 2
    assert await store.deactivate_tenant("slack", "T-ACME", reason="app uninstalled", now=T0) == 0
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(OwnerRow.tenant, ScheduleRow.unreachable_reason, NudgeRow.status)
                .join(ScheduleRow, ScheduleRow.owner_id == OwnerRow.id)
                .join(NudgeRow, NudgeRow.owner_id == OwnerRow.id)
            )
        ).all()
    assert sorted(rows) == [
        ("T-ACME", "app uninstalled", "skipped"),
        ("T-ACME", "app uninstalled", "skipped"),
        ("T-OTHER", None, "due"),
    ]
