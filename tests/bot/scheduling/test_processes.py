"""Real dispatcher processes against the fake Slack Web API: SIGKILL mid-pass, two replicas.

Delivery is counted where it lands: by the ``coach_nudge`` metadata key of every message
the fake Slack server received. The clock moves through ``--now``; nothing sleeps for a
lease to run out.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.storage import make_engine, upgrade_database
from bot.storage.models import NudgeRow
from tests.bot.scheduling.seed import seed_owners
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.slow

NUDGES = 1_000
DUE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # a Monday in the past: Slack's ts come later
LEASE = timedelta(seconds=300)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    # A little latency per call, so a pass of 1,000 takes long enough to be killed half-way.
    with FakeSlackApi(latency=0.01) as fake:
        yield fake


async def seeded(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade_database(engine)
        await seed_owners(engine, NUDGES, due=DUE)
    finally:
        await engine.dispose()


async def statuses(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(NudgeRow.status, func.count()).group_by(NudgeRow.status))
            return {status: int(count) for status, count in rows}
    finally:
        await engine.dispose()


def worker(database_url: str, slack: FakeSlackApi, now: datetime) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "COACH_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_API_URL": slack.url,
        "COACH_DISPATCH_LEASE": str(LEASE.total_seconds()),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bot.scheduling.dispatch_worker", "--now", now.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return report


async def test_a_worker_killed_mid_pass_loses_nothing_and_sends_nothing_twice(
    database_url: str, slack: FakeSlackApi
) -> None:
    await seeded(database_url)
    first_now = DUE + timedelta(minutes=1)
    doomed = worker(database_url, slack, first_now)
    assert await asyncio.to_thread(slack.wait_for_messages, NUDGES // 4, 60), doomed.stderr
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    delivered_before = len(slack.messages())
    assert delivered_before < NUDGES, "the pass finished before the kill; nothing was tested"
    left = await statuses(database_url)
    assert left.get("claimed", 0) > 0  # the dead worker's claims are still held

    # Too early: the dead worker's leases still hold its claimed nudges.
    early = finished(worker(database_url, slack, first_now + LEASE - timedelta(seconds=5)))
    # After the lease: everything is taken over, looked up on Slack first, and sent once.
    late = finished(worker(database_url, slack, first_now + LEASE + timedelta(seconds=5)))

    keys = slack.keys()
    assert len(keys) == NUDGES
    assert set(keys.values()) == {1}, [k for k, n in keys.items() if n > 1][:5]
    assert await statuses(database_url) == {"sent": NUDGES}
    assert early["reconciled"] == 0
    assert late["reconciled"] > 0  # posted before the kill, marked only now
    assert late["claimed"] == left["claimed"]
    assert len(slack.calls("conversations.history")) == late["claimed"]


async def test_two_dispatcher_processes_on_one_database_send_each_nudge_once(
    database_url: str, slack: FakeSlackApi
) -> None:
    await seeded(database_url)
    now = DUE + timedelta(minutes=1)
    replicas = [worker(database_url, slack, now) for _ in range(2)]
    reports = [finished(process) for process in replicas]
    keys = slack.keys()
    assert len(keys) == NUDGES and set(keys.values()) == {1}
    assert sum(r["sent"] for r in reports) == NUDGES
    assert sum(r["enqueued"] for r in reports) == NUDGES
    # Which replica takes how many depends on scheduling (on a loaded machine one may
    # finish before the other starts); what must hold is above: each nudge sent once.
    assert await statuses(database_url) == {"sent": NUDGES}
