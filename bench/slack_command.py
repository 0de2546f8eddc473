"""Round trip of a signed ``/coach`` through the Slack app, against a bare Bolt app that only acks.

Both apps run behind the same stack in the same process: ``bot.http.server.HttpServer``
with ``adapters.slack.http.slack_routes``, Bolt's signature check and single-workspace
authorization, a Web API client pointed at the local fake (``tests.fakes``). The coach
answers ``/coach help`` in the person's DM: it acks first and does the turn (profile
lookup, engine, SQLite, ``chat.postMessage``) after the ack, as in production; the
baseline app's listener only calls ``ack()``.

Requests alternate between the two apps so both see the same machine weather. One
round trip is timed from sending the signed request to reading the response; the
coach's turn after the ack is then let finish (untimed) before the next request, so it
weighs on its own round trip only. Run ``uv run python -m bench.slack_command --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import build_slack_app
from adapters.slack.http import slack_routes
from bot.app import build_app
from bot.http.server import HttpServer
from bot.observability.logging import skip_unlogged_debug_messages
from bot.settings import Settings
from tests.fakes.slack_app_api import SlackAppApi

SECRET = "bench-signing-secret"
TOKEN = "xoxb-T1"
TARGET_RATIO = 1.15
USERS = 20


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def signed_command(n: int) -> tuple[bytes, dict[str, str]]:
    user = f"U{n % USERS + 1}"
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": "D" + user[1:],
            "channel_name": "directmessage",
            "user_id": user,
            "command": "/coach",
            "text": "help",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": f"trigger-{n}",
        }
    )
    ts = str(int(time.time()))
    return body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
    }


def bare_app(api_url: str) -> AsyncApp:
    bolt = AsyncApp(name="bare", signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api_url))

    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/coach")(only_ack)
    return bolt


async def measure(requests: int, warmup: int, directory: Path) -> dict[str, Any]:
    fake = SlackAppApi()
    fake.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        coach_database_url=f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=fake.url,
    )
    application = await build_app(settings)
    coach = build_slack_app(
        settings, service=application.service, clock=application.clock, engine=application.engine
    )
    servers = {
        "coach": HttpServer(host="127.0.0.1", port=0, routes=slack_routes(coach.bolt, events=True)),
        "bare": HttpServer(host="127.0.0.1", port=0, routes=slack_routes(bare_app(fake.url), events=True)),
    }
    timings: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            await server.start()
        async with aiohttp.ClientSession() as session:
            for n in range(warmup + requests):
                for name in ("coach", "bare") if n % 2 else ("bare", "coach"):
                    body, headers = signed_command(n)
                    started = time.perf_counter_ns()
                    async with session.post(
                        f"{servers[name].url}/slack/events", data=body, headers=headers
                    ) as r:
                        await r.read()
                        status = r.status
                    elapsed = (time.perf_counter_ns() - started) / 1e6
                    if status != 200:
                        raise RuntimeError(f"{name} answered {status}")
                    if name == "coach":
                        await coach.inflight.drain(10)
                    if n >= warmup:
                        timings[name].append(elapsed)
        answered = len(fake.calls("chat.postMessage"))
    finally:
        for server in servers.values():
            await server.stop()
        await coach.close()
        await application.close()
        fake.stop()
    if answered < warmup + requests:
        raise RuntimeError(f"the coach answered {answered} of {warmup + requests} commands")
    result: dict[str, Any] = {"requests": requests}
    for name, values in timings.items():
        result[name] = {f"p{p}": round(percentile(values, p), 3) for p in (50, 90, 99)}
    result["ratio_p50"] = round(result["coach"]["p50"] / result["bare"]["p50"], 3)
    result["ratio_p90"] = round(result["coach"]["p90"] / result["bare"]["p90"], 3)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per app (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per app first (default 20)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when the p50 ratio exceeds {TARGET_RATIO}"
    )
    args = parser.parse_args(argv)
    skip_unlogged_debug_messages(logging.INFO)  # both apps' clients, as in ``coach serve``
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as directory:
        result = asyncio.run(measure(args.requests, args.warmup, Path(directory)))
    print("| app | p50 ms | p90 ms | p99 ms |\n|---|---:|---:|---:|")
    for name in ("coach", "bare"):
        row = result[name]
        print(f"| {name} | {row['p50']} | {row['p90']} | {row['p99']} |")
    print(
        f"\ncoach / bare: p50 ×{result['ratio_p50']}, p90 ×{result['ratio_p90']}"
        f" (target p50 ≤ ×{TARGET_RATIO})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if args.check and result["ratio_p50"] > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
