"""Nudge fan-out on PostgreSQL with two replicas, next to a bare client loop of the same total concurrency.

One run (``uv run --locked python -m bench.replicas --help``), alternating round by
round so every path sees the same machine weather:

* **bare loop**: ``AsyncWebClient.chat_postMessage`` for N messages through one
  semaphore of twice the per-replica concurrency (:func:`bench.nudges.bare_loop`: the
  Slack sender's client set-up and message), in this process;
* **two replicas, fixed reply**: two processes running what ``coach serve`` runs (the
  production wiring: ``build_app``, ``open_dispatcher``, the APScheduler-driven
  ``DispatchRunner``, the HTTP server and the Slack app) on one PostgreSQL database,
  composing the fixed check-in of ``bench/nudges.py``'s fan-out, so the figure is the
  scheduler's and comparable with the single-process one there;
* **two ``coach serve``, coach composing**: the installed ``coach serve`` command
  twice, owners with a finished plan, each check-in composed by the coach
  (``CoachService.start_checkin``: a full turn per nudge), as in production.

For the replicas, the owners are written while the processes start (falling due a week
later), and once both answer ``/healthz`` their check-ins are moved to the current slot
in one statement; the clock runs from that commit until the outbox shows every nudge
sent. The fake Slack Web API (``tests/fakes/slack_api.py``) runs in a process of its
own on loopback; the run fails if any nudge is lost or arrives twice. PostgreSQL is a
private throwaway server started like the test suite's (``tests/conftest.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.nudges import TOKEN, bare_loop, delivered, fake_slack
from bench.turns import machine, source_version
from bot.app import build_app
from bot.observability.logging import skip_unlogged_debug_messages
from bot.storage import make_engine, upgrade_database
from bot.storage.models import NudgeRow
from tests.bot.scheduling.dispatch_worker import compose
from tests.bot.scheduling.seed import seed_owners
from tests.conftest import PostgresServer, _find_pg_bin, _start_server, _stop_server
from tests.production.conftest import (
    SERVE,
    Replica,
    Replicas,
    current_slot,
    make_due,
    seed_planned_owners,
)

#: ``coach serve`` with the fan-out's fixed reply as composer (see :func:`serve_fixed_reply`).
SERVE_FIXED_REPLY = (sys.executable, "-m", "bench.replicas", "--serve-fixed-reply")
#: Seconds between dispatch passes: a replica notices due nudges within this much.
INTERVAL = 0.1
NAMES = ("replica-a", "replica-b")


# -- a replica with the fixed reply --------------------------------------------------------------


async def serve_fixed_reply() -> None:
    """What ``coach serve`` (bot/cli.py) runs, with :func:`compose` instead of the coach.

    The fixed reply keeps the measurement on the scheduler (claims, sends, outcomes on
    PostgreSQL), as ``bench/nudges.py``'s fan-out does on SQLite.
    """
    from bot.http.serving import start_web
    from bot.scheduling.runner import DispatchRunner

    application = await build_app()
    try:
        runner = DispatchRunner(
            await application.open_dispatcher(compose=compose),
            clock=application.clock,
            interval=application.settings.coach_dispatch_interval,
        )
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        web = await start_web(application)
        runner.start()
        await stopping.wait()
        await web.stop()
        await runner.stop()
    finally:
        await application.close()


# -- PostgreSQL ----------------------------------------------------------------------------------


@contextmanager
def postgres() -> Iterator[PostgresServer]:
    """A private PostgreSQL server on loopback, as the tests start one; stopped at the end."""
    bin_dir = _find_pg_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    server = _start_server(bin_dir)
    try:
        yield server
    finally:
        _stop_server(server)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux ``/proc``; NaN elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return math.nan
    fields = stat.read_text().rsplit(")", 1)[1].split()  # the name may hold spaces; it ends at ")"
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sent_so_far(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(NudgeRow).where(NudgeRow.status == "sent")
        )
        return int(count or 0)


async def sent_by(engine: AsyncEngine, replicas: Sequence[Replica]) -> dict[str, int]:
    """Nudges each replica sent, by the worker name (host:pid:tag) left in ``claimed_by``."""
    async with engine.connect() as connection:
        workers = (
            await connection.execute(
                select(NudgeRow.claimed_by, func.count())
                .where(NudgeRow.status == "sent")
                .group_by(NudgeRow.claimed_by)
            )
        ).all()
    shares: Counter[str] = Counter()
    for worker, count in workers:
        for replica in replicas:
            if replica.owns(worker):
                shares[replica.name] += int(count)
    return dict(shares)


# -- one replicated fan-out -----------------------------------------------------------------------


async def replicated(
    server: PostgresServer,
    slack_url: str,
    directory: Path,
    *,
    nudges: int,
    concurrency: int,
    tenant: str,
    coach: bool,
) -> dict[str, Any]:
    """Seconds from "due" to "all sent" for two replicas on a fresh database, and who sent what.

    ``coach``: the installed ``coach serve`` and owners with a finished plan; otherwise
    :func:`serve_fixed_reply` and bare owners.
    """
    database_url = server.create_database()
    engine = make_engine(database_url)
    fleet = Replicas(directory, database_url, slack_url, token=TOKEN)
    try:
        replicas = fleet.start_all(
            *NAMES,
            command=SERVE if coach else SERVE_FIXED_REPLY,
            dispatch_concurrency=concurrency,
            dispatch_interval=INTERVAL,
        )
        if coach:
            slot = await seed_planned_owners(engine, nudges, tenant=tenant)
        else:
            await upgrade_database(engine)
            slot = current_slot()
            await seed_owners(engine, nudges, due=slot + timedelta(weeks=1), tenant=tenant)
        await fleet.ready(*replicas)
        cpu_before = sum(cpu_seconds(replica.pid) for replica in replicas)
        await make_due(engine, slot)
        started = time.perf_counter()
        deadline = started + max(120.0, nudges / 20)
        while (done := await sent_so_far(engine)) < nudges:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"only {done} of {nudges} nudges sent; logs in {directory}")
            await asyncio.sleep(0.02)
        seconds = time.perf_counter() - started
        cpu = sum(cpu_seconds(replica.pid) for replica in replicas) - cpu_before
        shares = await sent_by(engine, replicas)
        for replica in replicas:
            replica.process.send_signal(signal.SIGTERM)
        codes = [await asyncio.to_thread(replica.process.wait, 30) for replica in replicas]
        if codes != [0, 0]:
            raise RuntimeError(f"replicas exited with {codes}; logs in {directory}")
        return {
            "seconds": seconds,
            "per_s": nudges / seconds,
            "cpu_us_per_nudge": cpu / nudges * 1e6,
            "sent_by": shares,
        }
    finally:
        fleet.close(show_output=False)
        await engine.dispose()


async def measure(
    args: argparse.Namespace, server: PostgresServer, url: str, directory: Path
) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        cpu = time.process_time()
        row: dict[str, Any] = {
            "bare_s": await bare_loop(
                url, count=args.nudges, concurrency=2 * args.concurrency, tag=f"bare{round_}"
            )
        }
        row["bare_cpu_us_per_nudge"] = (time.process_time() - cpu) / args.nudges * 1e6
        row["fixed"] = await replicated(
            server,
            url,
            directory,
            nudges=args.nudges,
            concurrency=args.concurrency,
            tenant=f"TFIXED{round_}",
            coach=False,
        )
        if args.coach_nudges:
            row["coach"] = await replicated(
                server,
                url,
                directory,
                nudges=args.coach_nudges,
                concurrency=args.concurrency,
                tenant=f"TCOACH{round_}",
                coach=True,
            )
        rounds.append(row)
    keys = delivered(url)
    replicated_keys = {k: n for k, n in keys.items() if not k.startswith("bare")}
    expected = args.rounds * (args.nudges + args.coach_nudges)
    if len(replicated_keys) != expected or set(replicated_keys.values()) != {1}:
        twice = sum(1 for n in replicated_keys.values() if n > 1)
        raise RuntimeError(f"{len(replicated_keys)} of {expected} nudges arrived, {twice} more than once")
    bare_rates = [args.nudges / r["bare_s"] for r in rounds]
    summary: dict[str, Any] = {
        "bare_per_s": statistics.median(bare_rates),
        "fixed_per_s": statistics.median(r["fixed"]["per_s"] for r in rounds),
        # The time ratio at equal counts: bare loop rate over the replicas' rate.
        "fixed_ratio": statistics.median(
            b / r["fixed"]["per_s"] for b, r in zip(bare_rates, rounds, strict=True)
        ),
    }
    summary["bare_cpu_us_per_nudge"] = statistics.median(r["bare_cpu_us_per_nudge"] for r in rounds)
    summary["fixed_cpu_us_per_nudge"] = statistics.median(r["fixed"]["cpu_us_per_nudge"] for r in rounds)
    if args.coach_nudges:
        summary["coach_cpu_us_per_nudge"] = statistics.median(r["coach"]["cpu_us_per_nudge"] for r in rounds)
        summary["coach_per_s"] = statistics.median(r["coach"]["per_s"] for r in rounds)
        summary["coach_ratio"] = statistics.median(
            b / r["coach"]["per_s"] for b, r in zip(bare_rates, rounds, strict=True)
        )
    return {
        "commit": source_version(),
        "date": datetime.now(UTC).date().isoformat(),
        "machine": machine(),
        "nudges": args.nudges,
        "coach_nudges": args.coach_nudges,
        "concurrency_per_replica": args.concurrency,
        "rounds": rounds,
        "median": summary,
    }


# -- report ---------------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    med, n, c = results["median"], results["nudges"], results["concurrency_per_replica"]
    lines = [
        f"Commit `{results['commit']}`, {results['date']}, {results['machine']['nproc']} CPUs, "
        f"Python {results['machine']['python']}; median of {len(results['rounds'])} rounds.",
        "",
        "| path | nudges | nudges/s | time ratio to the bare loop | CPU µs per nudge |",
        "|---|---:|---:|---:|---:|",
        f"| bare `chat_postMessage` loop, concurrency {2 * c} | {n:,} | {med['bare_per_s']:,.0f} | 1.00 "
        f"| {med['bare_cpu_us_per_nudge']:,.0f} |",
        f"| two replicas (serve wiring, fixed reply), concurrency {c} each | {n:,} "
        f"| {med['fixed_per_s']:,.0f} | {med['fixed_ratio']:.2f} | {med['fixed_cpu_us_per_nudge']:,.0f} |",
    ]
    if "coach_per_s" in med:
        lines.append(
            f"| two `coach serve`, check-ins composed by the coach, concurrency {c} each "
            f"| {results['coach_nudges']:,} | {med['coach_per_s']:,.0f} | {med['coach_ratio']:.2f} "
            f"| {med['coach_cpu_us_per_nudge']:,.0f} |"
        )
    lines += [
        "",
        "CPU per nudge: the bare loop's process, or both replica processes together "
        "(PostgreSQL and the fake Slack server not counted).",
    ]
    lines += ["", "| round | bare /s | fixed reply /s | sent by A / B | coach /s | sent by A / B |"]
    lines.append("|---:|---:|---:|---:|---:|---:|")
    for i, row in enumerate(results["rounds"], 1):
        fixed, coach = row["fixed"], row.get("coach")

        def split(part: dict[str, Any]) -> str:
            return " / ".join(f"{part['sent_by'].get(name, 0):,}" for name in NAMES)

        coach_rate = f"{coach['per_s']:,.0f}" if coach else ""
        lines.append(
            f"| {i} | {n / row['bare_s']:,.0f} | {fixed['per_s']:,.0f} | {split(fixed)} "
            f"| {coach_rate} | {split(coach) if coach else ''} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--nudges", type=int, default=10_000, help="due nudges per fan-out round")
    parser.add_argument("--concurrency", type=int, default=25, help="sends in flight per replica")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bare loop, then replicas")
    parser.add_argument(
        "--coach-nudges", type=int, default=2_000, help="check-ins composed by the coach per round (0: skip)"
    )
    parser.add_argument("--json", type=Path, help="also write everything to this JSON file")
    parser.add_argument("--serve-fixed-reply", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_fixed_reply:
        asyncio.run(serve_fixed_reply())
        return 0
    skip_unlogged_debug_messages(logging.INFO)  # the bare loop's client, as in ``coach serve``
    with (
        tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp,
        postgres() as server,
        fake_slack() as url,
    ):
        results = asyncio.run(measure(args, server, url, Path(tmp)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
