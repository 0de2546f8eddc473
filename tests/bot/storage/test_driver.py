"""Statements run through the driver: constants, JSON rows, timestamps as stored.

The hot path skips SQLAlchemy's type processing, so what it writes must be exactly what
SQLAlchemy would have written, or rows stop sorting and comparing with each other.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Dialect, Integer, Text, bindparam, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.driver import (
    DriverStatement,
    JsonTable,
    constant,
    driver_time,
    from_driver_date,
    from_driver_time,
    json_time,
)
from bot.storage.models import NudgeRow, OwnerRow, UTCDateTime

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SQLITE = sqlite.dialect()
POSTGRESQL = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


def test_constant_writes_words_and_integers_into_the_sql() -> None:
    """Constants are inlined so a statement needs no bound value the caller might forget."""
    statement = update(NudgeRow).values(
        status=constant("sent"), attempts=constant(3), last_error=constant("a b-c")
    )
    sql = str(statement.compile(dialect=SQLITE))
    assert "status='sent'" in sql
    assert "attempts=3" in sql
    assert "last_error='a b-c'" in sql
    assert str(constant(-7).compile(dialect=SQLITE)) == "-7"


@pytest.mark.parametrize(
    "value", ["it's", "sent; DROP TABLE nudges", "Sent", "SENT", "", "2x", "tab\there", 'say "hi"', "a\\b"]
)
def test_constant_refuses_anything_that_could_need_quoting(value: str) -> None:
    """Inlined text is SQL: one quote or semicolon would be an injection."""
    with pytest.raises(ValueError, match="not a plain word"):
        constant(value)


def test_json_time_is_the_stored_text_on_sqlite_and_iso_with_offset_on_postgresql() -> None:
    """Inside a JSON row a timestamp is text: SQLite compares it with the stored text as
    it is, PostgreSQL casts it, so it must carry its offset."""
    moment = datetime(2026, 3, 4, 13, 0, 7, 5, tzinfo=timezone(timedelta(hours=1)))
    assert json_time(SQLITE, moment) == "2026-03-04 12:00:07.000005"
    assert json_time(POSTGRESQL, moment) == "2026-03-04T12:00:07.000005+00:00"
    assert datetime.fromisoformat(json_time(POSTGRESQL, moment)) == moment


def test_a_json_table_is_one_bound_parameter_however_many_rows() -> None:
    """One compiled statement for every batch size: that was the point."""

    def build(dialect: Dialect) -> Any:
        rows = JsonTable(dialect, "b_rows")
        return select(NudgeRow.id).where(NudgeRow.id == rows.item(0, Integer()))

    for dialect in (SQLITE, POSTGRESQL):
        sql, in_order = DriverStatement(build)._for(dialect)
        assert in_order({"b_rows": "[[1]]"}) == ("[[1]]",)
        assert sql.count("?" if dialect is SQLITE else "$") == 1


def test_driver_time_on_postgresql_is_an_aware_utc_datetime() -> None:
    """asyncpg takes a datetime for timestamptz; it must be the same instant, in UTC."""
    berlin = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 4, 13, 0, 0, 250, tzinfo=berlin)
    stored = driver_time(POSTGRESQL, moment)
    assert isinstance(stored, datetime)
    assert stored.tzinfo is UTC
    assert stored == moment
    assert stored.hour == 12


def test_driver_time_on_sqlite_is_naive_utc_text_with_microseconds() -> None:
    """Text comparison is chronological only if every row has the same shape."""
    moment = datetime(2026, 3, 4, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert driver_time(SQLITE, moment) == "2026-03-04 12:00:00.000000"
    assert driver_time(SQLITE, moment + timedelta(microseconds=5)) == "2026-03-04 12:00:00.000005"


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRESQL], ids=["sqlite", "postgresql"])
def test_from_driver_time_round_trips_driver_time(dialect: Dialect) -> None:
    moment = datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5)))
    back = from_driver_time(driver_time(dialect, moment))
    assert back == moment
    assert back.tzinfo is UTC


def test_from_driver_time_converts_an_offset_carrying_string_to_utc() -> None:
    """PostgreSQL's JSON renders timestamptz with the session's offset; callers want UTC."""
    back = from_driver_time("2026-03-04T13:30:00.5+01:00")
    assert back == datetime(2026, 3, 4, 12, 30, 0, 500000, tzinfo=UTC)
    assert back.tzinfo is UTC
    assert from_driver_time("2026-03-04 12:30:00") == datetime(2026, 3, 4, 12, 30, tzinfo=UTC)
    aware = datetime(2026, 3, 4, 7, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert from_driver_time(aware).utcoffset() == timedelta(0)
    assert from_driver_time(aware) == aware


def test_from_driver_date_reads_text_and_passes_dates_and_none() -> None:
    assert from_driver_date("2026-03-04") == date(2026, 3, 4)
    assert from_driver_date(date(2026, 3, 4)) == date(2026, 3, 4)
    assert from_driver_date(None) is None


def test_a_bound_constant_is_refused() -> None:
    """A value bound at build time would be silently dropped by the driver path."""
    statement = DriverStatement(lambda _: update(NudgeRow).values(status="sent"))
    with pytest.raises(ValueError, match=r"constant\(\)"):
        statement._compile(SQLITE)
    with pytest.raises(ValueError, match=r"constant\(\)"):
        statement._compile(POSTGRESQL)


def test_an_expanding_in_is_refused() -> None:
    """An expanding IN is rendered at execution by SQLAlchemy, which the driver path skips."""
    listed = DriverStatement(lambda _: select(NudgeRow.id).where(NudgeRow.id.in_([1, 2])))
    with pytest.raises(ValueError, match=r"constant\(\)|expanding IN"):
        listed._compile(SQLITE)
    with pytest.raises(ValueError, match=r"constant\(\)|expanding IN"):
        listed._compile(POSTGRESQL)
    unbound = DriverStatement(
        lambda _: select(NudgeRow.id).where(
            NudgeRow.id.in_(bindparam("b_ids", expanding=True, type_=Integer()))
        )
    )
    with pytest.raises(ValueError, match="expanding IN"):
        unbound._compile(SQLITE)
    with pytest.raises(ValueError, match="expanding IN"):
        unbound._compile(POSTGRESQL)


async def add_owner(engine: AsyncEngine, subject: str) -> int:
    async with engine.begin() as connection:
        owner_id = await connection.scalar(
            insert(OwnerRow)
            .values(
                platform="console", tenant="local", subject=subject, kind="user", timezone=None, created_at=T0
            )
            .returning(OwnerRow.id)
        )
    assert owner_id is not None
    return int(owner_id)


async def add_nudges(engine: AsyncEngine, owner_id: int, count: int) -> list[int]:
    """``count`` due check-ins written through SQLAlchemy Core, the normal way."""
    ids: list[int] = []
    async with engine.begin() as connection:
        for i in range(count):
            slot = T0 + timedelta(weeks=i)
            nudge_id = await connection.scalar(
                insert(NudgeRow)
                .values(
                    owner_id=owner_id,
                    platform="console",
                    kind="checkin",
                    slot=slot,
                    week=f"2026-W{10 + i}",
                    status="due",
                    due_at=slot,
                    attempts=0,
                    next_attempt_at=slot,
                )
                .returning(NudgeRow.id)
            )
            assert nudge_id is not None
            ids.append(int(nudge_id))
    return ids


@pytest.mark.backends("sqlite")
async def test_driver_time_is_the_text_sqlalchemy_stores_on_sqlite(engine: AsyncEngine) -> None:
    """Rows written by the hot path and by SQLAlchemy must compare as text in one index."""
    (nudge_id,) = await add_nudges(engine, await add_owner(engine, "alice"), 1)
    moment = datetime(2026, 3, 4, 13, 0, 7, tzinfo=timezone(timedelta(hours=1)))
    async with engine.begin() as connection:
        await connection.execute(update(NudgeRow).values(sent_at=moment).where(NudgeRow.id == nudge_id))
        raw: Any = (await connection.exec_driver_sql("SELECT sent_at, slot FROM nudges")).one()
    assert raw[0] == driver_time(engine.dialect, moment) == "2026-03-04 12:00:07.000000"
    assert raw[1] == driver_time(engine.dialect, T0)
    assert from_driver_time(raw[0]) == moment


def _mark_sent(dialect: Dialect) -> Any:
    """Like the outbox's: one UPDATE for many (id, reference) rows."""
    rows = JsonTable(dialect, "b_rows")
    return (
        update(NudgeRow)
        .where(NudgeRow.id == rows.item(0, Integer()), NudgeRow.status == constant("due"))
        .values(
            status=constant("sent"),
            attempts=NudgeRow.attempts + constant(1),
            sent_at=rows.item(2, UTCDateTime()),
            message_ref=rows.item(1, Text()),
        )
    )


def _read(dialect: Dialect) -> Any:
    ids = JsonTable(dialect, "b_ids")
    return (
        select(NudgeRow.id, NudgeRow.status, NudgeRow.attempts, NudgeRow.message_ref, NudgeRow.sent_at)
        .where(NudgeRow.id.in_(ids.column(0, Integer())))
        .order_by(NudgeRow.id)
    )


MARK_SENT, READ = DriverStatement(_mark_sent), DriverStatement(_read)


async def test_a_driver_statement_updates_many_rows_at_once_and_reads_them_back(engine: AsyncEngine) -> None:
    """The hot path on a real database: JSON rows joined by id, timestamps as stored."""
    owner_id = await add_owner(engine, "alice")
    ids = await add_nudges(engine, owner_id, 4)
    marked, untouched = ids[:3], ids[3]
    sent_at = T0 + timedelta(minutes=5, microseconds=123)
    at = json_time(engine.dialect, sent_at)
    values = {"b_rows": json.dumps([[i, f"msg-{i}", at] for i in marked])}
    async with engine.begin() as connection:
        await MARK_SENT.execute(connection, values)

    async with engine.begin() as connection:
        rows = await READ.fetch(connection, {"b_ids": json.dumps([[i] for i in ids])})
    found = [
        (row[0], row[1], row[2], row[3], from_driver_time(row[4]) if row[4] is not None else None)
        for row in rows
    ]
    assert found == [
        *[(i, "sent", 1, f"msg-{i}", sent_at) for i in marked],
        (untouched, "due", 0, None, None),
    ]

    # SQLAlchemy reads the same rows, written by the driver path, as it would its own.
    async with engine.connect() as connection:
        orm_view = (
            await connection.execute(select(NudgeRow.id, NudgeRow.sent_at).where(NudgeRow.status == "sent"))
        ).all()
    assert sorted((row.id, row.sent_at) for row in orm_view) == [(i, sent_at) for i in marked]

    # Run again: the cached compiled statement, and the status guard makes it a no-op.
    async with engine.begin() as connection:
        await MARK_SENT.execute(connection, values)
        again = await READ.fetch(connection, {"b_ids": json.dumps([[i] for i in marked])})
    assert [(row[0], row[2]) for row in again] == [(i, 1) for i in marked]
