"""``python -m bot.storage``: upgrade the database at ``COACH_DATABASE_URL`` to the newest schema.

For operators who want to migrate before starting the bot (the bot also migrates on
start-up, so this is optional).
"""

from __future__ import annotations

import asyncio

from bot.settings import Settings
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade_database


async def main() -> None:
    engine = make_engine(Settings().coach_database_url)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
