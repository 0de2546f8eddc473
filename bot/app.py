"""Composition root: everything is wired here, in one function, and nowhere at import time.

Tests call :func:`build_app` with their own settings and clock, so they run the same
wiring as production.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.service import CoachService
from bot.settings import Settings
from bot.storage import Store, make_engine, upgrade_database
from coaching.conversation.engine import Coach

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class App:
    settings: Settings
    engine: AsyncEngine
    store: Store
    coach: Coach
    service: CoachService
    clock: Clock

    async def close(self) -> None:
        await self.engine.dispose()


async def build_app(
    settings: Settings | None = None, *, clock: Clock = system_clock, migrate: bool = True
) -> App:
    settings = settings or Settings()
    engine = make_engine(settings.coach_database_url)
    if migrate:
        await upgrade_database(engine)
    store = Store(engine)
    coach = Coach()
    # Everything built so far lives as long as the process: move it out of the
    # collector's sight so a full collection doesn't stall a turn for tens of ms.
    gc.freeze()
    return App(
        settings=settings,
        engine=engine,
        store=store,
        coach=coach,
        service=CoachService(store=store, coach=coach),
        clock=clock,
    )
