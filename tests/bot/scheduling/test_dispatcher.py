"""The dispatch pass on a real database: catch-up policy, retries, failures, claims, shutdown.

The clock is an argument: every test moves it by hand and never sleeps.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.dispatcher import DispatchConfig, Dispatcher
from bot.scheduling.ports import OutboundNudge, PermanentSendError, TransientSendError
from bot.scheduling.retry import RetryPolicy
from bot.storage import Claimant, ClaimedNudge, Outbox, ScheduleSpec, Store
from coaching.checkins import CheckinEntry
from coaching.model import Owner
from tests.bot.scheduling.conftest import (
    FakeCompose,
    RecordingSender,
    add_owner,
    console,
    dispatcher,
    nudges,
    schedule_of,
)

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # Wednesday
BERLIN = ScheduleSpec("monday", "09:00", "Europe/Berlin")
NEW_YORK = ScheduleSpec("monday", "09:00", "America/New_York")
MON_9_BERLIN = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # 09:00 CET


async def test_a_due_check_in_is_sent_once_and_the_next_pass_sends_nothing(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    sender = RecordingSender()
    compose = FakeCompose()
    run = dispatcher(outbox, sender, compose=compose)

    early = await run.run_pass(MON_9_BERLIN - timedelta(minutes=1))
    assert (early.enqueued, early.sent, sender.sent) == (0, 0, [])

    report = await run.run_pass(MON_9_BERLIN)
    assert (report.enqueued, report.claimed, report.sent) == (1, 1, 1)
    assert compose.calls == [(console("alice"), "2026-W11", "checkin")]
    [row] = await nudges(engine)
    assert (row.subject, row.status, row.slot) == ("alice", "sent", MON_9_BERLIN)
    assert row.message_ref == f"ref-{row.id}"
    assert row.sent_at is not None and row.sent_at >= MON_9_BERLIN

    again = await run.run_pass(MON_9_BERLIN)
    assert (again.enqueued, again.claimed) == (0, 0)
    assert sender.subjects() == ["alice"]
    assert (await schedule_of(engine, "alice")).next_due_at == MON_9_BERLIN + timedelta(weeks=1)


async def test_slots_stay_at_nine_local_in_two_timezones_across_dst(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    start = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)
    await add_owner(store, console("berlin"), BERLIN, now=start)
    await add_owner(store, console("newyork"), NEW_YORK, now=start)
    run = dispatcher(outbox)
    day = start
    while day < datetime(2026, 4, 10, tzinfo=UTC):  # NY changes on 8 March, Berlin on 29 March
        day += timedelta(days=1)
        await run.run_pass(day)
    zones = {"berlin": ZoneInfo("Europe/Berlin"), "newyork": ZoneInfo("America/New_York")}
    rows = [r for r in await nudges(engine) if r.kind == "checkin"]
    local = {
        name: [r.slot.astimezone(zone) for r in rows if r.subject == name] for name, zone in zones.items()
    }
    for name, times in local.items():
        assert len(times) == 6, name
        assert {(t.weekday(), t.hour, t.minute) for t in times} == {(0, 9, 0)}, name
        assert len({t.utcoffset() for t in times}) == 2, name


async def test_a_nonexistent_local_time_is_moved_not_dropped(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("owl"), ScheduleSpec("sunday", "02:30", "Europe/Berlin"), now=T0)
    run = dispatcher(outbox)
    for day in range(1, 36):
        await run.run_pass(T0 + timedelta(days=day))
    berlin = ZoneInfo("Europe/Berlin")
    slots = [
        r.slot.astimezone(berlin).strftime("%m-%d %H:%M") for r in await nudges(engine) if r.kind == "checkin"
    ]
    assert slots == ["03-08 02:30", "03-15 02:30", "03-22 02:30", "03-29 03:00", "04-05 02:30"]


async def test_three_weeks_of_downtime_give_exactly_one_catch_up_per_owner(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    owners = {"berlin": BERLIN, "newyork": NEW_YORK, "friday": ScheduleSpec("friday", "17:00", "UTC")}
    for name, spec in owners.items():
        await add_owner(store, console(name), spec, now=T0)
    sender = RecordingSender()
    run = dispatcher(outbox, sender)
    back = T0 + timedelta(weeks=3, days=1)  # Thursday, three Mondays and three Fridays missed
    report = await run.run_pass(back)
    assert report.sent == 3
    assert sorted(sender.subjects()) == ["berlin", "friday", "newyork"]
    by_owner = {r.subject: r for r in await nudges(engine)}
    assert by_owner["berlin"].slot == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # the latest Monday only
    assert by_owner["friday"].slot == datetime(2026, 3, 20, 17, 0, tzinfo=UTC)
    assert (await schedule_of(engine, "berlin")).next_due_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)

    assert (await run.run_pass(back)).claimed == 0
    assert (await run.run_pass(back + timedelta(days=3))).enqueued == 1  # Friday 27th, on time again
    assert [n.kind for n in sender.sent].count("checkin") == 4


async def test_transient_failure_is_retried_with_backoff_then_sent(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    await add_owner(store, console("bob"), BERLIN, now=T0)
    sender = RecordingSender(failures={"alice": [TransientSendError("ratelimited", retry_after=40)]})
    run = dispatcher(outbox, sender, retry=RetryPolicy(base=timedelta(seconds=30)))

    first = await run.run_pass(MON_9_BERLIN)
    assert (first.sent, first.retried) == (1, 1)
    alice = next(r for r in await nudges(engine) if r.subject == "alice")
    assert (alice.status, alice.attempts, alice.last_error) == ("due", 1, "ratelimited")
    wait = alice.next_attempt_at - MON_9_BERLIN
    assert timedelta(seconds=40) <= wait < timedelta(seconds=42)  # Retry-After beats a shorter backoff

    assert (await run.run_pass(MON_9_BERLIN + timedelta(seconds=39))).claimed == 0
    second = await run.run_pass(MON_9_BERLIN + timedelta(seconds=43))
    assert (second.claimed, second.sent, second.reconciled) == (1, 1, 0)
    assert sender.lookups == [alice_key(alice.slot)]  # looked up before the second attempt
    assert sender.subjects() == ["bob", "alice"]


def alice_key(slot: datetime) -> str:
    return f"console/local/alice/checkin/{slot:%Y-%m-%dT%H:%M:%SZ}"


async def test_retries_back_off_exponentially_and_give_up_after_max_attempts(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    sender = RecordingSender(failures={"alice": [TransientSendError("502") for _ in range(4)]})
    run = dispatcher(outbox, sender, retry=RetryPolicy(base=timedelta(seconds=10), max_attempts=3))
    now, waits = MON_9_BERLIN, []
    for _ in range(3):
        await run.run_pass(now)
        [row] = await nudges(engine)
        if row.status != "due":
            break
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    # Attempt n waits between half and all of base * 2**(n-1), counted from when the
    # attempt failed: a pass's clock is its start plus the (real, short) time it has run.
    slack = timedelta(seconds=2)
    assert timedelta(seconds=5) <= waits[0] <= timedelta(seconds=10) + slack
    assert timedelta(seconds=10) <= waits[1] <= timedelta(seconds=20) + slack
    [row] = await nudges(engine)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts")
    assert (await schedule_of(engine, "alice")).unreachable_at is None  # not the owner's fault


async def test_permanent_failure_marks_the_owner_unreachable_and_the_pass_goes_on(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    for name in ("alice", "bob", "carol"):
        await add_owner(store, console(name), BERLIN, now=T0)
    sender = RecordingSender(failures={"bob": [PermanentSendError("cannot_dm_bot")]})
    run = dispatcher(outbox, sender)
    report = await run.run_pass(MON_9_BERLIN)
    assert (report.sent, report.failed, report.unreachable) == (2, 1, 1)
    assert sorted(sender.subjects()) == ["alice", "carol"]
    bob = await schedule_of(engine, "bob")
    assert (bob.unreachable_at is not None, bob.unreachable_reason) == (True, "cannot_dm_bot")

    next_week = MON_9_BERLIN + timedelta(weeks=1)
    await run.run_pass(next_week)
    assert sorted(sender.subjects()) == ["alice", "alice", "carol", "carol"]

    # Bob talks to the coach again: reachable, and check-ins resume from the next slot.
    await add_owner(store, console("bob"), BERLIN, now=next_week + timedelta(days=1))
    await run.run_pass(next_week + timedelta(weeks=1))
    assert sender.subjects().count("bob") == 1


async def test_paused_owners_get_nothing_and_no_catch_up_after_resuming(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    await add_owner(store, console("bob"), BERLIN, now=T0)
    await add_owner(
        store, console("alice"), ScheduleSpec("monday", "09:00", "Europe/Berlin", paused=True), now=T0
    )
    sender = RecordingSender()
    run = dispatcher(outbox, sender)
    for week in range(3):
        await run.run_pass(MON_9_BERLIN + timedelta(weeks=week, hours=1))
    assert sender.subjects() == ["bob", "bob", "bob"]

    resumed = MON_9_BERLIN + timedelta(weeks=2, days=2)
    await add_owner(store, console("alice"), BERLIN, now=resumed)
    await run.run_pass(resumed)
    assert sender.subjects().count("alice") == 0  # no catch-up for the paused weeks
    await run.run_pass(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    assert sender.subjects().count("alice") == 1


async def test_pause_until_a_date_skips_those_weeks_even_across_downtime(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    spec = ScheduleSpec("monday", "09:00", "Europe/Berlin", paused_until=date(2026, 3, 16))
    await add_owner(store, console("alice"), spec, now=T0)
    sender = RecordingSender()
    run = dispatcher(outbox, sender)
    await run.run_pass(MON_9_BERLIN + timedelta(weeks=1, hours=2))  # 16 March: still paused
    assert sender.sent == []
    await run.run_pass(MON_9_BERLIN + timedelta(weeks=2, hours=2))
    [nudge] = sender.sent
    assert nudge.week == "2026-W13"


async def test_snooze_sends_the_check_in_again_later_and_only_once(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    sender = RecordingSender()
    compose = FakeCompose()
    run = dispatcher(outbox, sender, compose=compose)
    await run.run_pass(MON_9_BERLIN)
    until = MON_9_BERLIN + timedelta(hours=3)
    assert await store.snooze(console("alice"), until=until, week="2026-W11", now=MON_9_BERLIN)
    assert not await store.snooze(console("alice"), until=until, week="2026-W11", now=MON_9_BERLIN)
    assert (await run.run_pass(until - timedelta(seconds=1))).claimed == 0
    assert (await run.run_pass(until)).sent == 1
    assert (await run.run_pass(until + timedelta(days=2))).sent == 0  # no reminder after a snooze
    assert [kind for _, _, kind in compose.calls] == ["checkin", "snooze"]


async def test_an_unanswered_check_in_gets_one_reminder_and_never_a_pile_up(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    await add_owner(store, console("bob"), BERLIN, now=T0)
    compose = FakeCompose()
    run = dispatcher(outbox, compose=compose)
    await run.run_pass(MON_9_BERLIN)
    # Bob answers within the day.
    answer = CheckinEntry(week="2026-W11", kind="verdict", subject="t1", at=MON_9_BERLIN, verdict="yes")
    snapshot = await store.load(console("bob"))
    await store.save_turn(
        console("bob"),
        expected_version=snapshot.version,
        state={},
        plan=None,
        now=MON_9_BERLIN,
        entries=[answer],
    )
    assert (await run.run_pass(MON_9_BERLIN + timedelta(hours=23))).reminders == 0
    for hours in (25, 26, 48, 100):
        await run.run_pass(MON_9_BERLIN + timedelta(hours=hours))
    reminders = [(o.subject, week) for o, week, kind in compose.calls if kind == "reminder"]
    assert reminders == [("alice", "2026-W11")]


async def test_no_reminder_when_the_next_check_in_is_within_a_day(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    compose = FakeCompose()
    run = dispatcher(outbox, compose=compose)
    await run.run_pass(MON_9_BERLIN + timedelta(days=6))  # caught up late, on Sunday morning
    for hours in (25, 30, 49):
        await run.run_pass(MON_9_BERLIN + timedelta(days=6, hours=hours))
    assert [kind for _, _, kind in compose.calls] == ["checkin", "checkin"]


async def test_nothing_to_ask_marks_the_nudge_skipped(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    sender = RecordingSender()
    report = await dispatcher(outbox, sender, compose=FakeCompose(silent={"alice"})).run_pass(MON_9_BERLIN)
    assert (report.skipped, sender.sent) == (1, [])
    [row] = await nudges(engine)
    assert row.status == "skipped"


async def test_a_compose_bug_for_one_owner_is_retried_and_does_not_stop_the_pass(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    class Broken(FakeCompose):
        async def __call__(self, owner: Owner, **kwargs: object) -> tuple:  # type: ignore[override]
            if owner.subject == "alice":
                raise KeyError("tactic t9")
            return await super().__call__(owner, **kwargs)  # type: ignore[arg-type]

    await add_owner(store, console("alice"), BERLIN, now=T0)
    await add_owner(store, console("bob"), BERLIN, now=T0)
    sender = RecordingSender()
    report = await dispatcher(outbox, sender, compose=Broken()).run_pass(MON_9_BERLIN)
    assert (report.sent, report.retried) == (1, 1)
    assert sender.subjects() == ["bob"]


async def test_only_platforms_with_a_sender_are_claimed(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    await add_owner(store, console("alice"), BERLIN, now=T0)
    await add_owner(store, Owner("slack", "T1", "U1"), BERLIN, now=T0)
    console_only = RecordingSender()
    report = await dispatcher(outbox, console_only).run_pass(MON_9_BERLIN)
    assert (report.enqueued, report.claimed, console_only.subjects()) == (2, 1, ["alice"])
    slack = RecordingSender(platform="slack")
    assert (await dispatcher(outbox, slack).run_pass(MON_9_BERLIN)).sent == 1
    assert slack.subjects() == ["U1"]


async def test_check_ins_waiting_for_a_platform_nobody_sends_to_do_not_pile_up(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    slack_owner = Owner("slack", "T1", "U1")
    await add_owner(store, slack_owner, BERLIN, now=T0)
    console_only = dispatcher(outbox, RecordingSender())
    for week in range(3):  # the Slack process is down; a console-only one runs every week
        await console_only.run_pass(MON_9_BERLIN + timedelta(weeks=week, hours=1))
    slack = RecordingSender(platform="slack")
    await dispatcher(outbox, slack).run_pass(MON_9_BERLIN + timedelta(weeks=2, hours=2))
    assert [n.week for n in slack.sent] == ["2026-W13"]
    statuses = [(r.week, r.status) for r in await nudges(engine)]
    assert statuses == [("2026-W11", "skipped"), ("2026-W12", "skipped"), ("2026-W13", "sent")]


async def test_a_dead_workers_claim_is_taken_over_after_its_lease_and_reconciled(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    for name in ("alice", "bob"):
        await add_owner(store, console(name), BERLIN, now=T0)
    await outbox.enqueue_due(MON_9_BERLIN)
    lease = timedelta(minutes=5)
    # A worker claims both, delivers alice's, and dies before recording anything.
    claimed = await outbox.claim(
        now=MON_9_BERLIN, limit=10, platforms=["console"], worker="dead", lease=lease
    )
    assert len(claimed) == 2
    sender = RecordingSender()
    alice = next(c for c in claimed if c.owner.subject == "alice")
    sender.delivered[alice.key] += 1

    run = dispatcher(outbox, sender, lease=lease)
    assert (await run.run_pass(MON_9_BERLIN + lease - timedelta(seconds=1))).claimed == 0
    report = await run.run_pass(MON_9_BERLIN + lease + timedelta(seconds=1))
    assert (report.claimed, report.sent, report.reconciled) == (2, 2, 1)
    assert sender.subjects() == ["bob"]  # alice's was found delivered and not sent again
    assert sorted(sender.lookups) == sorted(c.key for c in claimed)
    assert {r.status for r in await nudges(engine)} == {"sent"}
    assert all(count == 1 for count in sender.delivered.values())


async def test_two_dispatchers_on_one_database_never_send_a_nudge_twice(
    store: Store, database_url: str, engine: AsyncEngine
) -> None:
    from bot.storage import make_engine

    for i in range(60):
        await add_owner(store, console(f"u{i:02d}"), BERLIN, now=T0)
    other_engine = make_engine(database_url)
    try:
        sender = RecordingSender()
        runs = [dispatcher(Outbox(e), sender, concurrency=4) for e in (engine, other_engine)]
        reports = await asyncio.gather(*(r.run_pass(MON_9_BERLIN) for r in runs))
    finally:
        await other_engine.dispose()
    assert sum(r.enqueued for r in reports) == 60
    assert sum(r.sent for r in reports) == 60
    assert sorted(sender.delivered.values()) == [1] * 60


async def test_stopping_finishes_sends_in_flight_and_releases_the_rest(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    for i in range(6):
        await add_owner(store, console(f"u{i}"), BERLIN, now=T0)
    started, proceed = asyncio.Event(), asyncio.Event()

    class Slow(RecordingSender):
        async def send(self, nudge: OutboundNudge) -> str | None:
            started.set()
            await proceed.wait()
            return await super().send(nudge)

    sender = Slow()
    run: Dispatcher = dispatcher(outbox, sender, concurrency=2)
    pass_ = asyncio.create_task(run.run_pass(MON_9_BERLIN))
    await started.wait()
    run.stop()
    proceed.set()
    report = await pass_
    assert (report.sent, report.released) == (2, report.claimed - 2)
    rows = await nudges(engine)
    assert sorted(r.status for r in rows) == ["due"] * 4 + ["sent"] * 2
    assert all(r.attempts == 0 and r.claimed_by is None for r in rows if r.status == "due")
    assert (await run.run_pass(MON_9_BERLIN)).claimed == 0  # a stopped dispatcher claims nothing
    assert (await dispatcher(outbox, sender).run_pass(MON_9_BERLIN + timedelta(minutes=1))).sent == 4


async def test_a_left_over_check_in_is_not_claimed_while_its_superseding_one_is_still_to_enqueue(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    """A claim racing the enqueue (this pass's, or another replica's) would send both weeks."""
    await add_owner(store, console("alice"), BERLIN, now=T0)
    await add_owner(store, console("bob"), BERLIN, now=T0)
    assert await outbox.enqueue_due(MON_9_BERLIN) == 2  # enqueued, never sent: the platform was down
    next_week = MON_9_BERLIN + timedelta(weeks=1)

    def claim() -> Awaitable[list[ClaimedNudge]]:
        return outbox.claim(
            now=next_week, limit=10, platforms=["console"], worker="w", lease=timedelta(minutes=5)
        )

    assert await claim() == []  # both owners' next check-in is due and not enqueued yet
    assert await outbox.enqueue_due(next_week) == 2
    claimed = await claim()
    assert sorted((n.owner.subject, n.week) for n in claimed) == [("alice", "2026-W12"), ("bob", "2026-W12")]
    statuses = sorted((r.subject, r.week, r.status) for r in await nudges(engine))
    assert statuses == [
        ("alice", "2026-W11", "skipped"),
        ("alice", "2026-W12", "claimed"),
        ("bob", "2026-W11", "skipped"),
        ("bob", "2026-W12", "claimed"),
    ]


async def test_the_enqueue_claims_only_what_the_claimant_has_room_for_on_its_platforms(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    """Check-ins a dispatcher will send at once are inserted claimed; the rest stay due for anyone."""
    for name in ("a", "b", "c"):
        await add_owner(store, console(name), BERLIN, now=T0)
    await add_owner(store, Owner("discord", "guild", "d"), BERLIN, now=T0)
    handed: list[list[ClaimedNudge]] = []
    later = MON_9_BERLIN + timedelta(seconds=30)
    claimant = Claimant(
        worker="w1",
        platforms=frozenset({"console"}),
        lease=timedelta(minutes=5),
        clock=lambda: later,
        room=lambda: 2,
        ready=never_ready,
    )

    assert await outbox.enqueue_due(MON_9_BERLIN, claimant=claimant, on_batch=handed.append) == 4

    [claimed] = handed
    assert [(n.owner.subject, n.kind, n.week, n.attempts, n.due_at) for n in claimed] == [
        ("a", "checkin", "2026-W11", 1, MON_9_BERLIN),
        ("b", "checkin", "2026-W11", 1, MON_9_BERLIN),
    ]
    rows = {r.subject: r for r in await nudges(engine)}
    assert [rows[s].id for s in ("a", "b")] == [n.id for n in claimed]
    for subject in ("a", "b"):
        row = rows[subject]
        assert (row.status, row.claimed_by, row.attempts) == ("claimed", "w1", 1)
        assert row.claim_expires_at == row.next_attempt_at == later + timedelta(minutes=5)
    for subject in ("c", "d"):
        row = rows[subject]
        assert (row.status, row.claimed_by, row.attempts, row.next_attempt_at) == (
            "due",
            None,
            0,
            MON_9_BERLIN,
        )

    others = await outbox.claim(
        now=MON_9_BERLIN, limit=10, platforms=["console", "discord"], worker="w2", lease=timedelta(minutes=5)
    )
    assert sorted(n.owner.subject for n in others) == ["c", "d"], "what w1 holds is not claimed twice"


async def never_ready() -> bool:
    raise AssertionError("one batch holds every due schedule: the enqueue never waits")


async def test_the_enqueue_waits_for_the_claimants_room_fills_it_and_stops_when_it_is_done(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    """A backlog is enqueued at the sender's pace, each batch claimed whole; what the
    enqueue did not reach when the claimant stopped stays due for the next pass."""
    for i in range(7):
        await add_owner(store, console(f"u{i}"), BERLIN, now=T0)
    handed: list[list[ClaimedNudge]] = []
    rooms = iter([2, 3])  # what the claimant has room for at each batch, then it is done
    room = 2
    waits = 0

    async def ready() -> bool:
        nonlocal room, waits
        waits += 1
        assert len(handed) == waits, "no batch is started before the claimant is ready for it"
        room = next(rooms, 0)
        return room > 0

    claimant = Claimant(
        worker="w1",
        platforms=frozenset({"console"}),
        lease=timedelta(minutes=5),
        clock=lambda: MON_9_BERLIN,
        room=lambda: room,
        ready=ready,
    )

    written = await outbox.enqueue_due(MON_9_BERLIN, batch=2, claimant=claimant, on_batch=handed.append)

    assert written == 2 + 2 + 3
    assert [len(b) for b in handed] == [2, 2, 3], "each batch was sized to the room and claimed whole"
    assert waits == 3
    rows = await nudges(engine)
    assert sorted((r.status, r.claimed_by) for r in rows) == [("claimed", "w1")] * 7

    for i in range(7, 10):
        await add_owner(store, console(f"u{i}"), BERLIN, now=T0)
    rooms = iter([])
    room, handed, waits = 2, [], 0
    assert await outbox.enqueue_due(MON_9_BERLIN, batch=2, claimant=claimant, on_batch=handed.append) == 2
    left = [r.subject for r in await nudges(engine) if r.subject in {"u7", "u8", "u9"}]
    assert len(left) == 2, "the claimant was done: one schedule was not reached"
    due = [s for s in ("u7", "u8", "u9") if s not in left]
    assert (await schedule_of(engine, due[0])).next_due_at == MON_9_BERLIN, "still due, for the next pass"
    assert await outbox.enqueue_due(MON_9_BERLIN) == 1


async def test_a_nudge_held_past_most_of_its_lease_goes_back_to_due_and_is_sent_once_later(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    """Sends slowed down (55 s each, a 60 s lease): the second nudge would start after
    another worker could take it over, so it is handed back instead of sent, then sent
    by the next pass."""
    for name in ("a", "b"):
        await add_owner(store, console(name), BERLIN, now=T0)
    elapsed = [0.0]

    class SlowSender(RecordingSender):
        async def send(self, nudge: OutboundNudge) -> str | None:
            elapsed[0] += 55.0
            return await super().send(nudge)

    sender = SlowSender()
    config = DispatchConfig(
        concurrency=1, claim_ahead=4, lease=timedelta(seconds=60), write_delay=10.0, channel_interval=0.0
    )
    run = Dispatcher(outbox, [sender], FakeCompose(), config=config, monotonic=lambda: elapsed[0])

    first = await run.run_pass(MON_9_BERLIN)

    assert (first.claimed, first.sent, first.released) == (2, 1, 1)
    assert sender.subjects() == ["a"]
    rows = {r.subject: r for r in await nudges(engine)}
    assert (rows["b"].status, rows["b"].claimed_by, rows["b"].attempts) == ("due", None, 0)

    later = await run.run_pass(MON_9_BERLIN + timedelta(minutes=5))
    assert (later.sent, later.released) == (1, 0)
    assert sender.subjects() == ["a", "b"]
    assert set(sender.delivered.values()) == {1}


async def test_check_ins_claimed_by_an_enqueue_after_sending_ended_go_back_to_due(
    store: Store, outbox: Outbox, engine: AsyncEngine
) -> None:
    """A batch that commits after the workers stopped must not sit claimed until its lease runs out."""
    for i in range(3):
        await add_owner(store, console(f"u{i}"), BERLIN, now=T0)
    real_enqueue = outbox.enqueue_due
    run = dispatcher(outbox)

    async def enqueue_after_stop(now: datetime, **kwargs: Any) -> int:
        run.stop()
        claimant: Claimant = kwargs["claimant"]
        assert claimant.room() == 0, "a stopping dispatcher takes nothing"
        generous = dataclasses.replace(claimant, room=lambda: 10)
        return await real_enqueue(now, **{**kwargs, "claimant": generous})

    outbox.enqueue_due = enqueue_after_stop  # type: ignore[method-assign]
    report = await run.run_pass(MON_9_BERLIN)
    assert (report.enqueued, report.sent, report.released) == (3, 0, 3)
    rows = await nudges(engine)
    assert [(r.status, r.claimed_by, r.attempts) for r in rows] == [("due", None, 0)] * 3
