"""A fake Slack Web API on loopback, for tests and benchmarks that must not touch the network.

In the spirit of bolt-python's ``tests/mock_web_api_server``: an HTTP server in a
thread (aiohttp on its own event loop, so it keeps up with a fan-out), bound to
127.0.0.1 on a free port, that records every call and answers with canned JSON.
Unlike that one it keeps state, so a test can check what a client did:
messages posted per channel with their blocks and metadata (and how many carried each
``coach_nudge`` key), ``conversations.history`` that returns them, and failures
programmed per method and channel (a 429 with Retry-After, a 500, an ``ok: false``).

Point a client at it with ``AsyncWebClient(token=..., base_url=fake.url)``. For a
benchmark, ``python -m tests.fakes.slack_api`` serves it in a process of its own (so it
does not share an interpreter lock with the client) and prints its URL; ``GET
/_fake/keys`` then reports the messages per metadata key.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import web

BOT_USER = "UCOACHBOT"
TEAM = "T0FAKE"


@dataclass
class Failure:
    """An answer to give instead of the real one, ``times`` times, to calls of ``method``.

    ``status`` 429 sends ``Retry-After: retry_after``; another status >= 500 sends a
    bare server error; otherwise the answer is ``{"ok": false, "error": error}``.
    ``channel`` restricts it to calls about that channel or user.
    """

    method: str
    status: int = 200
    error: str = "ratelimited"
    retry_after: int = 1
    channel: str | None = None
    times: int = 1


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    user: str = BOT_USER

    def as_json(self, *, with_metadata: bool) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": "BCOACH",
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
        }
        if with_metadata and self.metadata is not None:
            shown["metadata"] = self.metadata
        return shown


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class FakeSlackState:
    calls: list[Call] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _dm_channel(user: str) -> str:
    """The bot's DM with a user has one stable id, as in Slack."""
    return "D" + user[1:]


class FakeSlackApi:
    """The server; use as a context manager, or ``start()`` and ``stop()``."""

    def __init__(self, *, token: str = "xoxb-test", latency: float = 0.0, keep: bool = True) -> None:
        """``keep=False`` (benchmarks) remembers only how many messages carried each key:
        hundreds of thousands of stored calls and messages slow the server's garbage
        collector down, pausing it for longer and longer as a benchmark goes on."""
        self.token = token
        self.latency = latency
        self.keep = keep
        self.state = FakeSlackState()
        self._key_counts: Counter[str] = Counter()
        self._posted = 0
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> str:
        """Serve on a thread of its own; returns the base URL once it is listening."""
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve_forever, args=(ready,), name="fake-slack", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        return self.url

    def _serve_forever(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        routes = [web.get("/_fake/keys", self._keys_route), web.route("*", "/api/{method}", self._api_route)]
        application = web.Application()
        application.add_routes(routes)
        runner = web.AppRunner(application, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        server = cast(asyncio.Server, site._server)
        self._port = int(server.sockets[0].getsockname()[1])
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> FakeSlackApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._port is not None, "not started"
        return f"http://127.0.0.1:{self._port}/api/"

    # -- programming and inspecting --------------------------------------------------------

    def fail(self, method: str, **failure: Any) -> None:
        with self._lock:
            self.state.failures.append(Failure(method, **failure))

    def add_user(self, user_id: str, **profile: Any) -> None:
        with self._lock:
            self.state.users[user_id] = {"id": user_id, "team_id": TEAM, "deleted": False, **profile}

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        with self._lock:
            return [m for m in self.state.messages if channel is None or m.channel == channel]

    def keys(self) -> Counter[str]:
        """How many posted messages carried each ``coach_nudge`` metadata key."""
        with self._lock:
            return Counter(self._key_counts)

    def wait_for_messages(self, count: int, timeout: float) -> bool:
        """Block until ``count`` messages were posted (or ``timeout`` passed); for cross-process tests."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.state.messages) >= count, timeout)

    # -- HTTP --------------------------------------------------------------------------------

    async def _api_route(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update({key: str(value) for key, value in (await request.post()).items()})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or params.get("token")
        if self.latency:
            await asyncio.sleep(self.latency)
        status, headers, answer = self.handle(request.match_info["method"], params, token)
        if isinstance(answer, str):
            return web.Response(status=status, text=answer, headers=headers)
        return web.json_response(answer, status=status, headers=headers)

    async def _keys_route(self, request: web.Request) -> web.Response:
        with self._lock:
            posted = self._posted
        return web.json_response({"messages": posted, "keys": dict(self.keys())})

    # -- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], Any]:
        """Status, extra headers and the JSON body (or text, for a bare 5xx) of one call."""
        with self._lock:
            if self.keep:
                self.state.calls.append(Call(method, params, token))
            failure = self._take_failure(method, params)
            if failure is not None:
                if failure.status == 429:
                    return (
                        429,
                        {"Retry-After": str(failure.retry_after)},
                        {"ok": False, "error": "ratelimited"},
                    )
                if failure.status >= 500:
                    return failure.status, {}, "upstream connect error"
                return 200, {}, {"ok": False, "error": failure.error}
            if token != self.token:
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            answer = getattr(self, "_" + method.replace(".", "_"), None)
            if answer is None:
                return 200, {}, {"ok": False, "error": "unknown_method"}
            return 200, {}, answer(params)

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        about = params.get("channel") or params.get("users") or params.get("user")
        for failure in self.state.failures:
            if failure.method == method and failure.times > 0 and failure.channel in (None, about):
                failure.times -= 1
                return failure
        return None

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "team": "Fake",
            "team_id": TEAM,
            "user": "coach",
            "user_id": BOT_USER,
            "bot_id": "BCOACH",
        }

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("users", ""))
        if "," in user or not user.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": _dm_channel(user)}}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel.startswith(("U", "W")):  # posting to a user id lands in the bot's DM with them
            channel = _dm_channel(channel)
        blocks = params.get("blocks") or []
        metadata = params.get("metadata")
        message = Message(
            channel=channel,
            ts=f"{int(time.time())}.{next(self._ts):06d}",
            text=str(params.get("text", "")),
            blocks=json.loads(blocks) if isinstance(blocks, str) else blocks,
            metadata=json.loads(metadata) if isinstance(metadata, str) else metadata,
        )
        self._posted += 1
        if message.metadata and message.metadata.get("event_type") == "coach_nudge":
            self._key_counts[message.metadata["event_payload"]["key"]] += 1
        if self.keep:
            self.state.messages.append(message)
        self._lock.notify_all()
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": message.as_json(with_metadata=True),
        }

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.state.messages:
            if message.channel == params.get("channel") and message.ts == params.get("ts"):
                message.text = str(params.get("text", message.text))
                blocks = params.get("blocks", message.blocks)
                message.blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
                return {"ok": True, "channel": message.channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        found = [m for m in reversed(self.state.messages) if m.channel == channel and float(m.ts) > oldest]
        page = found[start : start + limit]
        more = start + limit < len(found)
        with_metadata = _truthy(params.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [m.as_json(with_metadata=with_metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.state.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}


if __name__ == "__main__":
    # Standalone, for benchmarks: prints the base URL, serves until stdin closes;
    # ``--lean`` keeps only the counts of metadata keys (see ``keep``).
    with FakeSlackApi(keep="--lean" not in sys.argv[1:]) as served:
        print(served.url, flush=True)
        sys.stdin.read()
