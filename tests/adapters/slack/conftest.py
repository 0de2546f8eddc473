"""A real coach behind the real Slack app and HTTP server, talking to a fake Slack Web API.

``slack`` gives a :class:`SlackWorld`: Slack's side of the conversation. It signs
requests like Slack does (``SignatureVerifier``), posts them to ``/slack/events`` on
127.0.0.1, and reads what the app sent back from the fake Web API's recordings.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import SlackApp, build_slack_app
from adapters.slack.http import slack_routes
from bot.app import App, build_app
from bot.http.server import HttpServer
from bot.settings import Settings
from tests.clock import Clock
from tests.coaching.harness import WORKED_EXAMPLE
from tests.fakes.slack_api import Message
from tests.fakes.slack_app_api import SlackAppApi

SECRET = "test-signing-secret"


def dm(user: str) -> str:
    """The bot's DM with a person, as the fake Web API numbers it."""
    return "D" + user[1:]


def command_body(text: str, *, user: str, channel: str, team: str, n: int, response_url: str) -> str:
    """The form Slack posts for ``/coach text`` (the ``n``-th command of a test)."""
    form = {
        "token": "legacy",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/coach",
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": f"trigger-{n}",
    }
    return urlencode(form)


def event_body(event: dict[str, Any], *, team: str, event_id: str) -> str:
    """The Events API envelope Slack posts around ``event``."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UCOACHBOT", "is_bot": True}],
        }
    )


def dm_message(text: str, *, user: str, n: int, **extra: Any) -> dict[str, Any]:
    """A person's message in their DM with the bot (the ``n``-th message of a test)."""
    ts = f"1800000000.{n:06d}"
    return {
        "type": "message",
        "channel": dm(user),
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def signed_headers(
    body: str, *, content_type: str, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


@dataclass
class SlackWorld:
    app: App
    slack: SlackApp
    fake: SlackAppApi
    server: HttpServer
    session: aiohttp.ClientSession
    clock: Clock
    ids: count[int] = field(default_factory=lambda: count(1))

    # -- requests, signed as Slack signs them -------------------------------------------

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str = SECRET,
    ) -> tuple[int, str]:
        signed = signed_headers(body, content_type=content_type, timestamp=timestamp, secret=secret)
        async with self.session.post(
            f"{self.server.url}/slack/events", data=body.encode(), headers={**signed, **(headers or {})}
        ) as response:
            return response.status, await response.text()

    async def command(
        self, text: str = "", *, user: str = "U1", channel: str | None = None, team: str = "T1"
    ) -> tuple[int, str]:
        """``/coach text`` as Slack sends it; by default from the person's DM with the bot."""
        n = next(self.ids)
        body = command_body(
            text,
            user=user,
            channel=channel or dm(user),
            team=team,
            n=n,
            response_url=self.fake.response_url(f"command-{n}"),
        )
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    def event_body(self, event: dict[str, Any], *, team: str = "T1", event_id: str | None = None) -> str:
        return event_body(event, team=team, event_id=event_id or f"Ev{next(self.ids):08d}")

    async def event(
        self,
        event: dict[str, Any],
        *,
        team: str = "T1",
        event_id: str | None = None,
        retry: int | None = None,
    ) -> tuple[int, str]:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(
            self.event_body(event, team=team, event_id=event_id),
            content_type="application/json",
            headers=headers,
        )

    def message_event(self, text: str, *, user: str = "U1", **extra: Any) -> dict[str, Any]:
        return dm_message(text, user=user, n=next(self.ids), **extra)

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def click(
        self, message: Message, label: str, *, user: str = "U1", team: str = "T1"
    ) -> tuple[int, str]:
        """Click the button with this label on a message the app posted."""
        button = next(
            e
            for b in message.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["text"]["text"] == label
        )
        container = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": False,
        }
        return await self.interact(
            {
                "type": "block_actions",
                "team": {"id": team, "domain": team.lower()},
                "user": {"id": user, "team_id": team},
                "api_app_id": "A1",
                "container": container,
                "channel": {"id": message.channel},
                "message": message.as_json(with_metadata=False),
                "trigger_id": f"trigger-{next(self.ids)}",
                "response_url": self.fake.response_url(f"action-{next(self.ids)}"),
                "actions": [{**button, "block_id": "b", "action_ts": "1800000000.1"}],
            }
        )

    # -- waiting for the app ---------------------------------------------------------

    async def idle(self) -> None:
        """Every listener Bolt started in the background has finished."""
        assert await self.slack.inflight.drain(10), "Slack listeners still running"

    async def replies(self, send: Any, *, channel: str) -> list[Message]:
        """Do ``send`` (a request), wait for the app's first message in ``channel`` and for it to finish."""
        before = len(self.fake.messages(channel))
        status, _ = await send
        assert status == 200
        await self.fake.wait_for(
            lambda: len(self.fake.messages(channel)) > before, what=f"a message in {channel}"
        )
        await self.idle()
        return self.fake.messages(channel)[before:]

    async def say(self, text: str, *, user: str = "U1", team: str = "T1") -> list[Message]:
        """DM the bot and wait for its answer."""
        return await self.replies(
            self.event(self.message_event(text, user=user), team=team), channel=dm(user)
        )

    async def make_plan(self, *, user: str = "U1", team: str = "T1") -> None:
        """Go through the whole worked example in the person's DM."""
        await self.replies(self.command("", user=user, team=team), channel=dm(user))
        for answer in WORKED_EXAMPLE:
            await self.say(answer, user=user, team=team)


async def world(database_url: str, **slack_settings: Any) -> AsyncIterator[SlackWorld]:
    """The whole app on ``database_url``; ``slack_settings`` replace the single-workspace token."""
    fake = SlackAppApi(teams=("T1", "T2"))
    fake.start()
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        coach_database_url=database_url,
        slack_signing_secret=SECRET,
        slack_api_url=fake.url,
        **(slack_settings or {"slack_bot_token": "xoxb-T1"}),
    )
    clock = Clock()
    application = await build_app(config, clock=clock)
    slack = build_slack_app(
        config,
        service=application.service,
        clock=clock,
        engine=application.engine,
        workspaces=application.store,
    )
    await slack.start()
    server = HttpServer(host="127.0.0.1", port=0, routes=slack_routes(slack.bolt, events=slack.http_events))
    await server.start()
    session = aiohttp.ClientSession()
    try:
        yield SlackWorld(application, slack, fake, server, session, clock)
    finally:
        await session.close()
        await slack.close()
        await server.stop()
        await application.close()
        fake.stop()


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackWorld]:
    """A single-workspace app (``SLACK_BOT_TOKEN``) on each database backend."""
    async for w in world(database_url):
        yield w
