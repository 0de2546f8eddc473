"""Nudge fan-out: the real dispatcher against a fake Slack Web API, next to a bare client loop.

Four measurements, one run (``uv run python -m bench.nudges --help``):

* **fan-out**: 10,000 due check-ins sent by one ``Dispatcher.run_pass`` (enqueue, claim,
  compose, Block Kit, ``chat.postMessage``, marking sent, all on an SQLite file by
  default) against a bare loop of ``AsyncWebClient.chat_postMessage`` with the same
  concurrency, the same client set-up and the same message, in two shapes (workers
  taking calls off an iterator, the stricter one, and a task per call behind a
  semaphore). Baselines and dispatcher alternate within each round, so all see the
  same machine weather; the ratio reported is the median of the rounds'. A further
  pass, with a sender that renders the Block Kit but sends nothing, shows what the
  dispatcher itself costs per nudge.
* **storage left out**: the same pass with the outbox over a list in memory
  (``MemoryOutbox``): every check-in handed to the pass already claimed, in batches as
  the real enqueue sizes them, outcomes counted instead of written. Its ratio to the
  same bare loop splits the fan-out's cost between the dispatcher's own code and the
  database.
* **start-up**: with 100,000 stored plans, the time until the first pass is done, in
  process (``build_app``, ``open_dispatcher``, one pass with nothing due) and as a
  real ``coach dispatch`` process (interpreter start and imports included).
* **flatness**: the cost per nudge of a pass sending 1,000 check-ins, with 1,000,
  10,000 and 100,000 plans stored.

The fake Slack server (``tests/fakes/slack_api.py``) runs in a process of its own on
loopback, so it does not share an interpreter lock with what is measured. Every nudge
is checked to have arrived exactly once (by its metadata key).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.sender import nudge_client, nudge_message, nudge_metadata
from bench.drive import THINK_TIME
from bench.turns import machine, source_version
from bot.app import build_app, dispatch_config
from bot.observability.logging import LEVEL_READ_DIRECTLY, skip_unlogged_debug_messages
from bot.scheduling.dispatcher import Dispatcher, PassReport
from bot.scheduling.ports import OutboundNudge
from bot.settings import Settings
from bot.storage import Claimant, ClaimedNudge, Outbox, make_engine, upgrade_database
from bot.storage.models import ConversationRow, OwnerRow, PlanVersionRow
from bot.storage.outbox import FIRST_ENQUEUE_BATCH, LARGEST_ENQUEUE_BATCH, Outcome
from coaching.checkins import week_key
from coaching.inbound import Inbound
from coaching.model import Owner
from tests.bot.scheduling.dispatch_worker import QUESTION, compose
from tests.bot.scheduling.seed import seed_owners, user_id
from tests.coaching.harness import START, WORKED_EXAMPLE

TOKEN = "xoxb-test"  # what the fake server accepts
#: A Monday in the past, so the fake server's message timestamps all come later.
DUE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
TARGETS = {"nudges_per_s": 500.0, "ratio": 1.2, "startup_s": 5.0, "flatness": 1.3}
ROOT = Path(__file__).resolve().parent.parent


# -- the fake Slack server, in its own process ----------------------------------------------


@contextmanager
def fake_slack() -> Iterator[str]:
    """``python -m tests.fakes.slack_api --lean`` on loopback; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.slack_api", "--lean"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake Slack server did not start: {url!r}")
        yield url
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10)


def delivered(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url.removesuffix("api/") + "_fake/keys", timeout=30) as answer:
        keys: dict[str, int] = json.load(answer)["keys"]
    return keys


@contextmanager
def slack_sdk_debug_formatting() -> Iterator[None]:
    """The client loggers' own levels unset, as in a process whose logging nobody configured:
    slack_sdk then formats every request and answer (see ``LEVEL_READ_DIRECTLY``)."""
    levels = {name: logging.getLogger(name).level for name in LEVEL_READ_DIRECTLY}
    for name in levels:
        logging.getLogger(name).setLevel(logging.NOTSET)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


# -- the two paths -----------------------------------------------------------------------------


async def bare_loop(url: str, *, count: int, concurrency: int, tag: str, pool: bool = False) -> float:
    """Seconds for ``count`` ``chat_postMessage`` calls, ``concurrency`` at a time.

    Same client as the Slack sender (``nudge_client``, one shared session with as many
    connections as the dispatcher may use), same message (``nudge_message``, metadata).
    Two shapes: a task per call behind a semaphore (``gather``), and ``concurrency``
    workers taking the next call off a shared iterator (``pool``), which is how the
    dispatcher itself sends and costs a little less (no task and no semaphore per call),
    so it is the stricter baseline.
    """
    text, blocks = nudge_message((QUESTION,), kind="user")
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = nudge_client(TOKEN, url, session=session)

        async def post(index: int) -> None:
            await client.chat_postMessage(
                channel=user_id(index),
                text=text,
                blocks=blocks,
                metadata=nudge_metadata(f"{tag}-{index}"),
                unfurl_links=False,
                unfurl_media=False,
            )

        slots = asyncio.Semaphore(concurrency)

        async def gated(index: int) -> None:
            async with slots:
                await post(index)

        todo = iter(range(count))

        async def worker() -> None:
            for index in todo:
                await post(index)

        started = time.perf_counter()
        if pool:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        else:
            await asyncio.gather(*(gated(i) for i in range(count)))
        return time.perf_counter() - started


def settings_for(database_url: str, slack_url: str, concurrency: int) -> Settings:
    return Settings(
        coach_database_url=database_url,
        slack_bot_token=TOKEN,
        slack_api_url=slack_url,
        coach_dispatch_concurrency=concurrency,
    )


async def dispatcher_pass(settings: Settings, now: datetime) -> tuple[float, PassReport]:
    """Seconds for one pass of the production dispatcher (``App.open_dispatcher``)."""
    application = await build_app(settings)
    try:
        dispatcher = await application.open_dispatcher(compose=compose, console_out=io.StringIO())
        started = time.perf_counter()
        report = await dispatcher.run_pass(now)
        return time.perf_counter() - started, report
    finally:
        await application.close()


class OfflineSlack:
    """Renders each nudge exactly as the Slack sender does, and sends nothing."""

    platform = "slack"

    async def send(self, nudge: OutboundNudge) -> str | None:
        nudge_message(nudge.replies, kind=nudge.owner.kind)
        return None

    async def find_sent(self, nudge: OutboundNudge) -> str | None:
        return None


class MemoryOutbox(Outbox):
    """The outbox's side of a pass without the database: ``count`` due check-ins, each
    handed to the pass already claimed in batches sized as the real enqueue sizes them
    (the same first batch, then the dispatcher's room), outcomes counted instead of written."""

    def __init__(self, engine: AsyncEngine, *, count: int, tenant: str, due: datetime) -> None:
        super().__init__(engine)
        lease_ends = due + timedelta(minutes=5)
        week = week_key(due, "UTC")
        self._waiting = [
            ClaimedNudge(i, Owner("slack", tenant, user_id(i)), "checkin", due, week, due, 1, lease_ends)
            for i in range(count)
        ]
        self.recorded = 0

    async def enqueue_reminders(self, now: datetime) -> int:
        return 0

    async def enqueue_due(
        self,
        now: datetime,
        *,
        batch: int = FIRST_ENQUEUE_BATCH,
        largest: int = LARGEST_ENQUEUE_BATCH,
        claimant: Claimant | None = None,
        on_batch: Callable[[list[ClaimedNudge]], object] | None = None,
    ) -> int:
        if claimant is None or on_batch is None:
            raise ValueError("a memory outbox only feeds a dispatcher's pass")
        total, size = 0, batch
        while self._waiting:
            taken, self._waiting = self._waiting[:size], self._waiting[size:]
            await asyncio.sleep(0)  # where the real enqueue awaits its statements
            on_batch(taken)
            total += len(taken)
            if not self._waiting or not await claimant.ready():
                break
            size = min(max(claimant.room(), batch), largest)
        return total

    async def claim(
        self, *, now: datetime, limit: int, platforms: Sequence[str], worker: str, lease: timedelta
    ) -> list[ClaimedNudge]:
        return []

    async def record(self, outcomes: Iterable[Outcome], *, worker: str, now: datetime) -> None:
        self.recorded += sum(1 for _ in outcomes)
        await asyncio.sleep(0)


async def memory_pass(settings: Settings, now: datetime, *, count: int, tenant: str) -> float:
    """Seconds for a pass of the production dispatcher and Slack sender over a :class:`MemoryOutbox`."""
    application = await build_app(settings)
    try:
        outbox = application.outbox = MemoryOutbox(application.engine, count=count, tenant=tenant, due=now)
        dispatcher = await application.open_dispatcher(compose=compose, console_out=io.StringIO())
        started = time.perf_counter()
        report = await dispatcher.run_pass(now)
        seconds = time.perf_counter() - started
    finally:
        await application.close()
    if report.sent != count or outbox.recorded != count:
        raise RuntimeError(f"the memory pass sent {report.sent} and recorded {outbox.recorded} of {count}")
    return seconds


async def offline_pass(settings: Settings, now: datetime) -> float:
    """Seconds for the same pass without the network: what the dispatcher adds to the sends."""
    application = await build_app(settings)
    try:
        dispatcher = Dispatcher(
            application.outbox, [OfflineSlack()], compose, config=dispatch_config(application.settings)
        )
        started = time.perf_counter()
        await dispatcher.run_pass(now)
        return time.perf_counter() - started
    finally:
        await application.close()


# -- databases ---------------------------------------------------------------------------------


async def seeded_database(
    directory: Path,
    name: str,
    *,
    plans: int,
    due: int,
    history_weeks: int = 2,
    tenant: str = "T0FAKE",
    at: datetime = DUE,
) -> str:
    """An SQLite file with ``plans`` owners, ``due`` of them due at ``at``.

    The rest fall due a day later. Every owner has ``history_weeks`` of sent check-ins,
    like a bot that has been running for a while.
    """
    url = f"sqlite+aiosqlite:///{directory / name}"
    engine = make_engine(url)
    try:
        await upgrade_database(engine)
        await seed_owners(engine, due, due=at, tenant=tenant, sent_history_weeks=history_weeks)
        if plans > due:
            await seed_owners(
                engine,
                plans - due,
                due=at + timedelta(days=1),
                start=due,
                tenant=tenant,
                sent_history_weeks=history_weeks,
            )
    finally:
        await engine.dispose()
    return url


# -- the measurements ------------------------------------------------------------------------


async def fan_out(url: str, directory: Path, *, nudges: int, concurrency: int, rounds: int) -> dict[str, Any]:
    """Each round: the gather loop, the dispatcher, the pool loop, the dispatcher over a
    memory outbox, the pool loop with slack_sdk formatting its debug messages (what an
    unconfigured process pays), then the offline pass.

    The dispatcher runs between the two baselines so that drift within a round (the
    fake server's memory grows with every message it keeps) falls on both sides.
    """
    gather_s: list[float] = []
    pool_s: list[float] = []
    unconfigured_s: list[float] = []
    dispatcher_s: list[float] = []
    memory_s: list[float] = []
    offline_s: list[float] = []
    reports: list[dict[str, int]] = []
    for round_ in range(rounds):
        database = await seeded_database(
            directory, f"fanout-{round_}.db", plans=nudges, due=nudges, tenant=f"TFANOUT{round_}"
        )
        gather_s.append(await bare_loop(url, count=nudges, concurrency=concurrency, tag=f"bare{round_}"))
        seconds, report = await dispatcher_pass(settings_for(database, url, concurrency), DUE)
        if report.sent != nudges:
            raise RuntimeError(f"the dispatcher sent {report.sent} of {nudges}: {report}")
        dispatcher_s.append(seconds)
        reports.append(asdict(report))
        pool_s.append(
            await bare_loop(url, count=nudges, concurrency=concurrency, tag=f"barepool{round_}", pool=True)
        )
        memory_s.append(
            await memory_pass(
                settings_for(database, url, concurrency), DUE, count=nudges, tenant=f"TMEMORY{round_}"
            )
        )
        with slack_sdk_debug_formatting():
            unconfigured_s.append(
                await bare_loop(
                    url, count=nudges, concurrency=concurrency, tag=f"bareunconfigured{round_}", pool=True
                )
            )
        offline = await seeded_database(
            directory, f"offline-{round_}.db", plans=nudges, due=nudges, tenant=f"TOFFLINE{round_}"
        )
        offline_s.append(await offline_pass(settings_for(offline, url, concurrency), DUE))
    keys = delivered(url)
    dispatched = {k: n for k, n in keys.items() if not k.startswith("bare")}
    if len(dispatched) != 2 * nudges * rounds or set(dispatched.values()) != {1}:
        raise RuntimeError("some nudge was lost or delivered twice")
    rates = [nudges / s for s in dispatcher_s]
    pool_rates = [nudges / s for s in pool_s]
    gather_rates = [nudges / s for s in gather_s]
    ratios = [d / b for d, b in zip(dispatcher_s, pool_s, strict=True)]
    gather_ratios = [d / b for d, b in zip(dispatcher_s, gather_s, strict=True)]
    memory_ratios = [m / b for m, b in zip(memory_s, pool_s, strict=True)]
    return {
        "nudges": nudges,
        "concurrency": concurrency,
        "rounds": rounds,
        "dispatcher_per_s": rates,
        "bare_per_s": pool_rates,
        "gather_per_s": gather_rates,
        "ratio": ratios,
        "gather_ratio": gather_ratios,
        "memory_ratio": memory_ratios,
        "per_nudge_us": {
            "bare_loop": statistics.median(s / nudges * 1e6 for s in pool_s),
            "gather_loop": statistics.median(s / nudges * 1e6 for s in gather_s),
            "bare_loop_formatting_debug": statistics.median(s / nudges * 1e6 for s in unconfigured_s),
            "dispatcher": statistics.median(s / nudges * 1e6 for s in dispatcher_s),
            "dispatcher_over_memory_outbox": statistics.median(s / nudges * 1e6 for s in memory_s),
            "dispatcher_without_network": statistics.median(s / nudges * 1e6 for s in offline_s),
        },
        "median": {
            "dispatcher_per_s": statistics.median(rates),
            "bare_per_s": statistics.median(pool_rates),
            "gather_per_s": statistics.median(gather_rates),
            "ratio": statistics.median(ratios),
            "gather_ratio": statistics.median(gather_ratios),
            "memory_ratio": statistics.median(memory_ratios),
        },
        "reports": reports,
    }


async def coach_composed(url: str, directory: Path, *, nudges: int, concurrency: int) -> dict[str, Any]:
    """A pass in which the coach itself composes each check-in (``CoachService.start_checkin``).

    Every owner gets the worked example's finished conversation and plan (one real
    conversation, copied), so each nudge costs what it costs in production: loading the
    owner's state, plan and history, the engine opening the check-in, saving the turn.
    """
    due = START + timedelta(days=7 - START.weekday(), hours=9 - START.hour)  # the Monday after
    database = await seeded_database(directory, "coach.db", plans=nudges, due=nudges, tenant="TCOACH", at=due)
    application = await build_app(settings_for(database, url, concurrency))
    try:
        template = Owner("console", "bench", "template")
        await application.service.handle(Inbound(owner=template, now=START, command="", timezone_hint="UTC"))
        for turn, line in enumerate(WORKED_EXAMPLE, 1):
            await application.service.handle(
                Inbound(owner=template, now=START + turn * THINK_TIME, text=line)
            )
        snapshot = await application.store.load(template)
        plan = snapshot.plan
        if plan is None or not (snapshot.state and snapshot.state.get("finished")):
            raise RuntimeError("the worked example no longer ends with a finished plan")
        async with application.engine.begin() as connection:
            owners = (
                await connection.execute(
                    select(OwnerRow.id, OwnerRow.subject).where(OwnerRow.tenant == "TCOACH")
                )
            ).all()
            await connection.execute(
                insert(ConversationRow),
                [
                    {"owner_id": i, "state": snapshot.state, "version": 1, "updated_at": START}
                    for i, _ in owners
                ],
            )
            owner_of = {"platform": "slack", "tenant": "TCOACH", "kind": "user"}
            await connection.execute(
                insert(PlanVersionRow),
                [
                    {
                        "owner_id": i,
                        "version": 1,
                        "document": {**plan, "owner": {**owner_of, "subject": subject}},
                        "created_at": START,
                    }
                    for i, subject in owners
                ],
            )
        dispatcher = await application.open_dispatcher(console_out=io.StringIO())
        started = time.perf_counter()
        report = await dispatcher.run_pass(due + timedelta(minutes=1))
        seconds = time.perf_counter() - started
    finally:
        await application.close()
    if report.sent != nudges + 1:  # the template conversation's own check-in goes out too
        raise RuntimeError(f"the coach composed {report.sent} of {nudges + 1} check-ins: {report}")
    return {"nudges": report.sent, "seconds": seconds, "per_s": report.sent / seconds}


async def startup_in_process(settings: Settings, now: datetime) -> float:
    started = time.perf_counter()
    application = await build_app(settings)
    try:
        dispatcher = await application.open_dispatcher(compose=compose, console_out=io.StringIO())
        report = await dispatcher.run_pass(now)
    finally:
        await application.close()
    if report.claimed:
        raise RuntimeError("the start-up pass was meant to find nothing due")
    return time.perf_counter() - started


def startup_process(database_url: str, slack_url: str, now: datetime) -> float:
    """Wall time of a real ``coach dispatch --now`` process, from exec to exit."""
    coach = str(Path(sys.executable).parent / "coach")
    env = {
        **os.environ,
        "COACH_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack_url,
    }
    started = time.perf_counter()
    subprocess.run([coach, "dispatch", "--now", now.isoformat()], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


async def scale(url: str, directory: Path, *, sizes: Sequence[int], due: int, rounds: int) -> dict[str, Any]:
    """Per-nudge cost of passes of ``due`` nudges as the number of stored plans grows.

    Every size gets its database first, seeded once; each pass runs on a fresh copy of
    it, so every pass of a size finds the same ``due`` schedules due among exactly that
    many plans. The passes go round-robin over the sizes, so each size sees the same
    machine weather.
    """
    rows: dict[int, dict[str, Any]] = {}
    for plans in sizes:
        seeded_at = time.perf_counter()
        name = f"scale-{plans}.db"
        database = await seeded_database(directory, name, plans=plans, due=due, tenant=f"TSCALE{plans}")
        settings = settings_for(database, url, 50)
        quiet = DUE - timedelta(hours=1)
        rows[plans] = {
            "seeded": directory / name,
            "seeding_s": time.perf_counter() - seeded_at,
            "database_mb": (directory / name).stat().st_size / 1e6,
            "startup_in_process_s": statistics.median(
                [await startup_in_process(settings, quiet) for _ in range(3)]
            ),
            "startup_process_s": statistics.median([startup_process(database, url, quiet) for _ in range(3)]),
            "per_nudge_ms": [],
        }
    for round_ in range(rounds):
        for plans, row in rows.items():
            copy = directory / f"scale-{plans}-pass.db"
            for leftover in (Path(f"{copy}-wal"), Path(f"{copy}-shm")):  # the last pass's, if any
                leftover.unlink(missing_ok=True)
            shutil.copyfile(row["seeded"], copy)
            settings = settings_for(f"sqlite+aiosqlite:///{copy}", url, 50)
            seconds, report = await dispatcher_pass(settings, DUE + timedelta(minutes=1))
            if report.sent != due:
                raise RuntimeError(f"{plans} plans, round {round_}: sent {report.sent} of {due}")
            row["per_nudge_ms"].append(seconds / due * 1000)
    for row in rows.values():
        del row["seeded"]
        row["per_nudge_ms_median"] = statistics.median(row["per_nudge_ms"])
    costs = [row["per_nudge_ms_median"] for row in rows.values()]
    return {
        "due_per_pass": due,
        "rounds": rounds,
        "by_plans": {str(plans): row for plans, row in rows.items()},
        "spread": max(costs) / min(costs),
    }


# -- report -----------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    f, s = results["fan_out"], results["scale"]
    med = f["median"]
    largest = s["by_plans"][max(s["by_plans"], key=int)]
    largest_plans = max(s["by_plans"], key=int)
    rate, ratio = med["dispatcher_per_s"], med["ratio"]
    in_process, process = largest["startup_in_process_s"], largest["startup_process_s"]
    rows = [
        (
            f"dispatcher, {f['nudges']:,} nudges, concurrency {f['concurrency']}",
            f"{rate:,.0f} /s",
            f"≥ {TARGETS['nudges_per_s']:.0f} /s",
            rate >= TARGETS["nudges_per_s"],
        ),
        (
            f"bare `chat_postMessage` loop, {f['concurrency']} workers",
            f"{med['bare_per_s']:,.0f} /s",
            "",
            None,
        ),
        (
            "time ratio dispatcher / bare loop (workers)",
            f"{ratio:.2f}",
            f"≤ {TARGETS['ratio']}",
            ratio <= TARGETS["ratio"],
        ),
        (
            f"bare loop as a task per call behind a semaphore of {f['concurrency']}",
            f"{med['gather_per_s']:,.0f} /s",
            "",
            None,
        ),
        (
            "time ratio dispatcher / that loop",
            f"{med['gather_ratio']:.2f}",
            f"≤ {TARGETS['ratio']}",
            med["gather_ratio"] <= TARGETS["ratio"],
        ),
        (
            "time ratio dispatcher over a memory outbox (no database) / bare loop (workers)",
            f"{med['memory_ratio']:.2f}",
            "",
            None,
        ),
        (
            f"first pass ready, {int(largest_plans):,} plans, in process",
            f"{in_process:.2f} s",
            f"< {TARGETS['startup_s']:.0f} s",
            in_process < TARGETS["startup_s"],
        ),
        (
            "same, as a `coach dispatch` process",
            f"{process:.2f} s",
            f"< {TARGETS['startup_s']:.0f} s",
            process < TARGETS["startup_s"],
        ),
        (
            "cost per nudge, largest / smallest plan count",
            f"{s['spread']:.2f}",
            f"≤ {TARGETS['flatness']}",
            s["spread"] <= TARGETS["flatness"],
        ),
    ]
    lines = [
        f"Commit `{results['commit']}`, {results['date']}, {results['machine']['nproc']} CPUs, "
        f"Python {results['machine']['python']}, SQLite {results['machine']['sqlite']}.",
        "",
        "| measurement | result | target | met |",
        "|---|---:|---:|:---:|",
        *(
            f"| {what} | {result} | {target} | {'' if met is None else 'yes' if met else '**no**'} |"
            for what, result, target, met in rows
        ),
        "",
        "Wall time per nudge (median round): "
        + ", ".join(f"{name.replace('_', ' ')} {us:,.0f} µs" for name, us in f["per_nudge_us"].items())
        + ".",
        "",
        f"With the coach composing each check-in (`start_checkin`, the production composer), "
        f"{results['coach']['nudges']:,} nudges: {results['coach']['per_s']:,.0f} /s.",
        "",
        "| round | dispatcher /s | bare loop (workers) /s | ratio | bare loop (semaphore) /s | ratio "
        "| no database: ratio to the workers loop |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    per_round = zip(
        f["dispatcher_per_s"],
        f["bare_per_s"],
        f["ratio"],
        f["gather_per_s"],
        f["gather_ratio"],
        f["memory_ratio"],
        strict=True,
    )
    for i, (d, b, r, g, gr, mr) in enumerate(per_round, 1):
        lines.append(f"| {i} | {d:,.0f} | {b:,.0f} | {r:.2f} | {g:,.0f} | {gr:.2f} | {mr:.2f} |")
    lines += [
        "",
        f"| plans stored | database MB | first pass in process s | `coach dispatch` s | ms per nudge "
        f"({s['due_per_pass']:,} due, median of {s['rounds']}) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for plans, row in s["by_plans"].items():
        lines.append(
            f"| {int(plans):,} | {row['database_mb']:.0f} | {row['startup_in_process_s']:.2f} "
            f"| {row['startup_process_s']:.2f} | {row['per_nudge_ms_median']:.3f} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--nudges", type=int, default=10_000, help="due nudges per fan-out round")
    parser.add_argument("--concurrency", type=int, default=50, help="sends in flight, both paths")
    parser.add_argument("--rounds", type=int, default=5, help="fan-out rounds (baselines around dispatcher)")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="plan counts for flatness"
    )
    parser.add_argument("--due", type=int, default=1_000, help="nudges per pass in the flatness runs")
    parser.add_argument("--scale-rounds", type=int, default=9, help="passes per plan count")
    parser.add_argument("--coach-nudges", type=int, default=1_000, help="check-ins composed by the coach")
    parser.add_argument("--json", type=Path, help="also write everything to this JSON file")
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace, url: str, directory: Path) -> dict[str, Any]:
    return {
        "commit": source_version(),
        "date": datetime.now(UTC).date().isoformat(),
        "machine": machine(),
        "fan_out": await fan_out(
            url, directory, nudges=args.nudges, concurrency=args.concurrency, rounds=args.rounds
        ),
        "scale": await scale(url, directory, sizes=args.sizes, due=args.due, rounds=args.scale_rounds),
        "coach": await coach_composed(url, directory, nudges=args.coach_nudges, concurrency=args.concurrency),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # As ``coach serve`` configures its logging, for the dispatcher and the baselines alike.
    skip_unlogged_debug_messages(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="bench-nudges-") as tmp, fake_slack() as url:
        results = asyncio.run(measure(args, url, Path(tmp)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
