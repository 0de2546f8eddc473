"""Where the time of a turn goes: phase breakdowns and cProfile listings (``--profile``).

Run separately from the measurement, so timers and the profiler never disturb the
figures in the results table.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.drive import (
    THINK_TIME,
    EngineConversation,
    inbound_for,
    latest_choices,
    open_app,
    owner_for,
    percentile,
    service_conversation,
)
from bench.scripts import SCRIPTS
from coaching.conversation.engine import Coach, TurnResult
from coaching.conversation.state import ConversationState
from coaching.conversation.text import MAX_ANSWER_CHARS
from coaching.document import plan_from_document, plan_to_document
from coaching.model import Plan
from coaching.replies import Choice
from tests.coaching.harness import START

Phases = dict[str, list[int]]


def phase_table(phases: Phases, total: str, extra: dict[str, list[int]] | None = None) -> str:
    """p50, p99 and mean of each phase, its share of the mean turn, and its mean in the slowest 1%."""
    totals = phases[total]
    cutoff = percentile(sorted(totals), 99)
    slow = [i for i, ns in enumerate(totals) if ns >= cutoff]
    total_mean = sum(totals) / len(totals)
    lines = [
        "| phase | p50 ms | p99 ms | mean ms | share of mean turn | mean ms in slowest 1% of turns |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, values in phases.items():
        ordered = sorted(values)
        mean = sum(values) / len(values)
        slow_mean = sum(values[i] for i in slow) / len(slow)
        lines.append(
            f"| {name} | {percentile(ordered, 50) / 1e6:.3f} | {percentile(ordered, 99) / 1e6:.3f} "
            f"| {mean / 1e6:.3f} | {mean / total_mean:.0%} | {slow_mean / 1e6:.3f} |"
        )
    for name, values in (extra or {}).items():
        ordered = sorted(values)
        slow_mean = sum(values[i] for i in slow) / len(slow)
        lines.append(
            f"| {name} | {percentile(ordered, 50)} | {percentile(ordered, 99)} "
            f"| {sum(values) / len(values):.1f} | | {slow_mean:.1f} |"
        )
    return "\n".join(lines)


# -- the engine path ---------------------------------------------------------------


def engine_phases(conversations: int) -> str:
    """The in-process turn cut into the engine proper and the two JSON round trips."""
    coach = Coach()
    for script in SCRIPTS:  # warm-up, not recorded
        convo = EngineConversation(coach=coach, owner=owner_for(script, 0, "phases-warm"))
        for step in script.steps:
            convo.turn(step)
    phases: Phases = {
        "whole turn": [],
        "Coach.handle": [],
        "state: to_dict, dumps, loads, from_dict": [],
        "plan: to_document, dumps, loads, from_document": [],
    }
    sizes: dict[str, list[int]] = {"stored state JSON, bytes": [], "stored plan JSON, bytes": []}
    for number in range(conversations):
        script = SCRIPTS[number % len(SCRIPTS)]
        owner = owner_for(script, number, "phases")
        state: ConversationState | None = None
        plan: Plan | None = None
        choices: tuple[Choice, ...] = ()
        now = START
        for step in script.steps:
            inbound = inbound_for(step, owner, now, choices)
            t0 = time.perf_counter_ns()
            result = coach.handle(state, plan, inbound)
            t1 = time.perf_counter_ns()
            state_json = json.dumps(result.state.to_dict())
            state = ConversationState.from_dict(json.loads(state_json))
            t2 = time.perf_counter_ns()
            plan_json = json.dumps(plan_to_document(result.plan))
            plan = plan_from_document(json.loads(plan_json), owner=owner)
            t3 = time.perf_counter_ns()
            for name, ns in zip(phases, (t3 - t0, t1 - t0, t2 - t1, t3 - t2), strict=True):
                phases[name].append(ns)
            sizes["stored state JSON, bytes"].append(len(state_json.encode()))
            sizes["stored plan JSON, bytes"].append(len(plan_json.encode()))
            choices = latest_choices(result.replies, choices)
            now += THINK_TIME
    return phase_table(phases, "whole turn", sizes)


# -- the SQLite path ---------------------------------------------------------------


async def sqlite_phases(conversations: int, directory: Path) -> str:
    """``service.handle`` cut into load, engine, save and the service's own work in between.

    The store's ``load`` and ``save_turn`` and the coach's ``handle`` are wrapped with
    timers on this app's instances only; a cursor hook counts SQL statements per turn.
    """
    app = await open_app(directory / "phases.db")
    statements = 0

    def count(*_: Any, **__: Any) -> None:
        nonlocal statements
        statements += 1

    current: dict[str, int] = {}

    def timed_async(name: str, inner: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return await inner(*args, **kwargs)
            finally:
                current[name] = current.get(name, 0) + time.perf_counter_ns() - start

        return wrapper

    def timed_handle(inner: Callable[..., TurnResult]) -> Callable[..., TurnResult]:
        def wrapper(*args: Any, **kwargs: Any) -> TurnResult:
            start = time.perf_counter_ns()
            try:
                return inner(*args, **kwargs)
            finally:
                current["engine"] = current.get("engine", 0) + time.perf_counter_ns() - start

        return wrapper

    def timed_service(inner: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time_ns()
            try:
                return await inner(*args, **kwargs)
            finally:
                current["cpu"] = time.thread_time_ns() - start

        return wrapper

    phases: Phases = {
        "whole turn": [],
        "Store.load": [],
        "Coach.handle": [],
        "Store.save_turn": [],
        "service's own work (state/plan to and from dicts, compare)": [],
        "CPU of the event-loop thread (Python: engine, SQLAlchemy, JSON)": [],
        "not on that CPU: waiting for aiosqlite's thread (SQLite, I/O, hand-offs)": [],
    }
    counts: dict[str, list[int]] = {"SQL statements per turn (incl. BEGIN)": []}
    try:
        for script in SCRIPTS:  # warm-up, not recorded
            await service_conversation(app, script, owner_for(script, 0, "phases-warm"), None)
        setattr(app.store, "load", timed_async("load", app.store.load))  # noqa: B010
        setattr(app.store, "save_turn", timed_async("save", app.store.save_turn))  # noqa: B010
        setattr(app.coach, "handle", timed_handle(app.coach.handle))  # noqa: B010
        setattr(app.service, "handle", timed_service(app.service.handle))  # noqa: B010
        event.listen(app.engine.sync_engine, "before_cursor_execute", count)

        def record(total: int) -> None:
            nonlocal statements
            load, engine, save = current.get("load", 0), current.get("engine", 0), current.get("save", 0)
            cpu = current.get("cpu", 0)
            values = (total, load, engine, save, total - load - engine - save, cpu, total - cpu)
            for name, ns in zip(phases, values, strict=True):
                phases[name].append(ns)
            counts["SQL statements per turn (incl. BEGIN)"].append(statements)
            current.clear()
            statements = 0

        for number in range(conversations):
            script = SCRIPTS[number % len(SCRIPTS)]
            await service_conversation(app, script, owner_for(script, number, "phases"), record)
            # The check of where the conversation ended went through the timed load too.
            current.clear()
            statements = 0
    finally:
        await app.close()
    return phase_table(phases, "whole turn", counts)


# -- cProfile ----------------------------------------------------------------------


def listing(profiler: cProfile.Profile, sort: str, limit: int) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(limit)
    # Drop pstats' preamble lines about restrictions; keep the totals line and the table.
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())


def package_of(filename: str, function: str) -> str:
    """Who owns a profiled function: a project package, a library, the stdlib, or C code."""
    if filename == "~":
        if "poll" in function or "select" in function:
            return "idle: event loop waiting (epoll)"
        return "C built-ins (str, dict, queue, socket...)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    for root in ("coaching", "bot", "adapters", "bench", "tests"):
        if root in parts:
            return root
    if "python3.11" in parts or "lib" in parts:
        top = parts[parts.index("python3.11") + 1] if "python3.11" in parts else path.stem
        return f"stdlib {top.removesuffix('.py')}"
    return path.stem


def by_package(profiler: cProfile.Profile, limit: int = 12) -> str:
    """Own time (tottime) summed per package: where the CPU of the profiled thread went."""
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, tottime, _, _) in raw.items():
        key = package_of(filename, function)
        totals[key] = totals.get(key, 0.0) + tottime
    whole = sum(totals.values())
    lines = ["| owner of the code | own time s | share |", "|---|---:|---:|"]
    for key, seconds in sorted(totals.items(), key=lambda item: item[1], reverse=True)[:limit]:
        lines.append(f"| {key} | {seconds:.3f} | {seconds / whole:.0%} |")
    return "\n".join(lines)


def profile_turn_positions(positions: Sequence[tuple[str, int]], repeat: int, limit: int) -> str:
    """Each (script, turn) replayed ``repeat`` times from the same stored state and plan."""
    coach = Coach()
    scripts = {s.name: s for s in SCRIPTS}
    profiler = cProfile.Profile()
    for name, index in positions:
        script = scripts[name]
        convo = EngineConversation(coach=coach, owner=owner_for(script, 0, "profile"))
        for step in script.steps[:index]:
            convo.turn(step)
        frozen = (convo.state, convo.plan, convo.choices, convo.now)
        for _ in range(repeat):
            convo.state, convo.plan, convo.choices, convo.now = frozen
            profiler.enable()
            convo.turn(script.steps[index])
            profiler.disable()
    return listing(profiler, "tottime", limit) + "\n\n" + listing(profiler, "cumulative", limit)


def profile_ordinary_turns(conversations: int, limit: int) -> str:
    """Every engine turn of ``conversations`` conversations except inputs over the length limit."""
    coach = Coach()
    for script in SCRIPTS:
        convo = EngineConversation(coach=coach, owner=owner_for(script, 0, "profile-warm"))
        for step in script.steps:
            convo.turn(step)
    profiler = cProfile.Profile()
    for number in range(conversations):
        script = SCRIPTS[number % len(SCRIPTS)]
        convo = EngineConversation(coach=coach, owner=owner_for(script, number, "profile"))
        for step in script.steps:
            if len(step.value) > MAX_ANSWER_CHARS:
                convo.turn(step)
                continue
            profiler.enable()
            convo.turn(step)
            profiler.disable()
    return (
        by_package(profiler)
        + "\n\n"
        + listing(profiler, "tottime", limit)
        + "\n\n"
        + listing(profiler, "cumulative", limit)
    )


async def profile_service(conversations: int, limit: int, directory: Path) -> str:
    """cProfile of ``service.handle`` turns; the main thread only (aiosqlite's worker is not seen)."""
    app = await open_app(directory / "profile.db")
    profiler = cProfile.Profile()
    try:
        for script in SCRIPTS:
            await service_conversation(app, script, owner_for(script, 0, "profile-warm"), None)
        profiler.enable()
        for number in range(conversations):
            script = SCRIPTS[number % len(SCRIPTS)]
            await service_conversation(app, script, owner_for(script, number, "profile"), None)
        profiler.disable()
    finally:
        await app.close()
    return (
        by_package(profiler)
        + "\n\n"
        + listing(profiler, "tottime", limit)
        + "\n\n"
        + listing(profiler, "cumulative", limit)
    )
