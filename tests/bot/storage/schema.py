"""The live database schema as the data-rights tests see it: every table, and whose rows are whose.

Reflected from the database rather than taken from the models, so a table a later
migration adds is checked too.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine


def _reflect(connection: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(connection)
    return metadata


async def live_tables(engine: AsyncEngine) -> list[Table]:
    """Every table of the live schema but Alembic's own."""
    async with engine.connect() as connection:
        metadata = await connection.run_sync(_reflect)
    return [t for t in metadata.sorted_tables if t.name != "alembic_version"]


def owner_key(table: Table) -> str:
    """The column tying a table's rows to an owner; fails for a table that has none.

    Such a table could be neither exported nor forgotten per owner: whoever adds one
    must decide how it is, and extend export and forget (or this rule) on purpose.
    """
    if table.name == "owners":
        return "id"
    referring = [c.name for c in table.columns for fk in c.foreign_keys if fk.column.table.name == "owners"]
    assert referring == ["owner_id"], f"table {table.name} is not scoped by owner (refers by {referring})"
    return "owner_id"
