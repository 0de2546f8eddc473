"""The in-process SQLite write queue: one holder, urgent first, cancellation never leaks the lock.

Every test steps the event loop with ``asyncio.sleep(0)`` only; nothing waits on a clock.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.write_queue import WriteQueue


async def settle(turns: int = 5) -> None:
    """Let every ready task run up to its next wait."""
    for _ in range(turns):
        await asyncio.sleep(0)


async def finish(*tasks: asyncio.Task[None]) -> None:
    """Step the loop until ``tasks`` are done; fail, rather than hang, if they never are."""
    for _ in range(1000):
        if all(task.done() for task in tasks):
            break
        await asyncio.sleep(0)
    stuck = [task for task in tasks if not task.done()]
    for task in stuck:
        task.cancel()
    assert not stuck, f"{len(stuck)} task(s) never got the lock"
    for task in tasks:
        if not task.cancelled():
            task.result()  # re-raise what a task raised


async def enter(queue: WriteQueue, name: str, order: list[str], *, urgent: bool = False) -> None:
    """Take the lock, note who got it, and give the loop a turn while holding it."""
    async with queue.hold(urgent=urgent):
        order.append(name)
        await asyncio.sleep(0)


async def is_free(queue: WriteQueue) -> bool:
    """Whether a newcomer gets the lock without anyone else running first."""
    entered = asyncio.create_task(enter(queue, "probe", []))
    await settle()
    done = entered.done()
    if not done:
        entered.cancel()
    return done


async def test_an_uncontended_hold_enters_without_waiting() -> None:
    """The common case must cost no loop turn: a free lock is taken at once."""
    queue = WriteQueue()
    order: list[str] = []
    async with queue.hold():
        order.append("first")
    async with queue.hold(urgent=True):
        order.append("second")
    assert order == ["first", "second"]
    assert await is_free(queue)


async def test_only_one_task_is_ever_inside() -> None:
    """The whole point: two of our writers never ask SQLite for its write lock at once."""
    queue = WriteQueue()
    inside = 0
    most = 0
    entries = 0

    async def writer(urgent: bool) -> None:
        nonlocal inside, most, entries
        async with queue.hold(urgent=urgent):
            inside += 1
            entries += 1
            most = max(most, inside)
            for _ in range(3):
                await asyncio.sleep(0)
            inside -= 1

    await finish(*(asyncio.create_task(writer(urgent=i % 3 == 0)) for i in range(30)))
    assert entries == 30
    assert most == 1
    assert inside == 0


async def test_urgent_waiters_go_first_and_each_lane_keeps_its_order() -> None:
    """Claims queued behind outcome writes idled the senders: urgent jumps the normal lane."""
    queue = WriteQueue()
    order: list[str] = []
    arrivals = [("n1", False), ("n2", False), ("u1", True), ("n3", False), ("u2", True), ("u3", True)]
    async with queue.hold():
        tasks: list[asyncio.Task[None]] = []
        for name, urgent in arrivals:
            tasks.append(asyncio.create_task(enter(queue, name, order, urgent=urgent)))
            await settle()  # each is queued before the next arrives
        assert order == []  # nobody gets in while the lock is held
    await finish(*tasks)
    assert order == ["u1", "u2", "u3", "n1", "n2", "n3"]
    assert await is_free(queue)


async def test_an_urgent_waiter_arriving_later_still_overtakes_queued_normal_ones() -> None:
    """Urgency counts at every hand-off, not only for those queued when the lock was taken."""
    queue = WriteQueue()
    order: list[str] = []
    gate = asyncio.Event()

    async def slow(name: str) -> None:
        async with queue.hold():
            order.append(name)
            await gate.wait()

    holder = asyncio.create_task(slow("holder"))
    await settle()
    normals = [asyncio.create_task(enter(queue, name, order)) for name in ("n1", "n2")]
    await settle()
    urgent = asyncio.create_task(enter(queue, "u1", order, urgent=True))
    await settle()
    gate.set()
    await finish(holder, *normals, urgent)
    assert order == ["holder", "u1", "n1", "n2"]


async def test_a_newcomer_does_not_barge_past_the_waiter_the_lock_was_handed_to() -> None:
    """The lock goes straight to the next waiter, so a released lock is not up for grabs."""
    queue = WriteQueue()
    order: list[str] = []
    async with queue.hold():
        waiter = asyncio.create_task(enter(queue, "waiter", order))
        await settle()
    # Released: the waiter's turn is resolved but it has not run yet. Arrive right now.
    await enter(queue, "newcomer", order, urgent=True)
    await finish(waiter)
    assert order == ["waiter", "newcomer"]


async def test_a_waiter_cancelled_while_waiting_neither_takes_the_lock_nor_blocks_the_others() -> None:
    """A shutdown cancels waiting writers; the ones behind them must still get their turn."""
    queue = WriteQueue()
    order: list[str] = []
    async with queue.hold():
        first = asyncio.create_task(enter(queue, "first", order))
        doomed = asyncio.create_task(enter(queue, "doomed", order))
        doomed_urgent = asyncio.create_task(enter(queue, "doomed-urgent", order, urgent=True))
        last = asyncio.create_task(enter(queue, "last", order))
        await settle()
        doomed.cancel()
        doomed_urgent.cancel()
        await settle()
        assert doomed.cancelled()
        assert doomed_urgent.cancelled()
        assert order == []
    await finish(first, last)
    assert order == ["first", "last"]
    assert await is_free(queue)


async def test_the_only_waiter_cancelled_leaves_the_lock_free_after_release() -> None:
    """Skipping a cancelled waiter must not leave the lock marked as held by nobody."""
    queue = WriteQueue()
    async with queue.hold():
        doomed = asyncio.create_task(enter(queue, "doomed", []))
        await settle()
        doomed.cancel()
        await settle()
        assert doomed.cancelled()
    assert await is_free(queue)


async def test_a_waiter_cancelled_just_after_being_handed_the_lock_passes_it_on() -> None:
    """Handed the lock, then cancelled before it ran: without passing it on, every writer hangs."""
    queue = WriteQueue()
    order: list[str] = []
    async with queue.hold():
        handed = asyncio.create_task(enter(queue, "handed", order))
        urgent_next = asyncio.create_task(enter(queue, "urgent-next", order, urgent=True))
        normal_next = asyncio.create_task(enter(queue, "normal-next", order))
        await settle()
    # The release resolved "urgent-next"'s turn (urgent first); cancel it before it resumes.
    assert not urgent_next.done()
    urgent_next.cancel()
    await finish(handed, normal_next)
    assert urgent_next.cancelled()
    assert order == ["handed", "normal-next"]
    assert await is_free(queue)


async def test_the_last_waiter_cancelled_after_being_handed_the_lock_frees_it() -> None:
    """With nobody behind it, the cancelled heir must release the lock rather than keep it."""
    queue = WriteQueue()
    async with queue.hold():
        heir = asyncio.create_task(enter(queue, "heir", []))
        await settle()
    heir.cancel()
    await settle()
    assert heir.cancelled()
    assert await is_free(queue)


async def test_an_exception_in_the_body_releases_the_lock() -> None:
    """A failed write (constraint, lost connection) must not wedge every later writer."""
    queue = WriteQueue()
    order: list[str] = []

    async def failing() -> None:
        async with queue.hold():
            order.append("failing")
            await asyncio.sleep(0)
            raise RuntimeError("write failed")

    failed = asyncio.create_task(failing())
    await settle(1)
    waiter = asyncio.create_task(enter(queue, "waiter", order))
    with pytest.raises(RuntimeError, match="write failed"):
        await failed
    await finish(waiter)
    assert order == ["failing", "waiter"]

    with pytest.raises(RuntimeError, match="again"):
        async with queue.hold(urgent=True):
            raise RuntimeError("again")
    assert await is_free(queue)
