"""A fake Slack Web API on loopback, for tests and benchmarks that must not touch the network.

In the spirit of bolt-python's ``tests/mock_web_api_server``: a stdlib HTTP server in a
thread, bound to 127.0.0.1 on a free port, that records every call and answers with
canned JSON. Unlike that one it keeps state, so a test can check what a client did:
messages posted per channel with their blocks and metadata (and how many carried each
``coach_nudge`` key), ``conversations.history`` that returns them, and failures
programmed per method and channel (a 429 with Retry-After, a 500, an ``ok: false``).

Point a client at it with ``AsyncWebClient(token=..., base_url=fake.url)``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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

    def __init__(self, *, token: str = "xoxb-test", latency: float = 0.0) -> None:
        self.token = token
        self.latency = latency
        self.state = FakeSlackState()
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(_Handler):
            api = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

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
            return Counter(
                m.metadata["event_payload"]["key"]
                for m in self.state.messages
                if m.metadata and m.metadata.get("event_type") == "coach_nudge"
            )

    def wait_for_messages(self, count: int, timeout: float) -> bool:
        """Block until ``count`` messages were posted (or ``timeout`` passed); for cross-process tests."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.state.messages) >= count, timeout)

    # -- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], Any]:
        """Status, extra headers and the JSON body (or text, for a bare 5xx) of one call."""
        with self._lock:
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


class _Handler(BaseHTTPRequestHandler):
    api: FakeSlackApi
    protocol_version = "HTTP/1.1"  # keep-alive, as Slack's clients expect

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        method = url.path.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body:
            if self.headers.get_content_type() == "application/json":
                params.update(json.loads(body))
            else:
                params.update(parse_qsl(body.decode()))
        authorization = self.headers.get("Authorization") or ""
        token = authorization.removeprefix("Bearer ") or params.get("token")
        if self.api.latency:
            time.sleep(self.api.latency)
        status, headers, answer = self.api.handle(method, params, token)
        raw = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read the state
        return


@contextmanager
def fake_slack(**options: Any) -> Iterator[FakeSlackApi]:
    with FakeSlackApi(**options) as api:
        yield api
