"""Socket Mode (``SLACK_APP_TOKEN``): the app dials out to Slack's WebSocket and acks envelopes on it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import WSMsgType, web

from adapters.slack.app import build_slack_app
from bot.app import build_app
from bot.settings import Settings
from tests.fakes.slack_app_api import SlackAppApi


class SocketServer:
    """Slack's end of Socket Mode: says hello, sends one envelope, collects the acks."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        self.envelope = envelope
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        application = web.Application()
        application.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(application)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/link"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        await socket.send_str(json.dumps(self.envelope))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        return socket


async def test_a_slash_command_over_socket_mode_is_acked_and_answered(database_url: str) -> None:
    fake = SlackAppApi()
    fake.start()
    command = {
        "team_id": "T1",
        "channel_id": "D1",
        "user_id": "U1",
        "command": "/coach",
        "text": "help",
        "response_url": fake.response_url("socket"),
        "trigger_id": "trigger-socket",
    }
    server = SocketServer(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": command,
        }
    )
    await server.start()
    fake.socket_url = server.url
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        coach_database_url=database_url,
        slack_bot_token="xoxb-T1",
        slack_app_token="xapp-1-test",
        slack_api_url=fake.url,
    )
    application = await build_app(settings)
    slack = build_slack_app(
        settings, service=application.service, clock=application.clock, engine=application.engine
    )
    try:
        await slack.start()
        ack = await asyncio.wait_for(server.acks.get(), timeout=5)
        assert ack["envelope_id"] == "env-1"
        await fake.wait_calls("chat.postMessage", 1, channel="D1")
        (opened,) = fake.calls("apps.connections.open")
        assert opened.token == "xapp-1-test"
    finally:
        await slack.close()
        await application.close()
        await server.stop()
        fake.stop()
