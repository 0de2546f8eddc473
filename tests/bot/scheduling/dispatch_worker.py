"""A dispatcher process for the real-process tests: ``python -m tests.bot.scheduling.dispatch_worker``.

The production wiring (``build_app`` and ``App.open_dispatcher``, Slack configured from
the environment like ``coach dispatch``) with one difference: every nudge says the
same question, so the tests need no stored plans. Runs one pass as of ``--now`` and
prints the pass report as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict
from datetime import datetime

from bot.app import build_app
from bot.storage import NudgeKind
from coaching.model import Owner
from coaching.replies import Choice, Reply

QUESTION = Reply(
    text="Is **Twitter** still serving your support goal?",
    choices=(Choice("yes", "Yes"), Choice("no", "No")),
    kind="checkin",
)


async def compose(owner: Owner, *, now: datetime, week: str, kind: NudgeKind) -> tuple[Reply, ...]:
    return (QUESTION,)


async def main(now: datetime) -> None:
    application = await build_app()
    try:
        dispatcher = await application.open_dispatcher(compose=compose)
        report = await dispatcher.run_pass(now)
    finally:
        await application.close()
    print(json.dumps(asdict(report)), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    asyncio.run(main(parser.parse_args().now))
