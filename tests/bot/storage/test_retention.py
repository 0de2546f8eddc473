"""Retention on a real database (SQLite and PostgreSQL), with the clock passed in.

Each row is placed just inside or just outside its window, so an off-by-one in a cutoff
or a wrong column fails a test.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from bot import cli
from bot.scheduling.dispatcher import PassReport
from bot.scheduling.runner import DispatchRunner
from bot.settings import Settings
from bot.storage import Outbox, PruneReport, ScheduleSpec, Store, make_engine, prune, upgrade_database
from bot.storage.models import CheckinEntryRow, NudgeRow, ProcessedEventRow
from bot.storage.outbox import Sent
from bot.storage.retention import MIN_CHECKIN_DAYS
from coaching.checkins import CheckinEntry
from coaching.model import Owner

ALICE = Owner("console", "local", "alice")
BOB = Owner("console", "local", "bob")
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


async def take_turns(store: Store, owner: Owner, turns: list[dict[str, Any]]) -> None:
    """Saved turns of ``owner``, each with its own time, event id and check-in answers."""
    for number, turn in enumerate(turns):
        saved = await store.save_turn(
            owner,
            expected_version=(await store.load(owner, now=turn["at"])).version,
            state={"turn": number},
            plan=None,
            now=turn["at"],
            event_key=("console", "local", f"{owner.subject}-{number}"),
            entries=[
                CheckinEntry(week=week, kind="verdict", subject="t1", at=turn["at"], verdict="yes")
                for week in turn.get("weeks", ())
            ],
        )
        assert saved == "saved"


async def add_nudge(
    engine: AsyncEngine, owner_id: int, *, status: str, slot: datetime, sent_at: datetime | None = None
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(NudgeRow).values(
                owner_id=owner_id,
                platform="console",
                kind="checkin",
                slot=slot,
                week=f"{slot:%G-W%V}",
                status=status,
                due_at=slot,
                attempts=1,
                next_attempt_at=slot,
                sent_at=sent_at,
            )
        )


async def left(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        events = (await connection.execute(select(ProcessedEventRow.event_id))).scalars().all()
        weeks = (await connection.execute(select(CheckinEntryRow.week))).scalars().all()
        nudges = (await connection.execute(select(NudgeRow.status, NudgeRow.slot, NudgeRow.sent_at))).all()
    return {"events": sorted(events), "weeks": sorted(weeks), "nudges": sorted(map(tuple, nudges))}


async def test_prune_deletes_exactly_what_is_past_its_window(store: Store, engine: AsyncEngine) -> None:
    answers_cut, events_cut = NOW - timedelta(days=730), NOW - timedelta(hours=48)
    await take_turns(
        store,
        ALICE,
        [
            {"at": answers_cut - SECOND, "weeks": ["2025-W22"]},  # answer and event both old
            {"at": events_cut - SECOND, "weeks": ["2027-W20"]},  # event just old, answer young
            {"at": events_cut + SECOND},  # event just young
        ],
    )
    await take_turns(store, BOB, [{"at": events_cut - timedelta(days=1)}])  # another owner, old event
    alice = (await store.load(ALICE)).owner_id
    old, young = answers_cut - SECOND, answers_cut + SECOND
    await add_nudge(engine, alice, status="sent", slot=old - timedelta(days=1), sent_at=old)
    await add_nudge(engine, alice, status="failed", slot=old - timedelta(days=2))
    await add_nudge(engine, alice, status="skipped", slot=old - timedelta(days=3))
    await add_nudge(engine, alice, status="sent", slot=old, sent_at=young)  # sent late: still young
    await add_nudge(engine, alice, status="sent", slot=young, sent_at=young)
    await add_nudge(engine, alice, status="due", slot=old - timedelta(days=4))  # still to do
    await add_nudge(engine, alice, status="claimed", slot=old - timedelta(days=5))  # under way

    report = await prune(engine, now=NOW, checkin_days=730, event_hours=48)

    assert report == PruneReport(checkin_entries=1, processed_events=3, nudges=3)
    assert await left(engine) == {
        "events": ["alice-2"],
        "weeks": ["2027-W20"],
        "nudges": sorted(
            [
                ("sent", old, young),
                ("sent", young, young),
                ("due", old - timedelta(days=4), None),
                ("claimed", old - timedelta(days=5), None),
            ]
        ),
    }
    assert await prune(engine, now=NOW, checkin_days=730, event_hours=48) == PruneReport()
    assert (await store.load(ALICE, now=NOW)).state == {"turn": 2}, "the conversation is not touched"


async def test_keeping_answers_for_ever_still_expires_event_ids(store: Store, engine: AsyncEngine) -> None:
    long_ago = NOW - timedelta(days=3000)
    await take_turns(store, ALICE, [{"at": long_ago, "weeks": ["2019-W01"]}])
    await add_nudge(
        engine, (await store.load(ALICE)).owner_id, status="sent", slot=long_ago, sent_at=long_ago
    )

    report = await prune(engine, now=NOW, checkin_days=None, event_hours=48)

    assert report == PruneReport(processed_events=1)
    assert await left(engine) == {
        "events": [],
        "weeks": ["2019-W01"],
        "nudges": [("sent", long_ago, long_ago)],
    }


async def test_a_backlog_is_deleted_in_small_batches_until_none_is_left(
    store: Store, engine: AsyncEngine
) -> None:
    await take_turns(store, ALICE, [{"at": NOW - timedelta(days=10, hours=i)} for i in range(7)])
    report = await prune(engine, now=NOW, checkin_days=None, event_hours=48, batch=2)
    assert report.processed_events == 7
    assert (await left(engine))["events"] == []


async def test_cutoffs_that_would_break_the_outbox_or_dedup_are_refused(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="at least 28"):
        await prune(engine, now=NOW, checkin_days=MIN_CHECKIN_DAYS - 1, event_hours=48)
    with pytest.raises(ValueError, match="hours"):
        await prune(engine, now=NOW, checkin_days=None, event_hours=0)
    with pytest.raises(ValueError, match="naive"):
        await prune(engine, now=NOW.replace(tzinfo=None), checkin_days=None, event_hours=48)


async def test_old_slots_pruned_from_the_outbox_are_never_sent_again(
    store: Store, engine: AsyncEngine
) -> None:
    """Ten weekly check-ins sent, the old ones pruned: later passes only ever enqueue new slots."""
    first_slot = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday
    await store.save_turn(
        ALICE,
        expected_version=0,
        state={},
        plan=None,
        now=first_slot - timedelta(days=1),
        schedule=ScheduleSpec("monday", "09:00", "UTC"),
    )
    outbox = Outbox(engine)

    async def week(now: datetime) -> list[tuple[str, datetime]]:
        await outbox.enqueue_due(now)
        await outbox.enqueue_reminders(now)
        claimed = await outbox.claim(
            now=now, limit=10, platforms=["console"], worker="w", lease=timedelta(minutes=5)
        )
        await outbox.record([Sent(n.id, None) for n in claimed], worker="w", now=now)
        return [(n.kind, n.slot) for n in claimed]

    slots = [first_slot + timedelta(weeks=i) for i in range(11)]
    sent = [nudge for slot in slots[:10] for nudge in await week(slot + timedelta(hours=1))]
    assert sent == [("checkin", slot) for slot in slots[:10]]
    now = first_slot + timedelta(weeks=9, days=2)

    report = await prune(engine, now=now, checkin_days=MIN_CHECKIN_DAYS, event_hours=48)
    assert report.nudges == 6  # the slots of weeks 0-5 are more than 28 days old

    # Every six hours until the next check-in: only week 9's reminder is due, nothing pruned comes back.
    again = [nudge for hours in range(0, 24 * 5, 6) for nudge in await week(now + timedelta(hours=hours))]
    assert again == [("reminder", slots[9])]
    assert await week(slots[10] + timedelta(hours=1)) == [("checkin", slots[10])]


URL = "sqlite+aiosqlite:///unused.db"


def test_retention_settings_default_to_two_years_and_two_days_and_may_keep_answers_for_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("COACH_CHECKIN_RETENTION_DAYS", "COACH_EVENT_RETENTION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings(_env_file=None, coach_database_url=URL)
    assert (defaults.coach_checkin_retention_days, defaults.coach_event_retention_hours) == (730, 48)
    for forever in ("none", "Forever"):
        monkeypatch.setenv("COACH_CHECKIN_RETENTION_DAYS", forever)
        assert Settings(_env_file=None, coach_database_url=URL).coach_checkin_retention_days is None
    monkeypatch.setenv("COACH_CHECKIN_RETENTION_DAYS", "")
    unset = Settings(_env_file=None, coach_database_url=URL)
    assert unset.coach_checkin_retention_days == 730, "an empty variable is an unset one"
    monkeypatch.setenv("COACH_CHECKIN_RETENTION_DAYS", str(MIN_CHECKIN_DAYS - 1))
    with pytest.raises(ValidationError):
        Settings(_env_file=None, coach_database_url=URL)


class IdlePasses:
    async def run_pass(self, now: datetime) -> PassReport:
        return PassReport()

    def stop(self) -> None:
        pass


async def test_the_runner_runs_the_daily_job_at_start_with_the_injected_clock() -> None:
    ran: asyncio.Queue[datetime] = asyncio.Queue()

    async def daily(now: datetime) -> PruneReport:
        await ran.put(now)
        return PruneReport(processed_events=1)

    runner = DispatchRunner(IdlePasses(), clock=lambda: NOW, interval=3600, daily=daily)
    runner.start()
    try:
        assert await asyncio.wait_for(ran.get(), timeout=10) == NOW
    finally:
        await runner.stop()


async def test_a_failing_daily_job_is_logged_and_dispatch_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    failed = asyncio.Event()
    passed = asyncio.Event()

    async def daily(now: datetime) -> None:
        failed.set()
        raise ConnectionError("database went away")

    class Passes(IdlePasses):
        async def run_pass(self, now: datetime) -> PassReport:
            passed.set()
            return PassReport()

    runner = DispatchRunner(Passes(), clock=lambda: NOW, interval=3600, daily=daily)
    runner.start()
    try:
        await asyncio.wait_for(failed.wait(), timeout=10)
        await asyncio.wait_for(passed.wait(), timeout=10)
    finally:
        await runner.stop()
    assert any(r.message == "daily job failed" and r.exc_info for r in caplog.records)


def test_coach_db_prune_applies_the_settings_as_of_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    monkeypatch.setenv("COACH_EVENT_RETENTION_HOURS", "24")

    async def seed() -> None:
        engine = make_engine(url)
        try:
            await upgrade_database(engine)
            await take_turns(Store(engine), ALICE, [{"at": NOW - timedelta(hours=h)} for h in (30, 20)])
        finally:
            await engine.dispose()

    asyncio.run(seed())
    runner = CliRunner()
    pruned = runner.invoke(cli.app, ["db", "prune", "--now", NOW.isoformat()])
    assert pruned.exit_code == 0, pruned.output
    assert pruned.stdout == (
        "Pruned as of 2027-06-01T12:00:00+00:00: "
        "0 check-in answers, 0 finished nudges, 1 handled event ids.\n"
    )
    again = runner.invoke(cli.app, ["db", "prune", "--now", NOW.isoformat()])
    assert "0 handled event ids" in again.stdout
    refused = runner.invoke(cli.app, ["db", "prune", "--now", "tomorrow"])
    assert refused.exit_code == 2 and "ISO-8601" in refused.stderr
