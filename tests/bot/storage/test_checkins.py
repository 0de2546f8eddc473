"""Check-in answers saved with a turn: upserted per week and question, read back as history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import Store
from bot.storage.models import CheckinEntryRow
from coaching.checkins import CheckinEntry, EntryKind, week_key
from coaching.model import Owner

ALICE = Owner("console", "local", "alice")
BOB = Owner("console", "local", "bob")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, ISO week 2026-W10


def entry(kind: EntryKind, subject: str, *, at: datetime = T0, **answer: Any) -> CheckinEntry:
    return CheckinEntry(week=week_key(at, "UTC"), kind=kind, subject=subject, at=at, **answer)


async def save(store: Store, owner: Owner, entries: list[CheckinEntry], *, now: datetime = T0) -> str:
    snapshot = await store.load(owner, now=now)
    return await store.save_turn(
        owner,
        expected_version=snapshot.version,
        state={"at": now.isoformat()},
        plan=None,
        now=now,
        entries=entries,
    )


async def test_entries_are_saved_with_the_turn_and_loaded_as_history(store: Store) -> None:
    answers = [
        entry("verdict", "t1", verdict="yes", answered_by="U1"),
        entry("metric", "o1", value=42.5),
        entry("note", "", text="Busy week <!channel>"),
    ]
    assert await save(store, ALICE, answers) == "saved"
    history = (await store.load(ALICE, now=T0)).history
    assert history == tuple(answers)
    assert (await store.load(BOB, now=T0)).history == ()


async def test_a_second_answer_the_same_week_replaces_the_first(store: Store, engine: AsyncEngine) -> None:
    await save(store, ALICE, [entry("verdict", "t1", verdict="no"), entry("metric", "o1", value=1.0)])
    later = T0 + timedelta(hours=3)
    await save(store, ALICE, [entry("verdict", "t1", verdict="somewhat", at=later)], now=later)
    history = (await store.load(ALICE, now=later)).history
    assert [(e.kind, e.subject, e.verdict, e.value) for e in history] == [
        ("metric", "o1", None, 1.0),
        ("verdict", "t1", "somewhat", None),
    ]
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(CheckinEntryRow)) == 2


async def test_history_covers_the_last_26_weeks_oldest_first(store: Store) -> None:
    now = T0 + timedelta(weeks=30)
    for weeks_ago in (30, 26, 25, 3, 0):
        at = now - timedelta(weeks=weeks_ago)
        await save(store, ALICE, [entry("metric", "o1", at=at, value=float(weeks_ago))], now=at)
    history = (await store.load(ALICE, now=now)).history
    assert [e.value for e in history] == [25.0, 3.0, 0.0]
    assert [e.week for e in history] == sorted(e.week for e in history)


async def test_entries_of_a_turn_that_lost_the_race_are_not_written(store: Store) -> None:
    assert await save(store, ALICE, []) == "saved"
    lost = await store.save_turn(
        ALICE, expected_version=0, state={}, plan=None, now=T0, entries=[entry("note", "", text="lost")]
    )
    assert lost == "conflict"
    assert (await store.load(ALICE, now=T0)).history == ()
