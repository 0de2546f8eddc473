"""Data rights on a real database: ``export`` shows every stored row of an owner, ``forget``
leaves no trace of them, and nobody else's rows move.

The tables are not listed here: the live schema is reflected, so a table a later
migration adds is checked too (and fails these tests until export and forget cover it).
Alice's history is built the way production builds it: the worked example through the
service, a check-in sent by the dispatcher and answered, a reminder to the others.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from bot import cli
from bot.app import App, build_app
from bot.settings import Settings
from bot.storage.export import EXPORT_FORMAT_VERSION, export_owner
from coaching.checkins import CheckinEntry
from coaching.model import Owner
from tests.bot.storage.schema import live_tables, owner_key
from tests.bot.talk import inbound
from tests.clock import Clock
from tests.coaching.harness import START, WORKED_EXAMPLE

# Distinctive ids, so a scan of every stored value can tell whose they are.
ALICE = Owner("console", "local", "alice-7f3e")
BOB = Owner("console", "local", "bob-51c2")  # same tenant
CAROL = Owner("console", "elsewhere", "carol-9d04")  # another tenant
ALICE_NOTE = "Alice-only note: launched the pricing page"


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    application = await build_app(Settings(coach_database_url=database_url), clock=Clock())
    try:
        yield application
    finally:
        await application.close()


def clock_of(app: App) -> Clock:
    assert isinstance(app.clock, Clock)
    return app.clock


async def say(app: App, owner: Owner, text: str | None, event: str) -> str:
    key = (owner.platform, owner.tenant, event)
    outcome = await app.service.handle(inbound(app, owner, text), event_key=key)
    assert not outcome.duplicate
    return "\n".join(r.text for r in outcome.replies)


async def full_history(app: App) -> str:
    """Three finished plans, a check-in for each: Alice answers it, Bob and Carol are reminded
    and Bob starts answering.

    Returns what the dispatcher printed.
    """
    clock = clock_of(app)
    for owner in (ALICE, BOB, CAROL):
        await say(app, owner, None, f"ev-{owner.subject}-start")
        for i, line in enumerate(WORKED_EXAMPLE):
            await say(app, owner, line, f"ev-{owner.subject}-{i}")
    printed = io.StringIO()
    dispatcher = await app.open_dispatcher(console_out=printed)
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert (await dispatcher.run_pass(clock.now)).sent == 3
    for i, answer in enumerate(["yes", "somewhat", "no", "72%", "skip", "2", ALICE_NOTE]):
        await say(app, ALICE, answer, f"ev-{ALICE.subject}-checkin-{i}")
    clock.now += timedelta(hours=25)
    assert (await dispatcher.run_pass(clock.now)).sent == 2, "a reminder for Bob and Carol only"
    await say(app, BOB, "yes", f"ev-{BOB.subject}-checkin-0")
    return printed.getvalue()


async def all_rows(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    tables = await live_tables(engine)
    rows: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as connection:
        for table in tables:
            result = await connection.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [dict(row) for row in result.mappings()]
    return rows


async def owner_id(app: App, owner: Owner) -> int:
    return (await app.store.load(owner)).owner_id


async def test_export_has_every_row_of_every_owner_table_as_plain_json(app: App) -> None:
    printed = await full_history(app)
    assert f"Check-in for {ALICE.subject}" in printed and f"Reminder for {BOB.subject}" in printed
    alice_id = await owner_id(app, ALICE)
    stored = await all_rows(app.engine)
    tables = await live_tables(app.engine)

    document = await export_owner(app.engine, ALICE, now=clock_of(app).now)
    assert document is not None
    parsed = json.loads(json.dumps(document, allow_nan=False))  # plain JSON, nothing left to convert
    assert parsed == document
    assert document["format_version"] == EXPORT_FORMAT_VERSION
    assert document["owner"] == {
        "platform": "console",
        "tenant": "local",
        "subject": ALICE.subject,
        "kind": "user",
    }
    assert datetime.fromisoformat(document["exported_at"]) == clock_of(app).now

    exported = document["tables"]
    for table in tables:
        key = owner_key(table)
        mine = [row for row in stored[table.name] if row[key] == alice_id]
        assert mine, f"the full history left nothing in {table.name}: extend full_history()"
        assert table.name in exported, f"export misses table {table.name}"
        keys = [c.name for c in table.primary_key.columns]
        assert [[row[k] for k in keys] for row in exported[table.name]] == [
            [row[k] for k in keys] for row in mine
        ]
    assert set(exported) == {t.name for t in tables}

    assert exported["plan_versions"][-1]["document"] == await app.store.plan(ALICE)
    assert [v["version"] for v in exported["plan_versions"]] == sorted(
        v["version"] for v in exported["plan_versions"]
    )
    assert exported["conversations"][0]["state"] == (await app.store.load(ALICE)).state
    assert ALICE_NOTE in {row["text"] for row in exported["checkin_entries"]}
    assert {row["kind"] for row in exported["nudges"]} == {"checkin"}
    assert all(row["status"] == "sent" for row in exported["nudges"])
    monday_nine_in_berlin = datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert datetime.fromisoformat(exported["nudges"][0]["slot"]) == monday_nine_in_berlin
    sent_at = datetime.fromisoformat(exported["nudges"][0]["sent_at"])
    assert timedelta(0) <= sent_at - datetime(2026, 11, 30, 10, tzinfo=UTC) < timedelta(minutes=1)
    assert exported["schedules"][0]["weekday"] == "monday"
    assert f"ev-{ALICE.subject}-checkin-6" in {row["event_id"] for row in exported["processed_events"]}
    # Nothing of anyone else slipped in.
    text = json.dumps(document)
    assert BOB.subject not in text and CAROL.subject not in text


async def test_export_of_an_owner_never_seen_is_none_and_stores_nothing(app: App) -> None:
    assert await export_owner(app.engine, ALICE, now=START) is None
    assert await app.store.owners() == []


async def test_forget_leaves_no_trace_of_the_owner_and_every_other_row_as_it_was(app: App) -> None:
    await full_history(app)
    alice_id = await owner_id(app, ALICE)
    tables = {t.name: t for t in await live_tables(app.engine)}
    before = await all_rows(app.engine)

    assert await app.store.forget(ALICE) > 0

    after = await all_rows(app.engine)
    for name, table in tables.items():
        key = owner_key(table)
        others = [row for row in before[name] if row[key] != alice_id]
        assert after[name] == others, f"forget touched someone else's rows in {name}"
        assert others, f"the controls left nothing in {name}: the comparison proves little"
        for row in after[name]:
            text = json.dumps(row, default=str)
            for trace in (ALICE.subject, ALICE_NOTE, f"ev-{ALICE.subject}"):
                assert trace not in text, f"{name} still mentions {trace!r}: {row}"
    assert await export_owner(app.engine, ALICE, now=clock_of(app).now) is None
    for control in (BOB, CAROL):
        control_id = await owner_id(app, control)
        document = await export_owner(app.engine, control, now=clock_of(app).now)
        assert document is not None
        assert {name: len(rows) for name, rows in document["tables"].items()} == {
            name: sum(row[owner_key(table)] == control_id for row in before[name])
            for name, table in tables.items()
        }


async def test_forget_also_removes_the_person_from_team_check_ins_they_answered(app: App) -> None:
    team = Owner("console", "local", "#marketing", kind="team")
    other_tenant_team = Owner("console", "elsewhere", "#marketing", kind="team")
    answer = CheckinEntry(
        week="2026-W49", kind="verdict", subject="t1", at=START, verdict="yes", answered_by=ALICE.subject
    )
    for owner in (team, other_tenant_team):
        await app.store.save_turn(owner, expected_version=0, state={}, plan=None, now=START, entries=[answer])

    assert await app.store.forget(ALICE) == 1, "the person never had a plan of their own"

    rows = await all_rows(app.engine)
    answers = {row["owner_id"]: row for row in rows["checkin_entries"]}
    assert len(answers) == 2, "the team keeps its answers"
    by = sorted(str(row["answered_by"]) for row in answers.values())
    assert by == sorted([ALICE.subject, "None"]), "only the same tenant's alice is forgotten"


def test_coach_export_prints_or_writes_the_login_users_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    monkeypatch.setenv("LOGNAME", ALICE.subject)  # getpass.getuser() reads it first

    async def seed() -> None:
        application = await build_app(Settings(coach_database_url=url), clock=Clock())
        try:
            for i, line in enumerate([None, *WORKED_EXAMPLE[:3]]):
                await say(application, ALICE, line, f"ev-{i}")
        finally:
            await application.close()

    asyncio.run(seed())
    runner = CliRunner()

    printed = runner.invoke(cli.app, ["export"])
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    assert document["owner"]["subject"] == ALICE.subject
    assert len(document["tables"]["processed_events"]) == 4

    target = tmp_path / "mine.json"
    written = runner.invoke(cli.app, ["export", "--user", ALICE.subject, "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert json.loads(target.read_text("utf-8"))["tables"] == document["tables"]

    unknown = runner.invoke(cli.app, ["export", "--user", "nobody"])
    assert unknown.exit_code == 1
    assert "Nothing stored for nobody" in unknown.stderr


def test_an_operator_exports_and_forgets_a_slack_user_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    slack_user = Owner("slack", "T0ACME", "U0ALICE")

    async def seed() -> None:
        application = await build_app(Settings(coach_database_url=url), clock=Clock())
        try:
            for i, line in enumerate([None, *WORKED_EXAMPLE[:2]]):
                await say(application, slack_user, line, f"ev-{i}")
        finally:
            await application.close()

    asyncio.run(seed())
    runner = CliRunner()
    whose = ["--platform", "slack", "--tenant", "T0ACME", "--user", "U0ALICE"]

    exported = runner.invoke(cli.app, ["export", *whose])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["owner"]["subject"] == "U0ALICE"

    missing_tenant = runner.invoke(cli.app, ["forget", "--platform", "slack", "--user", "U0ALICE"])
    assert missing_tenant.exit_code == 2
    assert "--tenant" in missing_tenant.stderr

    forgotten = runner.invoke(cli.app, ["forget", *whose])
    assert forgotten.exit_code == 0, forgotten.output
    assert "Forgot U0ALICE" in forgotten.stdout
    assert runner.invoke(cli.app, ["export", *whose]).exit_code == 1, "nothing left to export"
