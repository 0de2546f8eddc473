"""The image's HEALTHCHECK command, taken from the Dockerfile and run for real against the
coach's own HTTP server: a typo in the one-liner would otherwise surface only as a
container marked unhealthy in production."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.http.server import HttpServer
from tests.deploy.dockerfile import healthcheck_of, parse
from tests.deploy.files import DOCKERFILE


def healthcheck_argv() -> list[str]:
    instruction = parse(DOCKERFILE).final.last("HEALTHCHECK")
    assert instruction is not None
    command = healthcheck_of(instruction).command
    assert command[0] == "python", "the image's python is the venv's, first on PATH"
    return [sys.executable, *command[1:]]


async def run_healthcheck(port: int) -> int:
    environment = {**os.environ, "COACH_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        *healthcheck_argv(),
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), timeout=15)


@pytest.fixture
async def coach_http() -> AsyncIterator[int]:
    server = HttpServer(host="127.0.0.1", port=0)
    port = await server.start()
    yield port
    await server.stop()


async def test_passes_against_the_coach_http_server(coach_http: int) -> None:
    assert await run_healthcheck(coach_http) == 0


async def test_fails_when_nothing_listens() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    assert await run_healthcheck(port) != 0


async def test_fails_when_healthz_answers_an_error() -> None:
    async def unhealthy(request: web.Request) -> web.Response:
        return web.json_response({"status": "broken"}, status=503)

    application = web.Application()
    application.add_routes([web.get("/healthz", unhealthy)])
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = int(runner.addresses[0][1])
        assert await run_healthcheck(port) != 0
    finally:
        await runner.cleanup()
