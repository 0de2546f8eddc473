"""Alembic environment for the coach's database.

Three ways in:
- from :func:`bot.storage.migrate.upgrade_database`, which hands over a connection in
  ``config.attributes["connection"]`` (already holding the migration lock);
- ``alembic upgrade head`` on the command line: an async engine is built from
  ``sqlalchemy.url`` in the ini file, or ``COACH_DATABASE_URL``, and the migrations run
  through ``connection.run_sync`` under the same lock;
- ``alembic upgrade head --sql``: the SQL is printed instead of run.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from bot.storage.engine import make_engine
from bot.storage.migrate import migration_lock
from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.settings import Settings

    return Settings().coach_database_url


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite can alter tables only by copying them; autogenerate should plan for that.
        render_as_batch=sqlite,
        # make_engine's SQLite connections emit BEGIN themselves, so DDL is
        # transactional there too: the whole upgrade commits or nothing does.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            # Foreign keys are off while migrating (see migration_lock): verify instead.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")


async def _run_with_own_engine() -> None:
    engine = make_engine(_database_url())
    try:
        async with engine.connect() as connection, migration_lock(connection):
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def main() -> None:
    """Run the migrations in whichever of the three modes Alembic was invoked in."""
    if context.is_offline_mode():
        context.configure(
            url=_database_url(),
            target_metadata=target_metadata,
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_with_own_engine())


main()
