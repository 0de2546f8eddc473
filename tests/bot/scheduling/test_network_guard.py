"""The autouse guard in tests/conftest.py: nothing in the suite reaches past loopback."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient


def test_resolving_or_connecting_outside_loopback_fails() -> None:
    with pytest.raises(OSError, match="no network"):
        socket.getaddrinfo("slack.com", 443)
    with pytest.raises(OSError, match="no network"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


async def test_an_async_client_left_on_the_real_api_fails_loudly() -> None:
    with pytest.raises(OSError, match="no network"):
        await asyncio.open_connection("198.51.100.7", 443)
    client = AsyncWebClient(token="xoxb-test", retry_handlers=[])
    with pytest.raises(aiohttp.ClientConnectorError) as failure:
        await client.auth_test()
    assert "no network" in str(failure.value.os_error) or "no network" in repr(failure.value.__cause__)


async def test_loopback_is_allowed() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        _, writer = await asyncio.open_connection("localhost", port)
        writer.close()
