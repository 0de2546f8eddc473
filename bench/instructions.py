"""Nudge fan-out in instructions: what a nudge costs with the machine's noise taken out.

Wall-clock ratios on these shared machines move by a tenth from one round to the next
(``bench.nudges`` reports them per round). Instructions executed do not: the same work
counts the same within a fraction of a percent. This runs each path of ``bench.nudges``
under callgrind (valgrind), for two numbers of nudges, and reports the difference per
nudge, so start-up and warm-up cancel out:

* **bare loop**: ``chat_postMessage`` from 50 workers (``bench.nudges.bare_loop``);
* **dispatcher**: one ``Dispatcher.run_pass`` of the production wiring, enqueue to
  marking sent, against the same fake Slack server;
* **dispatcher, outbox in memory**: the same pass with no database
  (``bench.nudges.memory_pass``), which splits the dispatcher's count between its own
  code and storage;
* **dispatcher, no network**: the same pass with a sender that renders the Block Kit
  and sends nothing (``bench.nudges.offline_pass``).

Counts are split by thread: the event loop's thread, and the database driver's
(aiosqlite runs SQLite in a thread of its own; SQLite lets go of the interpreter lock
while it works, so that thread's count can run on another core). The fake server runs
natively in its own process and is not counted. Instructions are not time (cache
misses, the lock and the other core are not in them): they say where the work is, and
``bench.nudges`` says what it comes to.

Needs ``valgrind`` (``apt-get install valgrind``); takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MODES = {
    "bare": "bare loop",
    "dispatcher": "dispatcher",
    "memory": "dispatcher, outbox in memory",
    "offline": "dispatcher, no network",
}
ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 200


# -- the measured process (under valgrind) ---------------------------------------------------


def _appears(path: Path) -> None:
    """Wait for the driver's signal: a file, since it is another process."""
    while not path.exists():
        time.sleep(0.1)


async def child(mode: str, nudges: int, control: Path) -> None:
    """Warm up, say ``ready``, wait for ``go`` (instrumentation is on from then), run, say
    ``done``, wait for ``end``."""
    from bench.nudges import (
        DUE,
        bare_loop,
        dispatcher_pass,
        fake_slack,
        memory_pass,
        offline_pass,
        seeded_database,
    )
    from bench.nudges import settings_for as settings
    from bot.observability.logging import skip_unlogged_debug_messages

    skip_unlogged_debug_messages(logging.INFO)  # as bench.nudges does, for every path
    with fake_slack() as url, tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        directory = Path(tmp)
        warm = await seeded_database(directory, "warm.db", plans=WARM_UP, due=WARM_UP, tenant="TWARM")
        await dispatcher_pass(settings(warm, url, 50), DUE)
        await bare_loop(url, count=WARM_UP, concurrency=50, tag="warm", pool=True)
        database = await seeded_database(directory, "due.db", plans=nudges, due=nudges, tenant="TDUE")
        (control / "ready").touch()
        await asyncio.to_thread(_appears, control / "go")
        if mode == "bare":
            await bare_loop(url, count=nudges, concurrency=50, tag="measured", pool=True)
        elif mode == "dispatcher":
            _, report = await dispatcher_pass(settings(database, url, 50), DUE)
            if report.sent != nudges:
                raise RuntimeError(f"sent {report.sent} of {nudges}: {report}")
        elif mode == "memory":
            await memory_pass(settings(database, url, 50), DUE, count=nudges, tenant="TMEMORY")
        else:
            await offline_pass(settings(database, url, 50), DUE)
        (control / "done").touch()
        await asyncio.to_thread(_appears, control / "end")


# -- the driver ------------------------------------------------------------------------------


def _wait(path: Path, process: subprocess.Popen[bytes], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise RuntimeError(f"the measured process ended early ({process.returncode})")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {path.name} after {timeout:.0f} s")
        time.sleep(0.2)


def instructions(mode: str, nudges: int) -> dict[str, int]:
    """Instructions of one run's measured part: the event loop's thread and all others."""
    with tempfile.TemporaryDirectory(prefix="callgrind-") as tmp:
        control = Path(tmp)
        out = control / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--separate-threads=yes",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            mode,
            str(nudges),
            str(control),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        instrument = ["callgrind_control", "-i"]
        try:
            _wait(control / "ready", process)
            subprocess.run([*instrument, "on", str(process.pid)], check=True, capture_output=True)
            (control / "go").touch()
            _wait(control / "done", process)
            subprocess.run([*instrument, "off", str(process.pid)], check=True, capture_output=True)
            (control / "end").touch()
            _, errors = process.communicate(timeout=300)
        finally:
            if process.poll() is None:
                process.kill()
        if process.returncode != 0:
            raise RuntimeError(errors.decode(errors="replace")[-2000:])
        counts = {
            path.name.rsplit("-", 1)[1]: _total(path) for path in sorted(control.glob("callgrind.out-*"))
        }
    main = counts.pop("01", 0)
    return {"event_loop_thread": main, "other_threads": sum(counts.values())}


def _total(path: Path) -> int:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    return 0


def measure(small: int, large: int, jobs: int) -> dict[str, Any]:
    """Per nudge: (count at ``large`` - count at ``small``) / (``large`` - ``small``)."""
    runs = [(mode, n) for mode in MODES for n in (small, large)]
    with ThreadPoolExecutor(jobs) as pool:
        counted = dict(zip(runs, pool.map(lambda run: instructions(*run), runs), strict=True))
    per_nudge = {
        mode: {
            thread: (counted[mode, large][thread] - counted[mode, small][thread]) / (large - small)
            for thread in ("event_loop_thread", "other_threads")
        }
        for mode in MODES
    }
    return {"small": small, "large": large, "per_nudge": per_nudge}


def markdown(results: dict[str, Any], commit: str) -> str:
    per = results["per_nudge"]
    bare = per["bare"]["event_loop_thread"] + per["bare"]["other_threads"]
    lines = [
        f"Commit `{commit}`, {datetime.now(UTC).date().isoformat()}; per nudge, from runs of "
        f"{results['small']:,} and {results['large']:,} nudges.",
        "",
        "| path | event loop thread | database thread | over the bare loop, event loop thread "
        "| all threads / bare loop |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, label in MODES.items():
        loop, other = per[mode]["event_loop_thread"], per[mode]["other_threads"]
        extra = f"{loop - per['bare']['event_loop_thread']:+,.0f}" if mode in {"dispatcher", "memory"} else ""
        ratio = "" if mode == "offline" else f"{(loop + other) / bare:.2f}"
        lines.append(f"| {label} | {loop:,.0f} | {other:,.0f} | {extra} | {ratio} |")
    loop_ratio = per["dispatcher"]["event_loop_thread"] / per["bare"]["event_loop_thread"]
    lines += ["", f"Event loop thread alone, dispatcher / bare loop: {loop_ratio:.3f}."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--small", type=int, default=1_000, help="nudges in the shorter run")
    parser.add_argument("--large", type=int, default=4_000, help="nudges in the longer run")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at a time")
    parser.add_argument("--json", type=Path, help="also write the counts to this JSON file")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "NUDGES", "CONTROL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, nudges, control = args.child
        asyncio.run(child(mode, int(nudges), Path(control)))
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    from bench.turns import source_version

    results = measure(args.small, args.large, args.jobs)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results, source_version()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
