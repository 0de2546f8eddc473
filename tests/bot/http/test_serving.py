"""``coach serve``'s web side: the health check always, Slack's endpoints when Slack is configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.app import build_app
from bot.http.serving import start_web
from bot.settings import Settings
from tests.adapters.slack.conftest import SECRET, signed_headers
from tests.fakes.slack_app_api import SlackAppApi


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        coach_database_url=f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}",
        coach_port=0,
        **values,
    )


async def test_without_slack_only_the_health_check_is_served(tmp_path: Path) -> None:
    application = await build_app(settings(tmp_path))
    web = await start_web(application)
    try:
        assert web.slack is None
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{web.server.url}/healthz") as health:
                assert health.status == 200
            async with session.post(f"{web.server.url}/slack/events", data=b"{}") as events:
                assert events.status == 404
    finally:
        await web.stop()
        await application.close()


async def test_with_slack_a_signed_command_is_answered(tmp_path: Path) -> None:
    fake = SlackAppApi()
    fake.start()
    application = await build_app(
        settings(tmp_path, slack_bot_token="xoxb-T1", slack_signing_secret=SECRET, slack_api_url=fake.url)
    )
    web = await start_web(application)
    try:
        form = urlencode(
            {
                "team_id": "T1",
                "channel_id": "D1",
                "user_id": "U1",
                "command": "/coach",
                "text": "help",
                "response_url": fake.response_url("serve"),
                "trigger_id": "t",
            }
        )
        headers = signed_headers(form, content_type="application/x-www-form-urlencoded")
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{web.server.url}/slack/events", data=form.encode(), headers=headers) as r,
        ):
            assert r.status == 200
        await fake.wait_calls("chat.postMessage", 1, channel="D1")
    finally:
        await web.stop()
        await application.close()
        fake.stop()
    assert web.slack is not None and len(web.slack.inflight) == 0, "stopping waited for the turn"
