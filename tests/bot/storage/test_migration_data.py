"""A database made at the oldest revision, with data, upgraded one revision at a time to head.

Rows are written with plain SQL as each old schema took them (JSON as text on SQLite
and JSONB on PostgreSQL, timestamps as the store wrote them on each backend), before
the revision that adds the next tables. After every step the data must read back
unchanged; at head the current code must use it: resume the half-finished conversation
and finish the plan, read history, claim the old nudge, export and forget the owner.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.app import build_app
from bot.settings import Settings
from bot.storage import Outbox, export_owner, make_engine
from bot.storage.migrate import alembic_config, head_revisions, migration_lock
from bot.storage.models import Base
from coaching.document import plan_to_document
from coaching.inbound import Inbound
from tests.coaching.harness import OWNER, START, WORKED_EXAMPLE, Conversation

HALFWAY = 8  # answers of the worked example given before the upgrade
SLACK_OWNER = ("slack", "T0OLD", "U0OLD")


def oldest_to_newest() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def model_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def halfway_conversation() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A real mid-conversation state and the plan versions it went through, from the engine."""
    convo = Conversation()
    convo.start()
    plans = []
    for line in WORKED_EXAMPLE[:HALFWAY]:
        convo.say(line)
        assert convo.plan is not None
        document = plan_to_document(convo.plan)
        if not plans or plans[-1] != document:
            plans.append(json.loads(json.dumps(document)))
    assert convo.state is not None
    return convo.state.to_dict(), plans[-2:]


def stamp(connection: AsyncConnection, moment: datetime) -> str:
    """A timestamp literal as ``UTCDateTime`` stored it: naive UTC text on SQLite, timestamptz else."""
    if connection.dialect.name == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment.isoformat()


def json_value(connection: AsyncConnection) -> str:
    return ":{}" if connection.dialect.name == "sqlite" else "CAST(:{} AS JSONB)"


STATE, PLANS = halfway_conversation()
WRITTEN = START + timedelta(minutes=5)


async def seed_0001(connection: AsyncConnection) -> None:
    """Owners, the conversation, two plan versions and a processed event, as 0001 had them."""
    alice = (OWNER.platform, OWNER.tenant, OWNER.subject)
    for (platform, tenant, subject), zone in ((alice, "Europe/Berlin"), (SLACK_OWNER, None)):
        await connection.execute(
            text(
                "INSERT INTO owners (platform, tenant, subject, kind, timezone, created_at)"
                f" VALUES (:platform, :tenant, :subject, 'user', :zone, '{stamp(connection, START)}')"
            ),
            {"platform": platform, "tenant": tenant, "subject": subject, "zone": zone},
        )
    alice_id = "(SELECT id FROM owners WHERE subject = 'alice')"
    await connection.execute(
        text(
            "INSERT INTO conversations (owner_id, state, version, updated_at)"
            f" VALUES ({alice_id}, {json_value(connection).format('state')}, {HALFWAY + 1},"
            f" '{stamp(connection, WRITTEN)}')"
        ),
        {"state": json.dumps(STATE)},
    )
    for number, document in enumerate(PLANS, start=1):
        await connection.execute(
            text(
                "INSERT INTO plan_versions (owner_id, version, document, created_at)"
                f" VALUES ({alice_id}, :number, {json_value(connection).format('document')},"
                f" '{stamp(connection, START + timedelta(minutes=number))}')"
            ),
            {"number": number, "document": json.dumps(document)},
        )
    await connection.execute(
        text(
            "INSERT INTO processed_events (platform, tenant, event_id, owner_id, created_at)"
            f" VALUES ('console', 'local', 'Ev-old-1', {alice_id}, '{stamp(connection, WRITTEN)}')"
        )
    )


async def seed_0002(connection: AsyncConnection) -> None:
    """A schedule, a check-in answer and a due nudge (without the platform 0003 adds)."""
    slack = "(SELECT id FROM owners WHERE subject = 'U0OLD')"
    await connection.execute(
        text(
            "INSERT INTO schedules (owner_id, weekday, time, timezone, paused, paused_until, active,"
            " next_due_at, updated_at) VALUES"
            f" ({slack}, 'monday', '09:00', 'UTC', :false, NULL, :true,"
            f" '{stamp(connection, datetime(2026, 11, 30, 9, tzinfo=UTC))}', '{stamp(connection, START)}')"
        ),
        {"false": False, "true": True},
    )
    await connection.execute(
        text(
            "INSERT INTO checkin_entries (owner_id, week, kind, subject, verdict, value, text,"
            " answered_by, created_at) VALUES"
            f" ({slack}, '2026-W48', 'verdict', 't1', 'yes', NULL, NULL, NULL, '{stamp(connection, START)}')"
        )
    )
    due = stamp(connection, datetime(2026, 11, 23, 9, tzinfo=UTC))
    await connection.execute(
        text(
            "INSERT INTO nudges (owner_id, kind, slot, week, status, due_at, attempts, next_attempt_at)"
            f" VALUES ({slack}, 'checkin', '{due}', '2026-W48', 'due', '{due}', 0, '{due}')"
        )
    )


SEEDS: dict[str, Callable[[AsyncConnection], Awaitable[None]]] = {"0001": seed_0001, "0002": seed_0002}

COUNTED = ("owners", "conversations", "plan_versions", "processed_events")


async def contents(connection: AsyncConnection) -> dict[str, Any]:
    """What must survive every step: row counts, the JSON documents and the timestamps."""
    counts = {table: await connection.scalar(text(f"SELECT count(*) FROM {table}")) for table in COUNTED}
    state = (await connection.execute(text("SELECT state, updated_at FROM conversations"))).one()
    documents = (
        await connection.execute(text("SELECT document FROM plan_versions ORDER BY version"))
    ).scalars()

    def parsed(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    return {
        "counts": counts,
        "state": parsed(state.state),
        "updated_at": str(state.updated_at)[:19],
        "plans": [parsed(d) for d in documents],
    }


async def test_data_from_the_oldest_revision_survives_every_upgrade_and_works_at_head(
    database_url: str,
) -> None:
    revisions = oldest_to_newest()
    assert revisions[0] == "0001" and set(revisions[-1:]) == set(head_revisions())
    engine: AsyncEngine = make_engine(database_url)
    try:
        expected: dict[str, Any] | None = None
        for revision in revisions:
            async with engine.connect() as connection, migration_lock(connection):
                await connection.run_sync(upgrade_to, revision)
                await connection.commit()
            async with engine.begin() as connection:
                assert await connection.run_sync(current) == {revision}
                if expected is not None:
                    assert await contents(connection) == expected, f"data changed by {revision}"
                if seed := SEEDS.get(revision):
                    await seed(connection)
                expected = await contents(connection)
        assert expected is not None
        assert expected["state"] == STATE and expected["plans"] == PLANS
        assert expected["updated_at"] == str(WRITTEN.replace(tzinfo=None))[:19]
        async with engine.connect() as connection:
            assert await connection.run_sync(model_differences) == []
            platform = await connection.scalar(text("SELECT platform FROM nudges"))
        assert platform == "slack", "0003 gave the old nudge its owner's platform"
    finally:
        await engine.dispose()

    clock = START + timedelta(days=1)
    app = await build_app(Settings(coach_database_url=database_url), clock=lambda: clock)
    try:
        snapshot = await app.store.load(OWNER, now=clock)
        assert (snapshot.state, snapshot.version, snapshot.plan) == (STATE, HALFWAY + 1, PLANS[-1])
        assert (snapshot.plan_version, snapshot.timezone) == (len(PLANS), "Europe/Berlin")
        assert await app.store.plan_history(OWNER) == [
            (number, START + timedelta(minutes=number)) for number in range(1, len(PLANS) + 1)
        ]
        assert await app.store.is_processed(("console", "local", "Ev-old-1"))

        resumed = await app.service.handle(Inbound(owner=OWNER, now=clock, command=""))
        assert "Welcome back" in "\n".join(r.text for r in resumed.replies)
        for line in WORKED_EXAMPLE[HALFWAY:]:
            outcome = await app.service.handle(Inbound(owner=OWNER, now=clock, text=line))
        assert "Is Twitter still serving your support goal?" in "\n".join(r.text for r in outcome.replies)
        plan = await app.service.plan(OWNER)
        assert plan is not None and {t.channel for t in plan.tactics} == {
            "email",
            "twitter",
            "drinks with industry friends",
        }
        assert len(await app.store.plan_history(OWNER)) > len(PLANS)

        slack = next(o for o in await app.store.owners(platform="slack"))
        assert [e.verdict for e in (await app.store.load(slack, now=clock)).history] == ["yes"]
        # Claimed before the schedule's next slot (30 November), whose check-in would supersede it.
        claimed = await Outbox(app.engine).claim(
            now=START, limit=5, platforms=["slack"], worker="w", lease=timedelta(minutes=5)
        )
        assert [(n.owner, n.week) for n in claimed] == [(slack, "2026-W48")]

        document = await export_owner(app.engine, slack, now=clock)
        assert document is not None
        assert {name for name, rows in document["tables"].items() if rows} == {
            "owners",
            "schedules",
            "checkin_entries",
            "nudges",
        }
        assert await app.store.forget(slack) == 4
        assert await app.store.owners() == [OWNER]
    finally:
        await app.close()
