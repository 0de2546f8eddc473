"""A local fake of the Slack Web API for the Slack app's tests: answers and records every call.

Runs an aiohttp server on 127.0.0.1, port 0, inside the test's own event loop (so
several test runs can overlap). It knows the methods the app uses, with canned
answers like bolt-python's ``tests/mock_web_api_server``, plus what an end-to-end
test needs on top: the upload URLs of ``files_upload_v2``, ``response_url`` posts, an
OAuth token exchange, and rate limits on demand (HTTP 429 with ``Retry-After``).

Each bot token belongs to one workspace (``xoxb-T1`` → ``T1``), so a test can tell
from the recorded token which workspace a call was made for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_USER = "UBOT"
BOT_ID = "BBOT"
DEFAULT_TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True)
class Call:
    """One request the app made: API method (or ``response_url``/``upload``), arguments, token."""

    method: str
    args: dict[str, Any]
    token: str | None
    result: dict[str, Any]

    @property
    def ts(self) -> str:
        """The ``ts`` Slack gave a posted message."""
        return str(self.result["ts"])

    def json_arg(self, name: str) -> Any:
        """An argument Slack takes as JSON text in forms (``blocks``, ``view``), decoded either way."""
        value = self.args.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class RateLimit:
    remaining: int
    retry_after: int


@dataclass
class FakeSlackApi:
    """Start with ``await fake.start()``; point the app at :attr:`api_url`."""

    timezones: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    limits: dict[str, RateLimit] = field(default_factory=dict)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        application = web.Application()
        application.router.add_route("*", "/api/{method}", self._api)
        application.router.add_post("/upload/{file_id}", self._upload)
        application.router.add_post("/response/{hook}", self._response_url)
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, hook: str) -> str:
        return f"{self.url}/response/{hook}"

    # -- test helpers ----------------------------------------------------------------

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After``."""
        self.limits[method] = RateLimit(remaining=times, retry_after=retry_after)

    def of(self, method: str, **match: Any) -> list[Call]:
        """Recorded calls of one method whose arguments include ``match``."""
        return [
            c for c in self.calls if c.method == method and all(c.args.get(k) == v for k, v in match.items())
        ]

    async def wait_for(
        self, predicate: Callable[[], bool], *, seconds: float = 5.0, what: str = "the app"
    ) -> None:
        """Poll until ``predicate()`` holds: the app's listeners run after Slack got its ack."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {seconds}s waiting for {what}; calls: {self.calls}")
            await asyncio.sleep(0.005)

    async def wait_calls(self, method: str, count: int, *, seconds: float = 5.0, **match: Any) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` (matching ``match``) were made; returns them."""
        await self.wait_for(
            lambda: len(self.of(method, **match)) >= count, seconds=seconds, what=f"{count}× {method}"
        )
        return self.of(method, **match)

    # -- the server ------------------------------------------------------------------

    async def _arguments(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                args.update(json.loads(raw or b"{}"))
            elif raw:
                args.update(parse_qsl(raw.decode(), keep_blank_values=True))
        return args

    def _record(
        self, method: str, args: dict[str, Any], request: web.Request, result: dict[str, Any]
    ) -> None:
        self.calls.append(Call(method, args, self._token(args, request), result))

    @staticmethod
    def _token(args: dict[str, Any], request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ") if header.startswith("Bearer ") else args.get("token")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._arguments(request)
        limit = self.limits.get(method)
        if limit is not None and limit.remaining > 0:
            limit.remaining -= 1
            refused = {"ok": False, "error": "ratelimited"}
            self._record(method, args, request, refused)
            return web.json_response(refused, status=429, headers={"Retry-After": str(limit.retry_after)})
        answer = getattr(self, "api_" + method.replace(".", "_"), None)
        body = answer(args, self._token(args, request) or "") if answer is not None else {"ok": True}
        self._record(method, args, request, body)
        return web.json_response(body)

    async def _upload(self, request: web.Request) -> web.Response:
        args = {"file_id": request.match_info["file_id"], "size": len(await request.read())}
        self._record("upload", args, request, {"ok": True})
        return web.Response(text="OK - uploaded")

    async def _response_url(self, request: web.Request) -> web.Response:
        args = await self._arguments(request)
        args["hook"] = request.match_info["hook"]
        self._record("response_url", args, request, {"ok": True})
        return web.Response(text="ok")

    # -- canned answers, one per method (api_<method with dots as underscores>) --------

    @staticmethod
    def team_of(token: str) -> str:
        return token.rsplit("-", 1)[-1] if token.startswith("xoxb-") else "T1"

    def api_auth_test(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        team = self.team_of(token)
        return {
            "ok": True,
            "url": f"https://{team.lower()}.slack.com/",
            "team": f"Team {team}",
            "user": "coach",
            "team_id": team,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def api_chat_postMessage(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        return {
            "ok": True,
            "channel": args.get("channel"),
            "ts": ts,
            "message": {"ts": ts, "text": args.get("text")},
        }

    def api_chat_update(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def api_conversations_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": f"D{args.get('users')}"}}

    def api_users_info(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        user = str(args.get("user"))
        return {"ok": True, "user": {"id": user, "tz": self.timezones.get(user, DEFAULT_TIMEZONE)}}

    def api_views_publish(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "VHOME"}}

    def api_views_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "VMODAL"}}

    def api_files_getUploadURLExternal(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        file_id = f"F{next(self._ts):06d}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def api_files_completeUploadExternal(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        files = json.loads(args.get("files", "[]"))
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    def api_oauth_v2_access(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        team = str(args.get("code", "T1")).removeprefix("code-")
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": f"xoxb-{team}",
            "bot_user_id": BOT_USER,
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }
