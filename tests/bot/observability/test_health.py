"""``GET /healthz`` as a load balancer or Kubernetes probe sees it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import build_app
from bot.http.serving import start_web
from bot.settings import Settings


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
