"""Check-in answers: upserted per (owner, week, kind, subject), read back as history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Integer, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.driver import DriverStatement, from_driver_time
from bot.storage.models import CheckinEntryRow
from bot.storage.sql import upsert, utc
from coaching.checkins import CheckinEntry, EntryKind, Verdict, week_key

#: How far back :func:`load_history` reads, counting the current week.
HISTORY_WEEKS = 26


async def save_entries(connection: AsyncConnection, owner_id: int, entries: Sequence[CheckinEntry]) -> None:
    """Store the answers; an answer to a question already answered that week replaces it."""
    if not entries:
        return
    statement = upsert(connection, CheckinEntryRow)
    statement = statement.on_conflict_do_update(
        index_elements=["owner_id", "week", "kind", "subject"],
        set_={
            column: statement.excluded[column]
            for column in ("verdict", "value", "text", "answered_by", "created_at")
        },
    )
    await connection.execute(
        statement,
        [
            {
                "owner_id": owner_id,
                "week": entry.week,
                "kind": entry.kind,
                "subject": entry.subject,
                "verdict": entry.verdict,
                "value": entry.value,
                "text": entry.text,
                "answered_by": entry.answered_by,
                "created_at": utc(entry.at),
            }
            for entry in entries
        ],
    )


#: Built once and run through the driver: every turn of an owner with answers reads it.
_HISTORY = DriverStatement(
    lambda _dialect: (
        select(
            CheckinEntryRow.week,
            CheckinEntryRow.kind,
            CheckinEntryRow.subject,
            CheckinEntryRow.created_at,
            CheckinEntryRow.verdict,
            CheckinEntryRow.value,
            CheckinEntryRow.text,
            CheckinEntryRow.answered_by,
        )
        .where(
            CheckinEntryRow.owner_id == bindparam("b_owner", type_=Integer()),
            CheckinEntryRow.week >= bindparam("b_first_week", type_=String()),
        )
        .order_by(CheckinEntryRow.week, CheckinEntryRow.created_at, CheckinEntryRow.id)
    )
)


async def load_history(
    connection: AsyncConnection, owner_id: int, *, now: datetime, timezone: str
) -> tuple[CheckinEntry, ...]:
    """The owner's answers of the last :data:`HISTORY_WEEKS` weeks, oldest week first.

    Weeks are ISO week keys ("2026-W49"), which sort as text, so the cut-off is one
    indexed comparison on the unique key's (owner_id, week) prefix.
    """
    first_week = week_key(now - timedelta(weeks=HISTORY_WEEKS - 1), timezone)
    rows = await _HISTORY.fetch(connection, {"b_owner": owner_id, "b_first_week": first_week})
    return tuple(
        CheckinEntry(
            week=week,
            kind=cast(EntryKind, kind),
            subject=subject,
            at=from_driver_time(created_at),
            verdict=cast(Verdict | None, verdict),
            value=value,
            text=text,
            answered_by=answered_by,
        )
        for week, kind, subject, created_at, verdict, value, text, answered_by in rows
    )
