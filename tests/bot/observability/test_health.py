"""``GET /healthz`` as a load balancer or Kubernetes probe sees it."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import build_app
from bot.http.serving import start_web
from bot.settings import Settings
from tests.fakes.slack_app_api import SlackAppApi


def settings(database_url: str, **values: Any) -> Settings:
    return Settings(_env_file=None, coach_database_url=database_url, coach_port=0, **values)  # type: ignore[call-arg]


async def healthz(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as response:
        return response.status, await response.json()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_healthy_when_the_database_answers(database_url: str) -> None:
    application = await build_app(settings(database_url))
    web = await start_web(application)
    try:
        assert await healthz(web.server.url) == (200, {"status": "ok", "checks": {"database": "ok"}})
    finally:
        await web.stop()
        await application.close()


async def test_unavailable_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    gone = f"postgresql+asyncpg://coach@127.0.0.1:{closed_port()}/coach"
    application = await build_app(settings(gone), migrate=False)
    web = await start_web(application)
    try:
        status, body = await healthz(web.server.url)
    finally:
        await web.stop()
        await application.close()
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("failed: ")
    assert "127.0.0.1" not in body["checks"]["database"], "no addresses in a public answer"


async def test_socket_mode_is_checked_while_connected_and_reported_once_closed(database_url: str) -> None:
    async def socket_mode(request: web.Request) -> web.WebSocketResponse:
        """Slack's end of Socket Mode, saying hello and then nothing."""
        connection = web.WebSocketResponse()
        await connection.prepare(request)
        await connection.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for _ in connection:
            pass
        return connection

    link = web.Application()
    link.router.add_get("/link", socket_mode)
    runner = web.AppRunner(link)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake = SlackAppApi()
    fake.start()
    fake.socket_url = f"ws://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/link"  # type: ignore[union-attr]
    application = await build_app(
        settings(
            database_url, slack_bot_token="xoxb-T1", slack_app_token="xapp-1-test", slack_api_url=fake.url
        )
    )
    web_service = await start_web(application)
    try:
        connected = await healthz(web_service.server.url)
        assert web_service.slack is not None
        await web_service.slack.close()
        closed = await healthz(web_service.server.url)
    finally:
        await web_service.stop()
        await application.close()
        fake.stop()
        await runner.cleanup()
    assert connected == (200, {"status": "ok", "checks": {"database": "ok", "slack": "ok"}})
    assert closed[0] == 503 and closed[1]["checks"]["slack"] == "socket mode not connected"
