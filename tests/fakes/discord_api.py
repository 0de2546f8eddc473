"""A local fake of Discord's REST API for the Discord bot's tests: answers and records every call.

discord.py is pointed at it through ``DISCORD_API_URL`` (``discord.http.Route.BASE``), so
everything the bot does on the network, logging in, syncing commands, answering
interactions, sending follow-ups and DMs, reading a channel's history, goes through
discord.py's real HTTP client and rate-limit handling to this aiohttp server on
127.0.0.1, port 0, in the test's own event loop.

A small gateway (``/gateway``, found through ``GET /gateway/bot``) lets a test run the real
client: it says hello, takes the IDENTIFY and answers READY, answers heartbeats, sends
the events a test dispatches, and on RESUME replays the ones after the client's last
sequence number. Frames are plain JSON text (discord.py accepts those beside the
compressed ones it asks for).

It keeps what Discord would: messages per channel (ephemeral ones marked with who can
see them), DM channels per user, each interaction's original response, the registered
commands, and nonces (``enforce_nonce``: a repeat returns the first message). On demand
it answers like Discord does when things go wrong: a DM refused with 50007 (as 403
``Forbidden`` or 400), or a 429 with ``Retry-After``, a JSON body and the ``Via``
header without which discord.py would take it for a Cloudflare ban.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
from aiohttp import web

TOKEN = "fake-bot-token"
BOT_ID = 900000000000000001
APPLICATION_ID = 900000000000000002
OWNER_ID = 900000000000000003
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2

# Interaction callback types (Discord's numbers).
MESSAGE_WITH_SOURCE = 4
DEFERRED_MESSAGE = 5
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9


def user_payload(user_id: int, name: str = "", *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name or f"user{user_id}",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": bot,
        "flags": 0,
    }


def message_payload(
    message_id: int, channel_id: int, author: dict[str, Any], *, content: str = "", timestamp: str
) -> dict[str, Any]:
    """A message object as Discord sends it, in the gateway's MESSAGE_CREATE and in REST answers."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": timestamp,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
    }


@dataclass(frozen=True)
class Call:
    """One request: method, path below ``/api/v10``, query, JSON body (``payload_json`` of a
    multipart request), uploaded files, and the status the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: tuple[tuple[str, bytes], ...]
    status: int

    @property
    def message_body(self) -> dict[str, Any] | None:
        """The message this call creates or edits, for the calls that carry one."""
        if not isinstance(self.body, dict):
            return None
        if self.path.endswith("/callback"):
            if self.body.get("type") in (MESSAGE_WITH_SOURCE, UPDATE_MESSAGE):
                data = self.body.get("data")
                return data if isinstance(data, dict) else None
            return None
        if self.method in ("POST", "PATCH") and (
            self.path.endswith("/messages") or "/messages/" in self.path or self.path.startswith("/webhooks/")
        ):
            return self.body
        return None


@dataclass
class Interaction:
    """What the fake knows of an interaction the test delivered: where it happened and
    which message is its original response."""

    id: int
    token: str
    channel_id: int
    user_id: int
    message_id: int | None = None
    answered: bool = False
    original_id: int | None = None
    loading: bool = False
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None


@dataclass
class FakeDiscordApi:
    """Start with ``await fake.start()``; point the bot at :attr:`api_url`.

    ``clock`` stamps messages (ids and timestamps), so history searched "since the nudge
    fell due" follows the test's own time.
    """

    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    visible_to: dict[int, int] = field(default_factory=dict)
    dm_channels: dict[int, int] = field(default_factory=dict)
    interactions: dict[str, Interaction] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    limits: dict[tuple[str, str], int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    identified: list[dict[str, Any]] = field(default_factory=list)
    resumed: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    _sockets: set[web.WebSocketResponse] = field(default_factory=set)
    _seq: int = 0
    _nonces: dict[tuple[int, str], int] = field(default_factory=dict)
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        application = web.Application()
        application.router.add_get("/gateway", self._gateway)
        application.router.add_route("*", "/api/v10/{path:.*}", self._handle)
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- test set-up -----------------------------------------------------------------

    def snowflake(self) -> int:
        """A new id, increasing, that encodes the fake clock's time like Discord's ids."""
        return discord.utils.time_snowflake(self.clock()) + next(self._sequence)

    def dm_channel(self, user_id: int) -> int:
        """The id of the bot's DM channel with a person (the same every time, like Discord)."""
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = self.snowflake()
        return self.dm_channels[user_id]

    def refuse_dm(self, user_id: int, *, status: int = 403) -> None:
        """From now on, messages to this person's DM fail with 50007 (DMs closed)."""
        self.refused[self.dm_channel(user_id)] = status

    def rate_limit(self, method: str, path: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method path`` with 429."""
        self.limits[(method, path)] = times

    def register(self, interaction: Interaction) -> None:
        self.interactions[interaction.token] = interaction

    # -- reading what happened -------------------------------------------------------

    def of(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    def channel(self, channel_id: int, *, seen_by: int | None = None) -> list[dict[str, Any]]:
        """Messages in a channel, oldest first; ephemeral ones only for the person who sees them."""
        return [
            m
            for m in self.messages.values()
            if int(m["channel_id"]) == channel_id and self.visible_to.get(int(m["id"]), seen_by) == seen_by
        ]

    def public(self, channel_id: int) -> list[dict[str, Any]]:
        return [m for m in self.channel(channel_id) if int(m["id"]) not in self.visible_to]

    def dm(self, user_id: int) -> list[dict[str, Any]]:
        return self.channel(self.dm_channel(user_id), seen_by=user_id)

    def message_calls(self) -> list[Call]:
        """Every call that created or edited a message."""
        return [c for c in self.calls if c.message_body is not None]

    async def wait_for(self, predicate: Callable[[], bool], *, seconds: float = 5.0, what: str = "") -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what or 'the bot'}; calls: {self.calls}")
            await asyncio.sleep(0.005)

    # -- the gateway -----------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to every connected client, as Discord's gateway does; a client that
        is not connected gets it when it resumes."""
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        self.events.append(frame)
        for socket in list(self._sockets):
            if not socket.closed:
                await socket.send_json(frame)

    async def drop_connections(self, *, code: int = 4000) -> None:
        """Close every gateway connection with a code a client may resume after."""
        for socket in list(self._sockets):
            await socket.close(code=code)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.add(socket)
        try:
            await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
            async for frame in socket:
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                await self._gateway_op(socket, message["op"], message.get("d"))
        finally:
            self._sockets.discard(socket)
        return socket

    async def _gateway_op(self, socket: web.WebSocketResponse, op: int, data: Any) -> None:
        if op == 1:  # heartbeat
            await socket.send_json({"op": 11})
        elif op == 2:  # identify
            self.identified.append(data)
            self._seq += 1
            ready = {
                "v": 10,
                "user": user_payload(BOT_ID, "Coach", bot=True),
                "guilds": [],
                "session_id": f"session-{len(self.identified)}",
                "resume_gateway_url": self.gateway_url,
                "shard": data.get("shard", [0, 1]),
                "application": {"id": str(APPLICATION_ID), "flags": 0},
            }
            await socket.send_json({"op": 0, "t": "READY", "s": self._seq, "d": ready})
        elif op == 6:  # resume: replay what the client missed
            self.resumed.append(data)
            for frame in self.events:
                if frame["s"] > (data.get("seq") or 0):
                    await socket.send_json(frame)
            self._seq += 1
            await socket.send_json({"op": 0, "t": "RESUMED", "s": self._seq, "d": {}})

    # -- the server ------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body, files = await _read_body(request)
        status, answer, headers = self._answer(request, path, body, files)
        self.calls.append(Call(request.method, path, dict(request.query), body, files, status))
        if status == 204:
            return web.Response(status=204)
        # Exactly "application/json": discord.py reads anything else (even with a charset) as text.
        return web.Response(
            body=json.dumps(answer).encode(),
            status=status,
            headers={**headers, "Content-Type": "application/json"},
        )

    def _answer(
        self, request: web.Request, path: str, body: Any, files: tuple[tuple[str, bytes], ...]
    ) -> tuple[int, Any, dict[str, str]]:
        method = request.method
        remaining = self.limits.get((method, path), 0)
        if remaining:
            self.limits[(method, path)] = remaining - 1
            return _rate_limited()
        parts = path.strip("/").split("/")
        if parts[0] not in ("webhooks", "interactions") and request.headers.get("Authorization") != (
            f"Bot {TOKEN}"
        ):
            return 401, {"code": 0, "message": "401: Unauthorized"}, {}
        try:
            return self._route(method, parts, request.query, body, files)
        except LookupError as missing:
            return 404, {"code": 10008, "message": f"Unknown: {missing}"}, {}

    def _route(
        self,
        method: str,
        parts: list[str],
        query: Any,
        body: Any,
        files: tuple[tuple[str, bytes], ...],
    ) -> tuple[int, Any, dict[str, str]]:
        match (method, parts):
            case ("GET", ["users", "@me"]):
                return 200, user_payload(BOT_ID, "Coach", bot=True), {}
            case ("GET", ["oauth2", "applications", "@me"]):
                return 200, self._application(), {}
            case ("GET", ["gateway", "bot"]):
                limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
                return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}, {}
            case ("GET", ["applications", _, "commands"]):
                return 200, self.commands, {}
            case ("PUT", ["applications", _, "commands"]):
                self.commands = [self._command(c) for c in body]
                return 200, self.commands, {}
            case ("POST", ["users", "@me", "channels"]):
                user = int(body["recipient_id"])
                channel = {"id": str(self.dm_channel(user)), "type": 1, "recipients": [user_payload(user)]}
                return 200, channel, {}
            case ("POST", ["channels", channel, "messages"]):
                return self._post_message(int(channel), body, files)
            case ("GET", ["channels", channel, "messages"]):
                return 200, self._history(int(channel), query), {}
            case ("PATCH", ["channels", _, "messages", message]):
                return 200, self._edit(int(message), body, files), {}
            case ("POST", ["interactions", _, token, "callback"]):
                return self._callback(token, body, files)
            case ("POST", ["webhooks", _, token]):
                return 200, self._followup(token, body, files), {}
            case ("GET", ["webhooks", _, token, "messages", "@original"]):
                return 200, self.messages[self._original(token)], {}
            case ("PATCH", ["webhooks", _, token, "messages", message]):
                target = self._original(token) if message == "@original" else int(message)
                return 200, self._edit(target, body, files), {}
            case ("DELETE", ["webhooks", _, token, "messages", message]):
                target = self._original(token) if message == "@original" else int(message)
                self.messages.pop(target)
                return 204, None, {}
        self.unknown.append(f"{method} /{'/'.join(parts)}")
        return 404, {"code": 0, "message": "404: Not Found"}, {}

    # -- behaviour -------------------------------------------------------------------

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(APPLICATION_ID),
            "name": "Coach",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": user_payload(OWNER_ID, "owner"),
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        return {
            **command,
            "id": str(self.snowflake()),
            "application_id": str(APPLICATION_ID),
            "version": str(self.snowflake()),
            "default_member_permissions": None,
        }

    def _message(
        self, channel_id: int, body: dict[str, Any], files: tuple[tuple[str, bytes], ...], *, flags: int = 0
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        coach = user_payload(BOT_ID, "Coach", bot=True)
        message = message_payload(message_id, channel_id, coach, timestamp=self.clock().isoformat())
        message["flags"] = flags | int(body.get("flags") or 0)
        self._apply(message, body, files)
        self.messages[message_id] = message
        return message

    def _apply(
        self, message: dict[str, Any], body: dict[str, Any], files: tuple[tuple[str, bytes], ...]
    ) -> None:
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if files or "attachments" in body:
            kept = [
                a
                for a in message["attachments"]
                if any(a["id"] == k.get("id") for k in body.get("attachments", []))
            ]
            message["attachments"] = kept + [
                {
                    "id": str(self.snowflake()),
                    "filename": name,
                    "size": len(content),
                    "url": f"https://cdn.example/{name}",
                    "proxy_url": f"https://cdn.example/{name}",
                    "content_type": "image/png" if name.endswith(".png") else "application/octet-stream",
                }
                for name, content in files
            ]

    def _post_message(
        self, channel_id: int, body: dict[str, Any], files: tuple[tuple[str, bytes], ...]
    ) -> tuple[int, Any, dict[str, str]]:
        if channel_id in self.refused:
            return (
                self.refused[channel_id],
                {"code": 50007, "message": "Cannot send messages to this user"},
                {},
            )
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and (channel_id, nonce) in self._nonces:
            return 200, self.messages[self._nonces[(channel_id, nonce)]], {}
        message = self._message(channel_id, body, files)
        if nonce is not None:
            self._nonces[(channel_id, nonce)] = int(message["id"])
            return 200, {**message, "nonce": nonce}, {}
        return 200, message, {}

    def _history(self, channel_id: int, query: Any) -> list[dict[str, Any]]:
        """Like Discord: at most ``limit`` messages, always newest first; ``after`` gives the
        ones right after that id, ``before`` the ones right before it."""
        limit = int(query.get("limit", 50))
        found = sorted(self.public(channel_id), key=lambda m: int(m["id"]))
        if "after" in query:
            after = [m for m in found if int(m["id"]) > int(query["after"])]
            return list(reversed(after[:limit]))
        if "before" in query:
            found = [m for m in found if int(m["id"]) < int(query["before"])]
        return list(reversed(found[-limit:]))

    def _edit(
        self, message_id: int, body: dict[str, Any], files: tuple[tuple[str, bytes], ...]
    ) -> dict[str, Any]:
        message = self.messages[message_id]
        self._apply(message, body, files)
        message["edited_timestamp"] = self.clock().isoformat()
        return message

    def _interaction(self, token: str) -> Interaction:
        return self.interactions[token]

    def _original(self, token: str) -> int:
        interaction = self._interaction(token)
        original = interaction.original_id or interaction.message_id
        if original is None:
            raise LookupError("original response")
        return original

    def _visible(self, message: dict[str, Any], interaction: Interaction) -> dict[str, Any]:
        if int(message["flags"]) & EPHEMERAL:
            self.visible_to[int(message["id"])] = interaction.user_id
        return message

    def _callback(
        self, token: str, body: dict[str, Any], files: tuple[tuple[str, bytes], ...]
    ) -> tuple[int, Any, dict[str, str]]:
        interaction = self._interaction(token)
        if interaction.answered:
            return 400, {"code": 40060, "message": "Interaction has already been acknowledged."}, {}
        interaction.answered = True
        kind, data = body["type"], body.get("data") or {}
        created: dict[str, Any] | None = None
        if kind in (MESSAGE_WITH_SOURCE, DEFERRED_MESSAGE):
            loading = LOADING if kind == DEFERRED_MESSAGE else 0
            created = self._visible(
                self._message(interaction.channel_id, data, files, flags=loading), interaction
            )
            interaction.original_id = int(created["id"])
            interaction.loading = kind == DEFERRED_MESSAGE
        elif kind == UPDATE_MESSAGE:
            created = self._edit(self._original(token), data, files)
        elif kind == MODAL:
            interaction.modal = data
        elif kind == AUTOCOMPLETE_RESULT:
            interaction.choices = data.get("choices", [])
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": 2,
                "response_message_id": created["id"] if created else None,
                "response_message_loading": interaction.loading,
                "response_message_ephemeral": bool(created and int(created["flags"]) & EPHEMERAL),
            },
            "resource": {"type": kind, **({"message": created} if created else {})},
        }
        return 200, answer, {}

    def _followup(
        self, token: str, body: dict[str, Any], files: tuple[tuple[str, bytes], ...]
    ) -> dict[str, Any]:
        """The first follow-up after a "thinking…" defer fills that message (keeping whether
        it is ephemeral); later ones are new messages."""
        interaction = self._interaction(token)
        if interaction.loading and interaction.original_id is not None:
            interaction.loading = False
            message = self.messages[interaction.original_id]
            message["flags"] = int(message["flags"]) & ~LOADING | (int(body.get("flags") or 0) & ~EPHEMERAL)
            self._apply(message, body, files)
            return message
        return self._visible(self._message(interaction.channel_id, body, files), interaction)


def _rate_limited() -> tuple[int, Any, dict[str, str]]:
    retry_after = 0.05
    headers = {
        "Via": "1.1 google",
        "Retry-After": "1",
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": str(retry_after),
        "X-RateLimit-Bucket": "fake-bucket",
        "X-RateLimit-Scope": "user",
    }
    return (
        429,
        {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
        headers,
    )


async def _read_body(request: web.Request) -> tuple[Any, tuple[tuple[str, bytes], ...]]:
    """JSON, or multipart with ``payload_json`` and ``files[n]`` parts (uploads)."""
    if request.content_type == "multipart/form-data":
        payload: Any = None
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, aiohttp.BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            else:
                files.append((part.filename or "", bytes(await part.read())))
        return payload, tuple(files)
    if request.can_read_body:
        text = await request.text()
        return (json.loads(text) if text else None), ()
    return None, ()
