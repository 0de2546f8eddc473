"""The Alembic migrations build the schema the models describe, once, on both backends."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, inspect, text

from bot.storage import make_engine, upgrade_database
from bot.storage.migrate import alembic_config, head_revisions, migration_lock
from bot.storage.models import Base
from bot.storage.outbox import Outbox

EXPECTED_TABLES = {
    "owners",
    "conversations",
    "plan_versions",
    "processed_events",
    "schedules",
    "nudges",
    "checkin_entries",
}


def _schema(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    return {
        "tables": tables,
        "columns": {t: {c["name"] for c in inspector.get_columns(t)} for t in tables},
        "unique": {
            t: {tuple(u["column_names"]) for u in inspector.get_unique_constraints(t)} for t in tables
        },
        "indexes": {t: {tuple(i["column_names"]) for i in inspector.get_indexes(t)} for t in tables},
        "pk": {t: tuple(inspector.get_pk_constraint(t)["constrained_columns"]) for t in tables},
        "fks": {
            t: {
                (tuple(f["constrained_columns"]), f["options"].get("ondelete"))
                for f in inspector.get_foreign_keys(t)
            }
            for t in tables
        },
    }


def _model_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def test_upgrade_creates_the_schema_and_a_second_upgrade_is_a_no_op(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade_database(engine)
        async with engine.connect() as connection:
            schema = await connection.run_sync(_schema)
            assert await connection.run_sync(_revisions) == set(head_revisions())
            assert await connection.run_sync(_model_differences) == []

        assert schema["tables"] == EXPECTED_TABLES | {"alembic_version"}
        assert schema["columns"]["owners"] == {
            "id",
            "platform",
            "tenant",
            "subject",
            "kind",
            "timezone",
            "created_at",
        }
        assert ("platform", "tenant", "subject") in schema["unique"]["owners"]
        assert schema["pk"]["conversations"] == ("owner_id",)
        assert "version" in schema["columns"]["conversations"]
        assert ("owner_id", "version") in schema["unique"]["plan_versions"]
        assert ("owner_id", "created_at") in schema["indexes"]["plan_versions"]
        assert schema["pk"]["processed_events"] == ("platform", "tenant", "event_id")
        assert schema["pk"]["schedules"] == ("owner_id",)
        assert ("next_due_at",) in schema["indexes"]["schedules"]
        assert ("owner_id", "kind", "slot") in schema["unique"]["nudges"]
        assert ("next_attempt_at",) in schema["indexes"]["nudges"]
        assert ("owner_id", "week", "kind", "subject") in schema["unique"]["checkin_entries"]
        for table in EXPECTED_TABLES - {"owners"}:
            assert schema["fks"][table] == {(("owner_id",), "CASCADE")}

        started = time.perf_counter()
        await upgrade_database(engine)
        elapsed = time.perf_counter() - started
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema) == schema
            assert await connection.run_sync(_revisions) == set(head_revisions())
        assert elapsed < 0.5, f"an upgrade at head took {elapsed:.3f}s"
    finally:
        await engine.dispose()


async def test_concurrent_upgrades_are_serialised(database_url: str) -> None:
    """Replicas starting together all call upgrade_database; exactly one migrates."""
    engines = [make_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade_database(engine) for engine in engines))
        async with engines[0].connect() as connection:
            assert await connection.run_sync(_revisions) == set(head_revisions())
            count = await connection.scalar(text("SELECT count(*) FROM alembic_version"))
        assert count == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_replica_processes_starting_together_migrate_once(database_url: str) -> None:
    """Separate processes (``python -m bot.storage``), as replicas would be."""
    environment = {**os.environ, "COACH_DATABASE_URL": database_url}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.storage",
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(
        asyncio.gather(*(process.communicate() for process in processes)), timeout=60
    )
    for process, (output, _) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output.decode()
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_revisions) == set(head_revisions())
            assert await connection.run_sync(_model_differences) == []
    finally:
        await engine.dispose()


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


#: Opens the app on COACH_DATABASE_URL and tells whether Alembic had to be imported.
OPEN_APP = """
import asyncio, sys
from bot.app import build_app
async def main():
    application = await build_app()
    await application.close()
asyncio.run(main())
print("alembic" in sys.modules)
"""


async def test_a_current_database_opens_without_importing_alembic(database_url: str) -> None:
    """Alembic's import is a fifth of ``coach chat``'s start-up; only an upgrade needs it."""

    async def open_app() -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            OPEN_APP,
            env={**os.environ, "COACH_DATABASE_URL": database_url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, output.decode()
        return output.decode().strip().splitlines()[-1]

    assert await open_app() == "True"  # a new database is migrated
    assert await open_app() == "False"  # then it is current


@pytest.mark.backends("postgresql")
async def test_jsonb_and_timestamptz_on_postgresql(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade_database(engine)
        async with engine.connect() as connection:
            types = (
                await connection.execute(
                    text(
                        "SELECT table_name, column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = 'public'"
                        " AND column_name IN ('state', 'document', 'created_at', 'updated_at')"
                    )
                )
            ).all()
        assert {(t, c): d for t, c, d in types} == {
            ("conversations", "state"): "jsonb",
            ("conversations", "updated_at"): "timestamp with time zone",
            ("plan_versions", "document"): "jsonb",
            ("plan_versions", "created_at"): "timestamp with time zone",
            ("owners", "created_at"): "timestamp with time zone",
            ("processed_events", "created_at"): "timestamp with time zone",
            ("schedules", "updated_at"): "timestamp with time zone",
            ("checkin_entries", "created_at"): "timestamp with time zone",
        }
    finally:
        await engine.dispose()


@pytest.mark.backends("sqlite")
async def test_sqlite_connections_keep_foreign_keys_on_after_an_upgrade(database_url: str) -> None:
    """The upgrade turns foreign keys off on its connection; the pool must not keep that."""
    engine = make_engine(database_url)
    try:
        await upgrade_database(engine)

        async def pragmas() -> tuple[Any, ...]:
            async with engine.connect() as connection:
                values = []
                for name in ("foreign_keys", "journal_mode", "busy_timeout"):
                    values.append(await connection.scalar(text(f"PRAGMA {name}")))
                await asyncio.sleep(0.01)  # keep it checked out so the next one differs
                return tuple(values)

        assert set(await asyncio.gather(*(pragmas() for _ in range(4)))) == {(1, "wal", 5000)}
    finally:
        await engine.dispose()


async def test_nudges_from_before_0003_get_their_owners_platform_and_the_claim_index_stays_partial(
    database_url: str,
) -> None:
    def upgrade_to(connection: Connection, revision: str) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection, migration_lock(connection):
            await connection.run_sync(upgrade_to, "0002")
            await connection.commit()
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO owners (platform, tenant, subject, kind, created_at)"
                    " VALUES ('slack', 'T1', 'U1', 'user', CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO nudges"
                    " (owner_id, kind, slot, week, status, due_at, attempts, next_attempt_at)"
                    " SELECT id, 'checkin', CURRENT_TIMESTAMP, '2026-W49', 'due', CURRENT_TIMESTAMP, 0,"
                    " CURRENT_TIMESTAMP FROM owners"
                )
            )
        await upgrade_database(engine)
        async with engine.connect() as connection:
            platforms = (await connection.execute(text("SELECT platform FROM nudges"))).scalars().all()
            assert platforms == ["slack"]
            if connection.dialect.name == "sqlite":
                query = "SELECT sql FROM sqlite_master WHERE name = 'ix_nudges_claimable'"
            else:
                query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_nudges_claimable'"
            definition = (await connection.execute(text(query))).scalar_one()
            assert "status" in definition and "due" in definition and "claimed" in definition
            assert await connection.run_sync(_model_differences) == []
    finally:
        await engine.dispose()


async def test_the_sent_nudges_index_leaves_unsent_nudges_out_and_the_reminder_query_reads_it(
    database_url: str,
) -> None:
    """0005: enqueueing writes no entry for an unsent nudge, and reminders still find theirs
    by index (a query comparing ``sent_at`` implies the index's ``sent_at IS NOT NULL``)."""
    engine = make_engine(database_url)
    reminder_queries: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if "sent_at <=" in statement:
            reminder_queries.append((statement, parameters))

    try:
        await upgrade_database(engine)
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                query = "SELECT sql FROM sqlite_master WHERE name = 'ix_nudges_kind_sent_at'"
            else:
                query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_nudges_kind_sent_at'"
            definition = (await connection.execute(text(query))).scalar_one()
            assert "sent_at IS NOT NULL" in definition
        await Outbox(engine).enqueue_reminders(datetime(2026, 12, 7, 9, tzinfo=UTC))
        assert len(reminder_queries) == 1
        if engine.dialect.name == "sqlite":
            statement, parameters = reminder_queries[0]
            async with engine.connect() as connection:
                raw = await connection.get_raw_connection()
                cursor = await raw.driver_connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plan = " | ".join(str(row[-1]) for row in await cursor.fetchall())
            assert "USING INDEX ix_nudges_kind_sent_at (kind=? AND sent_at>? AND sent_at<?)" in plan, plan
    finally:
        await engine.dispose()
