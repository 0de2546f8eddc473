"""Everything stored about one owner, as one JSON document (the right of access).

The sections are not listed by hand: every table of the models' metadata with an
``owner_id`` column is exported, the same walk :meth:`bot.storage.Store.forget` makes to
delete, so a table added later is exported (and forgotten) without touching this module.
A test reflects the live database and fails if a table that can hold owner data is
missing from the export.

Not exported: slack_sdk's ``slack_installations``, ``slack_bots`` and
``slack_oauth_states`` (created by :mod:`adapters.slack.install`, outside these models).
They describe a workspace, not a person: one row per install, holding the workspace's
bot and user tokens. Handing those secrets out in a personal export would be a breach,
and they go away when the workspace uninstalls the app, not when one member asks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.models import Base, OwnerRow
from bot.storage.sql import is_owner, utc
from coaching.model import Owner

#: Version of the export document; bump it when a field changes meaning (adding is fine).
EXPORT_FORMAT_VERSION = 1

#: What the document says it is, so a file found later explains itself.
EXPORT_FORMAT = "popt-coach/owner-export"


def owner_tables() -> list[Table]:
    """The tables holding rows about one owner: ``owners`` itself and every one keyed by it."""
    owners = OwnerRow.__table__
    return [t for t in Base.metadata.sorted_tables if t is owners or "owner_id" in t.c]


def _plain(value: Any) -> Any:
    """A column value as JSON: timestamps and dates ISO-8601, JSON documents as they are."""
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(mapping: RowMapping) -> dict[str, Any]:
    return {str(column): _plain(value) for column, value in mapping.items()}


async def _snapshot(connection: AsyncConnection) -> None:
    """Make every following read see one moment, so no section contradicts another.

    PostgreSQL's default (read committed) takes a new snapshot per statement: a turn
    committed between two reads could export a conversation newer than its plan.
    SQLite in WAL mode keeps the snapshot of a read transaction's first read already.
    """
    if connection.dialect.name == "postgresql":
        await connection.execution_options(isolation_level="REPEATABLE READ")


async def export_owner(engine: AsyncEngine, owner: Owner, *, now: datetime) -> dict[str, Any] | None:
    """Every row stored about ``owner``, one section per table; None if nothing is stored.

    Reads only: exporting an owner the store has never seen creates nothing (unlike
    :meth:`bot.storage.Store.load`). Rows are complete, internal ids included, because
    the point of the export is to show exactly what is kept. ``now`` is stamped as
    ``exported_at``.
    """
    exported_at = utc(now)
    async with engine.connect() as connection:
        await _snapshot(connection)
        found = (
            (await connection.execute(select(OwnerRow.__table__).where(is_owner(owner))))
            .mappings()
            .one_or_none()
        )
        if found is None:
            return None
        owner_id = found["id"]
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in owner_tables():
            key = table.c.id if table is OwnerRow.__table__ else table.c.owner_id
            query = select(table).where(key == owner_id).order_by(*table.primary_key.columns)
            tables[table.name] = [_row(row) for row in (await connection.execute(query)).mappings()]
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": exported_at.isoformat(),
        "owner": {
            "platform": found["platform"],
            "tenant": found["tenant"],
            "subject": found["subject"],
            "kind": found["kind"],
        },
        "tables": tables,
    }
