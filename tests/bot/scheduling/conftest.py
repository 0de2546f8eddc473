"""An outbox on the shared migrated database (tests/bot/conftest.py), and fakes at the send edge."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.dispatcher import DispatchConfig, Dispatcher
from bot.scheduling.ports import OutboundNudge
from bot.storage import NudgeKind, Outbox, ScheduleSpec, Store
from bot.storage.models import NudgeRow, OwnerRow, ScheduleRow
from coaching.model import Owner
from coaching.replies import Choice, Reply


@pytest.fixture
def outbox(engine: AsyncEngine) -> Outbox:
    return Outbox(engine)


@dataclass
class FakeCompose:
    """Says one question per nudge, or nothing for owners in ``silent``; records every call."""

    silent: set[str] = field(default_factory=set)
    calls: list[tuple[Owner, str, NudgeKind]] = field(default_factory=list)

    async def __call__(self, owner: Owner, *, now: datetime, week: str, kind: NudgeKind) -> tuple[Reply, ...]:
        self.calls.append((owner, week, kind))
        if owner.subject in self.silent:
            return ()
        return (
            Reply(
                text=f"Is **Twitter** still serving your support goal? ({kind} {week})",
                choices=(Choice("yes", "Yes"), Choice("no", "No")),
                kind="checkin",
            ),
        )


@dataclass
class RecordingSender:
    """A platform that remembers what it delivered, by key, like Slack's message metadata.

    ``failures[subject]`` is a list of exceptions raised by the next sends to that owner;
    ``remembers=False`` makes ``find_sent`` blind, like the console.
    """

    platform: str = "console"
    remembers: bool = True
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    delivered: Counter[str] = field(default_factory=Counter)
    sent: list[OutboundNudge] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)

    async def send(self, nudge: OutboundNudge) -> str | None:
        pending = self.failures.get(nudge.owner.subject)
        if pending:
            raise pending.pop(0)
        self.sent.append(nudge)
        self.delivered[nudge.key] += 1
        return f"ref-{nudge.id}"

    async def find_sent(self, nudge: OutboundNudge) -> str | None:
        self.lookups.append(nudge.key)
        return f"ref-{nudge.id}" if self.remembers and self.delivered[nudge.key] else None

    def subjects(self) -> list[str]:
        return [n.owner.subject for n in self.sent]


def console(subject: str) -> Owner:
    return Owner("console", "local", subject)


async def add_owner(store: Store, owner: Owner, spec: ScheduleSpec, *, now: datetime) -> None:
    """An owner whose turn at ``now`` stored ``spec`` (as the service does after a schedule change)."""
    snapshot = await store.load(owner, now=now)
    saved = await store.save_turn(
        owner, expected_version=snapshot.version, state={}, plan=None, now=now, schedule=spec
    )
    assert saved == "saved"


def dispatcher(
    outbox: Outbox, *senders: RecordingSender, compose: FakeCompose | None = None, **config: Any
) -> Dispatcher:
    return Dispatcher(
        outbox,
        senders or (RecordingSender(),),
        compose or FakeCompose(),
        config=DispatchConfig(**{"channel_interval": 0.0, **config}),
    )


async def nudges(engine: AsyncEngine) -> list[Any]:
    """Every outbox row with its owner's subject, in slot order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(OwnerRow.subject, *NudgeRow.__table__.c)
            .join(OwnerRow, OwnerRow.id == NudgeRow.owner_id)
            .order_by(NudgeRow.slot, NudgeRow.id)
        )
        return list(rows.all())


async def schedule_of(engine: AsyncEngine, subject: str) -> Any:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(ScheduleRow)
            .join(OwnerRow, OwnerRow.id == ScheduleRow.owner_id)
            .where(OwnerRow.subject == subject)
        )
        return rows.one()
