"""The garbage collector during a pass: held back, bounded, and always given back."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.collector import CollectorPause
from bot.storage import Outbox, ScheduleSpec, Store
from coaching.model import Owner
from coaching.replies import Reply
from tests.bot.scheduling.conftest import FakeCompose, RecordingSender, add_owner, console, dispatcher

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
MONDAY_NINE_BERLIN = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
BERLIN = ScheduleSpec("monday", "09:00", "Europe/Berlin")


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Every test starts with the collector on, as a process does, and leaves it so."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class Cycle:
    """Garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self


def cyclic_garbage() -> weakref.ref[Cycle]:
    return weakref.ref(Cycle())


async def test_a_pass_holds_the_collector_back_while_it_sends_and_gives_it_back(
    store: Store, outbox: Outbox
) -> None:
    seen: list[bool] = []

    class Watching(FakeCompose):
        async def __call__(self, owner: Owner, **kwargs: object) -> tuple[Reply, ...]:  # type: ignore[override]
            seen.append(gc.isenabled())
            return await super().__call__(owner, **kwargs)  # type: ignore[arg-type]

    await add_owner(store, console("alice"), BERLIN, now=T0)
    report = await dispatcher(outbox, RecordingSender(), compose=Watching()).run_pass(MONDAY_NINE_BERLIN)
    assert (report.sent, seen) == (1, [False])
    assert gc.isenabled()


async def test_a_pass_that_fails_still_gives_the_collector_back(engine: AsyncEngine) -> None:
    class Failing(Outbox):
        async def enqueue_reminders(self, now: datetime) -> int:
            raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        await dispatcher(Failing(engine), RecordingSender()).run_pass(MONDAY_NINE_BERLIN)
    assert gc.isenabled()


def test_overlapping_passes_give_the_collector_back_when_the_last_one_ends() -> None:
    first, second = CollectorPause(), CollectorPause()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_process_that_turned_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    with CollectorPause(young_limit=0) as pause:
        garbage = cyclic_garbage()
        pause.check()
        assert garbage() is not None  # the process said no collections, so none
    assert not gc.isenabled()


def test_garbage_waiting_beyond_the_limit_is_collected_during_the_pass() -> None:
    with CollectorPause(young_limit=1_000) as pause:
        gc.collect(1)  # start from empty young generations
        below = cyclic_garbage()
        pause.check()
        assert below() is not None, "under the limit nothing is collected"
        keep = [[] for _ in range(2_000)]  # objects alive in the young generation, over the limit
        pause.check()
        assert below() is None, "over the limit the young generations are collected"
        assert gc.get_count()[0] < len(keep)
    assert gc.isenabled()
