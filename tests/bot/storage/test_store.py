"""The repository on a real database: atomic turns, plan history, tenancy, forgetting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import ScheduleSpec, Store, TurnSnapshot
from bot.storage.models import ScheduleRow
from coaching.checkins import CheckinEntry, EntryKind
from coaching.document import plan_from_document, plan_to_document
from coaching.model import Owner
from tests.bot.storage.schema import live_tables, owner_key
from tests.bot.storage.test_migrations import EXPECTED_TABLES

ALICE = Owner("console", "local", "alice")
BOB = Owner("console", "local", "bob")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def plan_doc(why: str, **extra: Any) -> dict[str, Any]:
    return {"version": 1, "purpose": {"why": why}, "objectives": [], **extra}


def entry(week: str, kind: EntryKind, subject: str, *, at: datetime, **answer: Any) -> CheckinEntry:
    return CheckinEntry(week=week, kind=kind, subject=subject, at=at, **answer)


async def owner_rows(engine: AsyncEngine, owner_id: int) -> dict[str, int]:
    """Rows belonging to ``owner_id`` in every table of the live schema (see ``schema``).

    A table with no owner column fails here: it could never be forgotten.
    """
    counts: dict[str, int] = {}
    tables = await live_tables(engine)
    async with engine.connect() as connection:
        for table in tables:
            query = select(func.count()).select_from(table).where(table.c[owner_key(table)] == owner_id)
            counts[table.name] = int(await connection.scalar(query) or 0)
    return counts


async def test_loading_an_unknown_owner_starts_empty_and_stores_nothing(store: Store) -> None:
    snapshot = await store.load(ALICE)
    assert snapshot == TurnSnapshot(
        owner_id=0, state=None, version=0, plan=None, plan_version=0, timezone=None
    )
    assert await store.owners() == []
    assert await store.save_turn(ALICE, expected_version=0, state={}, plan=None, now=T0) == "saved"
    assert await store.owners() == [ALICE]
    assert (await store.load(ALICE)).owner_id > 0


async def test_save_and_load_round_trip(store: Store) -> None:
    state = {"step": "purpose", "answers": {"why": "support"}}
    assert (
        await store.save_turn(ALICE, expected_version=0, state=state, plan=plan_doc("a"), now=T0) == "saved"
    )
    loaded = await store.load(ALICE)
    assert loaded == TurnSnapshot(
        owner_id=loaded.owner_id,
        state=state,
        version=1,
        plan=plan_doc("a"),
        plan_version=1,
        timezone=None,
    )
    state2 = {"step": "objectives", "answers": {"why": "support"}}
    assert await store.save_turn(ALICE, expected_version=1, state=state2, plan=None, now=T0) == "saved"
    loaded = await store.load(ALICE)
    assert (loaded.state, loaded.version, loaded.plan, loaded.plan_version) == (
        state2,
        2,
        plan_doc("a"),
        1,
    )


async def test_save_turn_creates_a_missing_owner(store: Store) -> None:
    assert await store.save_turn(ALICE, expected_version=0, state={}, plan=None, now=T0) == "saved"
    assert (await store.load(ALICE)).version == 1


@pytest.mark.parametrize("expected", [0, 1])
async def test_same_expected_version_twice_is_a_conflict(
    store: Store, engine: AsyncEngine, expected: int
) -> None:
    await store.set_timezone(ALICE, "UTC")  # the owner exists; its conversation does not
    owner_id = (await store.load(ALICE)).owner_id
    if expected:
        await store.save_turn(ALICE, expected_version=0, state={"n": 0}, plan=None, now=T0)
    before = await owner_rows(engine, owner_id)

    first = await store.save_turn(
        ALICE,
        expected_version=expected,
        state={"n": "first"},
        plan=plan_doc("first"),
        now=T0,
        event_key=("console", "local", "e-first"),
    )
    second = await store.save_turn(
        ALICE,
        expected_version=expected,
        state={"n": "second"},
        plan=plan_doc("second"),
        now=T0,
        event_key=("console", "local", "e-second"),
    )
    assert (first, second) == ("saved", "conflict")
    loaded = await store.load(ALICE)
    assert (loaded.state, loaded.version, loaded.plan) == (
        {"n": "first"},
        expected + 1,
        plan_doc("first"),
    )
    assert not await store.is_processed(("console", "local", "e-second"))
    after = await owner_rows(engine, owner_id)
    assert after["plan_versions"] == before["plan_versions"] + 1
    assert after["processed_events"] == before["processed_events"] + 1


@pytest.mark.parametrize("expected", [0, 1])
async def test_concurrent_turns_one_wins_and_the_loser_writes_nothing(
    store: Store, engine: AsyncEngine, expected: int
) -> None:
    await store.set_timezone(ALICE, "UTC")  # the owner exists; its conversation does not
    owner_id = (await store.load(ALICE)).owner_id
    if expected:
        await store.save_turn(ALICE, expected_version=0, state={"n": 0}, plan=None, now=T0)

    async def turn(name: str) -> str:
        return await store.save_turn(
            ALICE,
            expected_version=expected,
            state={"n": name},
            plan=plan_doc(name),
            now=T0,
            event_key=("console", "local", f"event-{name}"),
        )

    names = [f"r{i}" for i in range(4)]
    results = dict(zip(names, await asyncio.gather(*(turn(n) for n in names)), strict=True))
    winners = [name for name, result in results.items() if result == "saved"]
    assert len(winners) == 1, results
    assert sorted(results.values()) == ["conflict"] * 3 + ["saved"]
    winner = winners[0]

    loaded = await store.load(ALICE)
    assert (loaded.state, loaded.version, loaded.plan, loaded.plan_version) == (
        {"n": winner},
        expected + 1,
        plan_doc(winner),
        1,
    )
    for name in names:
        assert await store.is_processed(("console", "local", f"event-{name}")) == (name == winner)
    counts = await owner_rows(engine, owner_id)
    assert (counts["plan_versions"], counts["processed_events"]) == (1, 1)


async def test_a_plan_change_creates_a_version_and_an_unchanged_plan_does_not(
    store: Store,
) -> None:
    doc = plan_doc("support", tactics=[{"id": "t1", "channel": "twitter"}])
    version = 0

    async def save(plan: dict[str, Any] | None, when: datetime) -> None:
        nonlocal version
        assert (
            await store.save_turn(ALICE, expected_version=version, state={}, plan=plan, now=when) == "saved"
        )
        version += 1

    await save(doc, T0)
    # Same content: another key order, a tuple where a list was, no plan at all.
    await save(dict(reversed(list(doc.items()))), T0 + timedelta(minutes=1))
    await save({**doc, "tactics": ({"channel": "twitter", "id": "t1"},)}, T0 + timedelta(minutes=2))
    await save(None, T0 + timedelta(minutes=3))
    assert await store.plan_history(ALICE) == [(1, T0)]

    changed = {**doc, "purpose": {"why": "community"}}
    await save(changed, T0 + timedelta(hours=1))
    assert await store.plan_history(ALICE) == [(1, T0), (2, T0 + timedelta(hours=1))]
    assert await store.plan(ALICE) == changed
    snapshot = await store.load(ALICE)
    assert (snapshot.plan, snapshot.plan_version) == (changed, 2)


async def test_plan_as_of_returns_the_version_in_force_then(store: Store) -> None:
    times = [T0, T0 + timedelta(days=7), T0 + timedelta(days=30)]
    for i, when in enumerate(times):
        assert (
            await store.save_turn(ALICE, expected_version=i, state={}, plan=plan_doc(f"v{i + 1}"), now=when)
            == "saved"
        )

    assert await store.plan(ALICE, as_of=T0 - timedelta(microseconds=1)) is None
    assert await store.plan(ALICE, as_of=T0) == plan_doc("v1")
    assert await store.plan(ALICE, as_of=T0 + timedelta(days=6, hours=23)) == plan_doc("v1")
    assert await store.plan(ALICE, as_of=times[1]) == plan_doc("v2")
    berlin = timezone(timedelta(hours=2))
    # 2026-03-08 11:00+02:00 is 09:00 UTC, exactly when v2 was stored.
    assert await store.plan(ALICE, as_of=datetime(2026, 3, 8, 11, 0, tzinfo=berlin)) == plan_doc("v2")
    assert await store.plan(ALICE, as_of=datetime(2026, 3, 8, 10, 59, tzinfo=berlin)) == plan_doc("v1")
    assert await store.plan(ALICE, as_of=T0 + timedelta(days=365)) == plan_doc("v3")
    assert await store.plan(ALICE) == plan_doc("v3")

    history = await store.plan_history(ALICE)
    assert history == [(1, times[0]), (2, times[1]), (3, times[2])]
    assert all(stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0) for _, stamp in history)


async def test_timestamps_come_back_aware_utc(store: Store) -> None:
    tokyo = timezone(timedelta(hours=9))
    when = datetime(2026, 6, 1, 18, 30, 15, 123456, tzinfo=tokyo)
    await store.import_plan(ALICE, plan_doc("x"), now=when)
    [(number, stamp)] = await store.plan_history(ALICE)
    assert number == 1
    assert stamp == when
    assert stamp.tzinfo == UTC
    assert stamp.hour == 9


async def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        await store.save_turn(ALICE, expected_version=0, state={}, plan=None, now=naive)
    with pytest.raises(ValueError, match="naive"):
        await store.import_plan(ALICE, plan_doc("x"), now=naive)
    with pytest.raises(ValueError, match="naive"):
        await store.plan(ALICE, as_of=naive)
    assert (await store.load(ALICE)).version == 0


async def test_duplicate_event_is_reported_and_nothing_is_written(store: Store, engine: AsyncEngine) -> None:
    key = ("slack", "T1", "Ev01")
    assert not await store.is_processed(key)
    assert (
        await store.save_turn(
            ALICE, expected_version=0, state={"n": 1}, plan=plan_doc("a"), now=T0, event_key=key
        )
        == "saved"
    )
    assert await store.is_processed(key)
    owner_id = (await store.load(ALICE)).owner_id
    before = await owner_rows(engine, owner_id)

    retried = await store.save_turn(
        ALICE,
        expected_version=1,
        state={"n": 2},
        plan=plan_doc("b"),
        now=T0 + timedelta(seconds=3),
        event_key=key,
    )
    assert retried == "duplicate"
    loaded = await store.load(ALICE)
    assert (loaded.state, loaded.version, loaded.plan) == ({"n": 1}, 1, plan_doc("a"))
    assert await owner_rows(engine, owner_id) == before

    # Event ids are only unique within a platform and tenant.
    other_tenant = ("slack", "T2", "Ev01")
    assert not await store.is_processed(other_tenant)
    assert (
        await store.save_turn(
            ALICE, expected_version=1, state={"n": 3}, plan=None, now=T0, event_key=other_tenant
        )
        == "saved"
    )


async def test_import_plan_adds_a_version_without_touching_the_conversation(
    store: Store,
) -> None:
    await store.save_turn(ALICE, expected_version=0, state={"s": 1}, plan=plan_doc("a"), now=T0)
    assert await store.import_plan(ALICE, plan_doc("b"), now=T0 + timedelta(days=1)) == 2
    assert await store.import_plan(ALICE, plan_doc("b"), now=T0 + timedelta(days=2)) == 3
    loaded = await store.load(ALICE)
    assert (loaded.state, loaded.version, loaded.plan, loaded.plan_version) == (
        {"s": 1},
        1,
        plan_doc("b"),
        3,
    )
    # A new owner can be imported straight away.
    assert await store.import_plan(BOB, plan_doc("bob"), now=T0) == 1
    assert await store.plan(BOB) == plan_doc("bob")


async def test_set_timezone(store: Store) -> None:
    await store.set_timezone(ALICE, "Europe/Berlin")
    assert (await store.load(ALICE)).timezone == "Europe/Berlin"
    await store.set_timezone(ALICE, "America/New_York")
    assert (await store.load(ALICE)).timezone == "America/New_York"
    assert (await store.load(BOB)).timezone is None


async def test_forget_removes_every_row_of_the_owner_and_nothing_else(
    store: Store, engine: AsyncEngine
) -> None:
    ids: dict[Owner, int] = {}
    for i, owner in enumerate((ALICE, BOB)):
        await store.set_timezone(owner, "Europe/Berlin")
        ids[owner] = (await store.load(owner)).owner_id
        for turn in range(3):
            assert (
                await store.save_turn(
                    owner,
                    expected_version=turn,
                    state={"turn": turn},
                    plan=plan_doc(f"{owner.subject}-{turn}"),
                    now=T0 + timedelta(hours=turn),
                    event_key=("console", "local", f"{i}-{turn}"),
                    entries=[entry("2026-W09", "verdict", "t1", at=T0, verdict="yes")],
                    schedule=ScheduleSpec("monday", "09:00", "Europe/Berlin"),
                )
                == "saved"
            )
        await store.import_plan(owner, plan_doc("imported"), now=T0 + timedelta(days=1))
        assert await store.snooze(owner, until=T0 + timedelta(days=2), week="2026-W09", now=T0)

    alice_before = await owner_rows(engine, ids[ALICE])
    bob_before = await owner_rows(engine, ids[BOB])
    assert set(alice_before) == EXPECTED_TABLES
    assert all(count > 0 for count in alice_before.values()), alice_before

    assert await store.forget(ALICE) == sum(alice_before.values())
    assert await owner_rows(engine, ids[ALICE]) == dict.fromkeys(alice_before, 0)
    assert await owner_rows(engine, ids[BOB]) == bob_before
    assert await store.owners() == [BOB]
    assert await store.plan(ALICE) is None
    assert await store.plan_history(ALICE) == []
    assert not await store.is_processed(("console", "local", "0-0"))
    assert await store.is_processed(("console", "local", "1-0"))
    assert await store.forget(ALICE) == 0

    fresh = await store.load(ALICE)
    assert (fresh.state, fresh.version, fresh.plan, fresh.timezone) == (None, 0, None, None)


async def test_tenants_with_the_same_subject_never_see_each_other(store: Store) -> None:
    acme = Owner("slack", "T-ACME", "U123")
    globex = Owner("slack", "T-GLOBEX", "U123")
    discord_same_ids = Owner("discord", "T-ACME", "U123")

    await store.save_turn(acme, expected_version=0, state={"who": "acme"}, plan=plan_doc("acme"), now=T0)
    assert await store.plan(globex) is None
    assert await store.plan(discord_same_ids) is None
    assert await store.plan_history(globex) == []

    await store.import_plan(globex, plan_doc("globex"), now=T0 + timedelta(days=1))
    assert await store.plan(acme) == plan_doc("acme")
    assert await store.plan(globex) == plan_doc("globex")
    assert await store.plan(acme, as_of=T0 + timedelta(days=2)) == plan_doc("acme")
    assert await store.plan_history(acme) == [(1, T0)]
    assert await store.plan_history(globex) == [(1, T0 + timedelta(days=1))]

    globex_turn = await store.load(globex)
    assert (globex_turn.state, globex_turn.version) == (None, 0)
    # Acme's conversation version says nothing about Globex's: both start at 0.
    assert (
        await store.save_turn(globex, expected_version=0, state={"who": "globex"}, plan=None, now=T0)
        == "saved"
    )
    assert (await store.load(acme)).state == {"who": "acme"}

    await store.set_timezone(discord_same_ids, "UTC")
    assert await store.owners(tenant="T-ACME", platform="slack") == [acme]
    assert await store.owners(tenant="T-ACME") == [discord_same_ids, acme]
    assert await store.owners(platform="slack") == [acme, globex]

    await store.forget(acme)
    assert await store.plan(globex) == plan_doc("globex")
    assert (await store.load(globex)).state == {"who": "globex"}


async def test_owner_kind_is_kept(store: Store) -> None:
    channel = Owner("discord", "G1", "C42", kind="team")
    await store.set_timezone(channel, "UTC")
    assert await store.owners(platform="discord") == [channel]


async def test_json_round_trips_unicode_emoji_and_long_strings(store: Store) -> None:
    long_text = ("Grüße, 世界! 👩‍👩‍👧‍👦 " * 3000)[:40_000]
    document = {
        "version": 1,
        "purpose": {"why": long_text, "audience": "مرحبا بالعالم", "what": "ｆｕｌｌ　ｗｉｄｔｈ"},
        "emoji": "🚀🔥💬🇩🇪 e\u0301 \U0001f9d1\u200d\U0001f4bb",
        "quotes": 'He said "hi" \\ and left\n\ttabbed',
        "numbers": [0, -1, 2**53, 3.5, 1e-9],
        "flags": [True, False, None],
        "nested": {"a": [{"b": [{"c": "ü"}]}]},
        "keys with spaces and ünïcödé": "✓",
    }
    state = {"draft": long_text[::-1], "choices": ["①", "②", "③"], "raw": document}
    assert await store.save_turn(ALICE, expected_version=0, state=state, plan=document, now=T0) == "saved"
    loaded = await store.load(ALICE)
    assert loaded.state == state
    assert loaded.plan == document
    assert len(loaded.plan["purpose"]["why"]) == 40_000
    assert await store.plan(ALICE, as_of=T0) == document
    # Reading it back and saving it again is not a change.
    assert await store.save_turn(ALICE, expected_version=1, state=state, plan=document, now=T0) == "saved"
    assert [v for v, _ in await store.plan_history(ALICE)] == [1]


async def test_values_json_cannot_hold_are_refused_before_writing(store: Store) -> None:
    with pytest.raises(ValueError, match="JSON"):
        await store.save_turn(ALICE, expected_version=0, state={"x": float("nan")}, plan=None, now=T0)
    with pytest.raises(TypeError):
        await store.save_turn(ALICE, expected_version=0, state={"x": object()}, plan=None, now=T0)
    assert (await store.load(ALICE)).version == 0


async def test_a_plan_imported_while_a_turn_was_computed_is_not_overwritten(store: Store) -> None:
    await store.save_turn(ALICE, expected_version=0, state={"s": 1}, plan=plan_doc("a"), now=T0)
    snapshot = await store.load(ALICE, now=T0)
    await store.import_plan(ALICE, plan_doc("imported"), now=T0 + timedelta(minutes=1))

    stale = await store.save_turn(
        ALICE,
        expected_version=snapshot.version,
        state={"s": 2},
        plan=plan_doc("from the stale plan"),
        plan_version=snapshot.plan_version,
        now=T0 + timedelta(minutes=2),
    )

    assert stale == "conflict"
    fresh = await store.load(ALICE, now=T0)
    assert (fresh.state, fresh.plan, fresh.plan_version) == ({"s": 1}, plan_doc("imported"), 2)


async def test_the_snapshot_says_whether_there_is_history_to_read_and_a_flag_to_clear(
    store: Store, engine: AsyncEngine
) -> None:
    await store.save_turn(ALICE, expected_version=0, state={}, plan=None, now=T0)
    assert (await store.load(ALICE, now=T0)).unreachable is False

    owner_id = (await store.load(ALICE, now=T0)).owner_id
    async with engine.begin() as connection:  # what a permanent send failure leaves behind
        await connection.execute(
            insert(ScheduleRow).values(
                owner_id=owner_id,
                weekday="monday",
                time="09:00",
                timezone="UTC",
                paused=False,
                active=True,
                updated_at=T0,
                unreachable_at=T0,
                unreachable_reason="channel_not_found",
            )
        )
    assert (await store.load(ALICE, now=T0)).unreachable is True

    saved = await store.save_turn(
        ALICE, expected_version=1, state={}, plan=None, now=T0, clear_unreachable=False
    )
    assert saved == "saved"
    assert (await store.load(ALICE, now=T0)).unreachable is True, "asked not to clear it"
    await store.save_turn(ALICE, expected_version=2, state={}, plan=None, now=T0)
    assert (await store.load(ALICE, now=T0)).unreachable is False, "a turn clears it by default"


async def test_an_imported_plan_with_nul_characters_is_stored_alike_on_every_backend(store: Store) -> None:
    document = {
        "version": 1,
        "owner": {"platform": "console", "tenant": "local", "subject": "alice", "kind": "user"},
        "purpose": {"audience": "Indie\x00 developers"},
        "priorities": {"boundaries": ["no\x00 weekends"]},
    }
    plan = plan_from_document(document)
    await store.import_plan(ALICE, plan_to_document(plan), now=T0)
    stored = await store.plan(ALICE)
    assert stored is not None
    assert stored["purpose"]["audience"] == "Indie developers"
    assert stored["priorities"]["boundaries"] == ["no weekends"]
