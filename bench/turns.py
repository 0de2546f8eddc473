"""Turn latency of the coach over full scripted conversations, in-process and through SQLite.

Two paths, each next to a baseline taken in the same run (these machines are noisy,
so a ratio to a same-run baseline says more than milliseconds alone):

* ``engine``: ``Coach().handle`` plus the JSON round trip of state and plan that
  storage would do (exactly as ``tests/coaching/harness.py`` does it). Baseline: the
  bare ``json.loads(json.dumps(...))`` of the very state and plan documents that turn
  produced, i.e. the per-turn cost no design that keeps state as JSON can avoid.
* ``sqlite``: ``await app.service.handle(inbound)`` of an app built by
  ``bot.app.build_app`` on an SQLite file (load, engine, save in one transaction).
  Baseline: ``SELECT 1`` plus a one-row ``UPDATE`` in one transaction, through the same
  SQLAlchemy async engine on the same file.

Baseline turns are interleaved with measured ones, conversation by conversation, so
both see the same machine weather. Run ``uv run python -m bench.turns --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import profiling
from bench.drive import (
    EngineConversation,
    Samples,
    check_end,
    open_app,
    owner_for,
    percentile,
    service_conversation,
    summary,
)
from bench.scripts import SCRIPTS, Script
from bot.app import App
from coaching.conversation.engine import Coach
from coaching.model import Owner

#: p99 targets from the issue, in milliseconds, for this 2-core machine.
TARGETS_MS = {"engine": 2.0, "sqlite": 10.0}


def json_baseline(state_document: dict[str, Any], plan_document: dict[str, Any]) -> int:
    """The irreducible part of a turn: storing and reading back the same two JSON documents."""
    start = time.perf_counter_ns()
    json.loads(json.dumps(state_document))
    json.loads(json.dumps(plan_document))
    return time.perf_counter_ns() - start


# -- results -----------------------------------------------------------------------


def per_script(samples: Samples) -> dict[str, dict[str, float]]:
    by_script: dict[str, list[int]] = defaultdict(list)
    for ns, (name, _) in zip(samples.ns, samples.keys, strict=True):
        by_script[name].append(ns)
    return {name: summary(by_script[name]) for name in (s.name for s in SCRIPTS) if name in by_script}


def slowest_turns(samples: Samples, limit: int) -> list[dict[str, Any]]:
    """Turn positions of the scripts ranked by their median latency across conversations."""
    by_key: dict[tuple[str, int], list[int]] = defaultdict(list)
    for ns, key in zip(samples.ns, samples.keys, strict=True):
        by_key[key].append(ns)
    steps = {s.name: s.steps for s in SCRIPTS}
    ranked = sorted(by_key.items(), key=lambda item: statistics.median(item[1]), reverse=True)
    return [
        {
            "script": name,
            "turn": index,
            "input": steps[name][index].describe(),
            "median_ms": statistics.median(values) / 1e6,
            "max_ms": max(values) / 1e6,
            "count": len(values),
        }
        for (name, index), values in ranked[:limit]
    ]


# -- the two paths -----------------------------------------------------------------


def settle(freeze: bool) -> None:
    """Start measuring from a collected heap; with ``freeze``, as a server calling gc.freeze() would."""
    gc.collect()
    if freeze:
        gc.freeze()


def run_engine(conversations: int, warmup: int, run: str, freeze: bool) -> tuple[Samples, Samples]:
    coach = Coach()
    for round_ in range(warmup):
        for script in SCRIPTS:
            engine_conversation(coach, script, owner_for(script, round_, f"{run}-warm"), None, None)
    measured, baseline = Samples(), Samples()
    settle(freeze)
    for number in range(conversations):
        script = SCRIPTS[number % len(SCRIPTS)]
        engine_conversation(coach, script, owner_for(script, number, run), measured, baseline)
    return measured, baseline


def engine_conversation(
    coach: Coach, script: Script, owner: Owner, measured: Samples | None, baseline: Samples | None
) -> None:
    convo = EngineConversation(coach=coach, owner=owner)
    documents: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for index, step in enumerate(script.steps):
        ns, state_document, plan_document, _ = convo.turn(step)
        documents.append((state_document, plan_document))
        if measured is not None:
            measured.add(ns, (script.name, index))
            measured.state_bytes.append(len(json.dumps(state_document)))
    check_end(script, convo.state.step if convo.state else None)
    if baseline is not None:
        for index, (state_document, plan_document) in enumerate(documents):
            baseline.add(json_baseline(state_document, plan_document), (script.name, index))


SELECT_ONE = text("SELECT 1")
CREATE_BASELINE = text(
    "CREATE TABLE IF NOT EXISTS bench_baseline (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"
)
INSERT_BASELINE = text("INSERT OR IGNORE INTO bench_baseline (id, n) VALUES (:id, 0)")
UPDATE_BASELINE = text("UPDATE bench_baseline SET n = n + 1 WHERE id = :id")


async def sqlite_baseline_turn(app: App, row: int) -> int:
    start = time.perf_counter_ns()
    async with app.engine.begin() as connection:
        await connection.execute(SELECT_ONE)
        await connection.execute(UPDATE_BASELINE, {"id": row})
    return time.perf_counter_ns() - start


async def sqlite_conversation(
    app: App, script: Script, owner: Owner, row: int, measured: Samples | None, baseline: Samples | None
) -> None:
    turns: list[int] = []
    await service_conversation(app, script, owner, turns.append)
    if measured is not None:
        for index, ns in enumerate(turns):
            measured.add(ns, (script.name, index))
    if baseline is not None:
        for index in range(len(turns)):
            baseline.add(await sqlite_baseline_turn(app, row), (script.name, index))


async def run_sqlite(
    conversations: int, warmup: int, run: str, directory: Path, freeze: bool
) -> tuple[Samples, Samples]:
    app = await open_app(directory / "bench.db")
    try:
        async with app.engine.begin() as connection:
            await connection.execute(CREATE_BASELINE)
            for row in range(conversations + warmup * len(SCRIPTS)):
                await connection.execute(INSERT_BASELINE, {"id": row})
        row = conversations
        for round_ in range(warmup):
            for script in SCRIPTS:
                await sqlite_conversation(
                    app, script, owner_for(script, round_, f"{run}-warm"), row, None, None
                )
                await sqlite_baseline_turn(app, row)
                row += 1
        measured, baseline = Samples(), Samples()
        settle(freeze)
        for number in range(conversations):
            script = SCRIPTS[number % len(SCRIPTS)]
            await sqlite_conversation(app, script, owner_for(script, number, run), number, measured, baseline)
        return measured, baseline
    finally:
        await app.close()


def profile_report(
    positions: Sequence[tuple[str, int]], conversations: int, lines: int, directory: Path
) -> str:
    """Run after the measurement: phase breakdowns of both paths, then cProfile listings."""
    parts = [
        f"## Where the time goes\n\n### Engine turn by phase ({conversations} conversations)\n",
        profiling.engine_phases(conversations),
        f"\n### SQLite turn by phase ({conversations} conversations)\n",
        asyncio.run(profiling.sqlite_phases(conversations, directory)),
    ]
    if positions:
        parts += [
            f"\n### cProfile: the {len(positions)} slowest engine turn positions, 50 replays each\n",
            profiling.profile_turn_positions(positions, 50, lines),
        ]
    parts += [
        "\n### cProfile: engine turns of 40 conversations, inputs over the length limit left out\n",
        profiling.profile_ordinary_turns(40, lines),
        "\n### cProfile: service.handle with SQLite, 20 conversations (main thread only)\n",
        asyncio.run(profiling.profile_service(20, lines, directory)),
    ]
    return "\n".join(parts)


# -- tracing a script --------------------------------------------------------------


def trace(name: str) -> None:
    script = next((s for s in SCRIPTS if s.name == name), None)
    if script is None:
        raise SystemExit(f"no script {name!r}; scripts: {', '.join(s.name for s in SCRIPTS)}")
    convo = EngineConversation(coach=Coach(), owner=owner_for(script, 0, "trace"))
    for index, step in enumerate(script.steps):
        ns, _, _, replies = convo.turn(step)
        said = " / ".join(r.text.replace("\n", " ")[:70] for r in replies)
        buttons = [c.label for c in convo.choices]
        at = convo.state.step if convo.state else None
        print(f"{index:3} {ns / 1e6:7.3f} ms  {step.describe():55} -> {at}  {buttons}\n      {said}")


# -- report ------------------------------------------------------------------------


def source_version() -> str:
    """The commit measured, with "+dirty" when the work tree had changes (others' or ours)."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": version("sqlalchemy"),
        "aiosqlite": version("aiosqlite"),
    }


def result_row(measured: Samples, baseline: Samples, target_ms: float) -> dict[str, Any]:
    m, b = summary(measured.ns), summary(baseline.ns)
    row: dict[str, Any] = {
        "measured": m,
        "baseline": b,
        "ratio_p50": m["p50_ms"] / b["p50_ms"],
        "ratio_p99": m["p99_ms"] / b["p99_ms"],
        "target_p99_ms": target_ms,
        "target_met": m["p99_ms"] < target_ms,
        "per_script": per_script(measured),
    }
    if measured.state_bytes:
        ordered = sorted(measured.state_bytes)
        row["state_json_bytes"] = {"p50": percentile(ordered, 50), "max": ordered[-1]}
    return row


LABELS = {
    "engine": ("engine in-process (+ JSON round trip)", "baseline: JSON round trip of the same documents"),
    "sqlite": ("service.handle, SQLite file", "baseline: SELECT 1 + one-row UPDATE, one transaction"),
}


def markdown(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| path | turns | p50 ms | p90 ms | p99 ms | max ms | turns/s | ×baseline p50 | ×baseline p99 "
        "| p99 target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for path, row in results.items():
        label, base_label = LABELS[path]
        m, b = row["measured"], row["baseline"]
        lines.append(
            f"| {label} | {m['turns']} | {m['p50_ms']:.3f} | {m['p90_ms']:.3f} | {m['p99_ms']:.3f} "
            f"| {m['max_ms']:.3f} | {m['turns_per_s']:,.0f} "
            f"| {row['ratio_p50']:.1f} | {row['ratio_p99']:.1f} "
            f"| < {row['target_p99_ms']:g} ms | {'yes' if row['target_met'] else '**no**'} |"
        )
        lines.append(
            f"| {base_label} | {b['turns']} | {b['p50_ms']:.3f} | {b['p90_ms']:.3f} | {b['p99_ms']:.3f} "
            f"| {b['max_ms']:.3f} | {b['turns_per_s']:,.0f} | 1.0 | 1.0 | | |"
        )
    return "\n".join(lines)


def per_script_markdown(results: dict[str, dict[str, Any]]) -> str:
    paths = list(results)
    head = "| script | " + " | ".join(f"{p} p50 ms | {p} p99 ms | {p} max ms" for p in paths) + " |"
    lines = [head, "|---|" + "---:|" * (3 * len(paths))]
    for script in SCRIPTS:
        cells = []
        for path in paths:
            m = results[path]["per_script"].get(script.name)
            cells.append(" | ".join(f"{m[k]:.3f}" for k in ("p50_ms", "p99_ms", "max_ms")) if m else " | | ")
        lines.append(f"| {script.name} ({len(script.steps)} turns) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def slowest_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| script | turn | input | median ms | max ms |", "|---|---:|---|---:|---:|"]
    for r in rows:
        shown = r["input"].replace("|", "\\|")
        lines.append(
            f"| {r['script']} | {r['turn']} | `{shown}` | {r['median_ms']:.3f} | {r['max_ms']:.3f} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--conversations", type=int, default=200, help="measured conversations per path")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds of every script first")
    parser.add_argument("--paths", nargs="+", choices=sorted(TARGETS_MS), default=["engine", "sqlite"])
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after the warm-up (what-if: long-lived objects never rescanned)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a p99 target is missed")
    parser.add_argument("--slowest", type=int, default=8, help="slowest turn positions to list")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards: phase breakdowns of both paths and cProfile listings",
    )
    parser.add_argument("--profile-lines", type=int, default=25, help="functions per profile listing")
    parser.add_argument("--trace", metavar="SCRIPT", help="replay one script turn by turn and stop")
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.warmup < 0:
        parser.error("--conversations must be at least 1 and --warmup at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.trace:
        trace(args.trace)
        return 0
    run = datetime.now().strftime("%Y%m%dT%H%M%S")
    results: dict[str, dict[str, Any]] = {}
    slowest: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        if "engine" in args.paths:
            measured, baseline = run_engine(args.conversations, args.warmup, run, args.gc_freeze)
            results["engine"] = result_row(measured, baseline, TARGETS_MS["engine"])
            slowest["engine"] = slowest_turns(measured, args.slowest)
        if "sqlite" in args.paths:
            measured, baseline = asyncio.run(
                run_sqlite(args.conversations, args.warmup, run, Path(tmp), args.gc_freeze)
            )
            results["sqlite"] = result_row(measured, baseline, TARGETS_MS["sqlite"])
            slowest["sqlite"] = slowest_turns(measured, args.slowest)
        info = machine()
        print(
            f"{args.conversations} conversations per path ({len(SCRIPTS)} scripts in turn: "
            f"{', '.join(s.name for s in SCRIPTS)}), warm-up {args.warmup} round(s)"
            f"{', then gc.freeze()' if args.gc_freeze else ''}; "
            f"nproc {info['nproc']}, Python {info['python']}, SQLite {info['sqlite']}\n"
        )
        print(markdown(results))
        print("\nBy script:\n")
        print(per_script_markdown(results))
        if "engine" in results:
            size = results["engine"]["state_json_bytes"]
            print(f"\nStored state JSON per turn: p50 {size['p50']:,} bytes, max {size['max']:,} bytes.")
        for path, rows in slowest.items():
            print(f"\nSlowest turn positions, {path} (median over conversations):\n")
            print(slowest_markdown(rows))
        if args.profile:
            positions = [(r["script"], r["turn"]) for r in slowest.get("engine", [])]
            print("\n" + profile_report(positions, args.conversations, args.profile_lines, Path(tmp)))
    if args.json:
        document = {
            "benchmark": "turns",
            "when": datetime.now().astimezone().isoformat(timespec="seconds"),
            "conversations": args.conversations,
            "warmup_rounds": args.warmup,
            "gc_freeze": args.gc_freeze,
            "scripts": {s.name: len(s.steps) for s in SCRIPTS},
            "source": source_version(),
            "machine": info,
            "results": results,
            "slowest": slowest,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    missed = [path for path, row in results.items() if not row["target_met"]]
    if missed:
        print(f"\np99 target missed: {', '.join(missed)}", file=sys.stderr)
        if args.check:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
