"""``coach serve`` with ``DISCORD_TOKEN`` as a real process: it connects to Discord (here the
fake REST API and gateway), answers a DM, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.discord_api import APPLICATION_ID, TOKEN, FakeDiscordApi, message_payload, user_payload

COACH = str(Path(sys.executable).parent / "coach")
USER = 800000000000000001

pytestmark = pytest.mark.slow


async def test_serve_connects_the_bot_answers_a_dm_and_stops_on_sigterm(
    tmp_path: Path, database_url: str
) -> None:
    fake = FakeDiscordApi()
    await fake.start()
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "COACH_DATABASE_URL": database_url,
        "COACH_PORT": "0",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    server = await asyncio.create_subprocess_exec(COACH, "serve", env=env, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for(lambda: bool(fake.identified), seconds=60, what="the bot to identify")
        await fake.dispatch(
            "MESSAGE_CREATE",
            message_payload(
                fake.snowflake(),
                fake.dm_channel(USER),
                user_payload(USER),
                content="hello",
                timestamp="2026-11-29T12:00:00+00:00",
            ),
        )
        await fake.wait_for(lambda: bool(fake.dm(USER)), seconds=30, what="the coach's greeting")
        server.send_signal(signal.SIGTERM)
        communicating = asyncio.ensure_future(server.communicate())
        try:
            _, stderr = await asyncio.wait_for(asyncio.shield(communicating), 60)
        except TimeoutError:
            server.kill()
            _, stderr = await communicating  # the whole log, read from the start
            pytest.fail(f"coach serve did not stop within 60 s of SIGTERM; its log:\n{stderr.decode()}")
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        await fake.stop()

    assert server.returncode == 0, stderr.decode()
    assert f"client_id={APPLICATION_ID}&scope=bot+applications.commands&permissions=117760" in stderr.decode()
    assert "Step 1 of 4" in fake.dm(USER)[0]["content"]
    assert (tmp_path / "state" / "popt-coach" / "discord-commands.json").is_file(), "the sync was remembered"
