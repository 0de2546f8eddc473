"""One turn, one transaction: the engine and real storage together (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from adapters.console.render import plain
from bot.app import App, build_app
from bot.settings import Settings
from coaching.inbound import Inbound
from coaching.model import Owner
from tests.bot.talk import inbound
from tests.clock import Clock
from tests.coaching.harness import WORKED_EXAMPLE

ALICE = Owner("slack", "T1", "U1")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(database_url: str, clock: Clock) -> AsyncIterator[App]:
    application = await build_app(Settings(coach_database_url=database_url), clock=clock)
    try:
        yield application
    finally:
        await application.close()


async def say(app: App, text: str | None, owner: Owner = ALICE, **extra: object) -> str:
    outcome = await app.service.handle(inbound(app, owner, text), **extra)  # type: ignore[arg-type]
    return "\n".join(r.text for r in outcome.replies)


async def test_worked_example_is_stored_and_survives_a_restart(
    app: App, database_url: str, clock: Clock
) -> None:
    await say(app, None)
    for line in WORKED_EXAMPLE[:8]:
        await say(app, line)
    await app.close()

    again = await build_app(Settings(coach_database_url=database_url), clock=clock)
    try:
        resumed = await say(again, None)
        assert "Welcome back" in resumed and "Another objective" in resumed
        for line in WORKED_EXAMPLE[8:]:
            last = await say(again, line)
        assert "Is Twitter still serving your support goal?" in last
        plan = await again.service.plan(ALICE)
        assert plan is not None
        assert {t.channel for t in plan.tactics} == {"email", "twitter", "drinks with industry friends"}
    finally:
        await again.close()


async def test_concurrent_turns_of_one_conversation_are_serialised(app: App) -> None:
    await say(app, None)
    await asyncio.gather(say(app, "Bakers at farmers markets"), say(app, "We fix their ovens fast"))
    plan = await app.service.plan(ALICE)
    assert plan is not None
    answers = {plan.purpose.audience, plan.purpose.why}
    assert answers == {"Bakers at farmers markets", "We fix their ovens fast"}, "neither answer lost"


async def test_a_retried_platform_event_is_answered_once(app: App) -> None:
    await say(app, None)
    key = ("slack", "T1", "Ev123")
    first = await app.service.handle(Inbound(owner=ALICE, now=app.clock(), text="Bakers"), event_key=key)
    again = await app.service.handle(Inbound(owner=ALICE, now=app.clock(), text="Bakers"), event_key=key)
    assert first.replies and not first.duplicate
    assert again.duplicate and again.replies == ()
    snapshot = await app.store.load(ALICE)
    assert snapshot.state is not None and snapshot.state["step"] == "purpose.why"


async def test_every_plan_change_is_a_version_readable_by_date(app: App, clock: Clock) -> None:
    await say(app, None)
    await say(app, "Bakers")
    clock.now += timedelta(days=3)
    await say(app, "We fix ovens")
    clock.now += timedelta(days=3)
    await say(app, "back")
    versions = await app.store.plan_history(ALICE)
    assert len(versions) >= 3
    day1 = await app.store.plan(ALICE, as_of=datetime(2026, 11, 30, tzinfo=UTC))
    day4 = await app.store.plan(ALICE, as_of=datetime(2026, 12, 3, tzinfo=UTC))
    now = await app.store.plan(ALICE)
    assert day1 is not None and day1["purpose"]["why"] is None
    assert day4 is not None and day4["purpose"]["why"] == "We fix ovens"
    assert now is not None and now["purpose"]["why"] is None, "back is a change too"


async def test_tenants_never_see_each_other(app: App) -> None:
    other = Owner("slack", "T2", "U1")
    await say(app, None)
    await say(app, "Bakers")
    await say(app, None, owner=other)
    await say(app, "Florists", owner=other)
    mine, theirs = await app.service.plan(ALICE), await app.service.plan(other)
    assert mine is not None and mine.purpose.audience == "Bakers"
    assert theirs is not None and theirs.purpose.audience == "Florists"


async def test_forget_in_chat_deletes_everything_stored(app: App) -> None:
    await say(app, None)
    await say(app, "Bakers")
    await say(app, "forget")
    outcome = await app.service.handle(Inbound(owner=ALICE, now=app.clock(), choice="forget.confirm||yes"))
    assert "gone" in outcome.replies[0].text
    assert await app.store.plan(ALICE) is None
    fresh = await say(app, None)
    assert "Step 1 of 4" in fresh


async def test_form_submission_is_stored_or_refused_whole(app: App) -> None:
    await say(app, None)
    await say(app, "Bakers")
    refused = await app.service.submit_form(ALICE, "purpose", {"audience": "everyone"}, now=app.clock())
    assert refused.errors and (await app.service.plan(ALICE)).purpose.audience == "Bakers"  # type: ignore[union-attr]
    stored = await app.service.submit_form(
        ALICE, "purpose", {"audience": "Florists", "why": "We grow their flowers"}, now=app.clock()
    )
    assert stored.ok
    plan = await app.service.plan(ALICE)
    assert plan is not None and plan.purpose.why == "We grow their flowers"
    resumed = await say(app, None)
    assert "Welcome back" in resumed, "the conversation goes on where it was"


async def test_overview_has_the_plan_and_the_schedule_once_finished(app: App) -> None:
    await say(app, None)
    for line in WORKED_EXAMPLE:
        await say(app, line)
    overview = await app.service.overview(ALICE, now=app.clock())
    assert overview.plan is not None and "Drinks with industry friends" in overview.markdown
    assert overview.schedule is not None and overview.schedule.startswith("every Monday at 09:00")


async def test_check_in_is_opened_answered_and_kept_as_history(app: App, clock: Clock) -> None:
    await say(app, None)
    for line in WORKED_EXAMPLE:
        await say(app, line)
    async with app.engine.connect() as connection:
        row = (await connection.execute(text("SELECT active, next_due_at FROM schedules"))).one()
    assert row.active, "a finished plan with tactics is scheduled"

    clock.now += timedelta(days=8)
    replies = await app.service.start_checkin(ALICE, now=clock(), week="2026-W50", reminder=False)
    assert "Is Twitter still serving your support goal?" in plain("\n".join(r.text for r in replies))
    assert await app.service.start_checkin(ALICE, now=clock(), week="2026-W50", reminder=True)
    for answer in ["yes", "no", "yes", "72%", "skip", "skip", "Busy launch week"]:
        await say(app, answer)
    snapshot = await app.store.load(ALICE)
    verdicts = {e.subject: e.verdict for e in snapshot.history if e.kind == "verdict"}
    assert verdicts == {"t2": "yes", "t1": "no", "t3": "yes"}
    assert [e.value for e in snapshot.history if e.kind == "metric"] == [72]
    assert await app.service.start_checkin(ALICE, now=clock(), week="2026-W50", reminder=True) == ()


async def test_snooze_button_queues_one_later_nudge(app: App, clock: Clock) -> None:
    await say(app, None)
    for line in WORKED_EXAMPLE:
        await say(app, line)
    clock.now += timedelta(days=8)
    replies = await app.service.start_checkin(ALICE, now=clock(), week="2026-W50", reminder=False)
    snooze = next(c.id for r in replies for c in r.choices if c.label == "Ask me tomorrow")
    await app.service.handle(Inbound(owner=ALICE, now=clock(), choice=snooze))
    await app.service.handle(Inbound(owner=ALICE, now=clock(), choice=snooze))
    async with app.engine.connect() as connection:
        kinds = (await connection.execute(text("SELECT kind FROM nudges WHERE kind = 'snooze'"))).all()
    assert len(kinds) == 1


async def test_looking_before_starting_stores_nothing(app: App) -> None:
    outcome = await app.service.handle(Inbound(owner=ALICE, now=app.clock(), command="plan"))
    assert "no plan yet" in outcome.replies[0].text.lower()
    assert await app.store.plan(ALICE) is None
    snapshot = await app.store.load(ALICE)
    assert snapshot.state is None
