"""Driving scripted conversations through the engine or the service, and summarising timings."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.scripts import Script, Step
from bot.app import App, build_app
from bot.settings import Settings
from coaching.conversation.engine import Coach
from coaching.conversation.state import ConversationState
from coaching.document import plan_from_document, plan_to_document
from coaching.inbound import Inbound
from coaching.model import Owner, Plan
from coaching.replies import Choice, Reply
from tests.coaching.harness import START

#: Simulated time between two messages of a conversation.
THINK_TIME = timedelta(seconds=20)


class ScriptError(RuntimeError):
    """A script no longer matches the engine (a button it clicks is gone, a wrong end step)."""


def owner_for(script: Script, number: int, run: str) -> Owner:
    return Owner(platform="console", tenant="bench", subject=f"{run}-{script.name}-{number:05d}")


def latest_choices(replies: Sequence[Reply], previous: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """The buttons a person would see last: those of the newest message that had any."""
    for reply in reversed(replies):
        if reply.choices:
            return reply.choices
    return previous


def inbound_for(step: Step, owner: Owner, now: datetime, choices: tuple[Choice, ...]) -> Inbound:
    if step.kind == "text":
        return Inbound(owner=owner, now=now, text=step.value)
    if step.kind == "command":
        # Adapters pass the platform's timezone when a conversation starts, as the console does.
        hint = "Europe/Berlin" if step.value == "" else None
        return Inbound(owner=owner, now=now, command=step.value, timezone_hint=hint)
    choice = next((c for c in choices if c.label == step.value), None)
    if choice is None:
        labels = [c.label for c in choices]
        raise ScriptError(f"no button {step.value!r} to click; the latest buttons are {labels}")
    return Inbound(owner=owner, now=now, choice=choice.id)


def check_end(script: Script, step: str | None) -> None:
    if step != script.ends_at:
        raise ScriptError(
            f"script {script.name!r} ended at step {step!r}, expected {script.ends_at!r}; "
            f"run `python -m bench.turns --trace {script.name}` to see where it went astray"
        )


@dataclass(slots=True)
class EngineConversation:
    """One conversation through the pure engine, state and plan kept as JSON between turns.

    The round trip is the one ``tests/coaching/harness.py`` does, so nothing survives a
    turn only in memory.
    """

    coach: Coach
    owner: Owner
    now: datetime = START
    state: ConversationState | None = None
    plan: Plan | None = None
    choices: tuple[Choice, ...] = ()

    def turn(self, step: Step) -> tuple[int, dict[str, Any], dict[str, Any], tuple[Reply, ...]]:
        """One timed turn: (nanoseconds, stored state, stored plan, replies)."""
        inbound = inbound_for(step, self.owner, self.now, self.choices)
        start = time.perf_counter_ns()
        result = self.coach.handle(self.state, self.plan, inbound)
        state_document = json.loads(json.dumps(result.state.to_dict()))
        plan_document = json.loads(json.dumps(plan_to_document(result.plan)))
        self.state = ConversationState.from_dict(state_document)
        self.plan = plan_from_document(plan_document, owner=self.owner)
        elapsed = time.perf_counter_ns() - start
        self.choices = latest_choices(result.replies, self.choices)
        self.now += THINK_TIME
        return elapsed, state_document, plan_document, result.replies


async def open_app(database: Path) -> App:
    """The production wiring on an SQLite file (migrated, WAL, the store's own settings)."""
    url = f"sqlite+aiosqlite:///{database}"
    return await build_app(Settings(coach_database_url=url), clock=lambda: START)


async def service_conversation(
    app: App, script: Script, owner: Owner, record: Callable[[int], None] | None = None
) -> None:
    """Every step of ``script`` through ``app.service.handle`` (``record`` gets each turn's ns)."""
    now = START
    choices: tuple[Choice, ...] = ()
    for step in script.steps:
        inbound = inbound_for(step, owner, now, choices)
        start = time.perf_counter_ns()
        outcome = await app.service.handle(inbound)
        elapsed = time.perf_counter_ns() - start
        if record is not None:
            record(elapsed)
        choices = latest_choices(outcome.replies, choices)
        now += THINK_TIME
    snapshot = await app.store.load(owner)
    check_end(script, snapshot.state.get("step") if snapshot.state else None)


# -- statistics --------------------------------------------------------------------


@dataclass(slots=True)
class Samples:
    """Latencies in nanoseconds, each with the (script, turn number) it came from."""

    ns: list[int] = field(default_factory=list)
    keys: list[tuple[str, int]] = field(default_factory=list)
    #: Size of the stored state JSON after each turn (engine path only).
    state_bytes: list[int] = field(default_factory=list)

    def add(self, ns: int, key: tuple[str, int]) -> None:
        self.ns.append(ns)
        self.keys.append(key)


def percentile(ordered: Sequence[int], p: float) -> int:
    """Nearest-rank percentile of an ascending sequence (p99 of 100 values is the 99th)."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(ns: Sequence[int]) -> dict[str, float]:
    ordered = sorted(ns)
    total = sum(ordered)
    return {
        "turns": len(ordered),
        "p50_ms": percentile(ordered, 50) / 1e6,
        "p90_ms": percentile(ordered, 90) / 1e6,
        "p99_ms": percentile(ordered, 99) / 1e6,
        "max_ms": ordered[-1] / 1e6,
        "mean_ms": total / len(ordered) / 1e6,
        # Serial throughput of the timed work alone (no script bookkeeping in between).
        "turns_per_s": len(ordered) / (total / 1e9),
    }
