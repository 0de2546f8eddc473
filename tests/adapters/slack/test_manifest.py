"""The app manifest asks Slack for exactly what the app handles, at the endpoints it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from adapters.slack.app import COMMAND, SlackConfigError, build_slack_app
from adapters.slack.http import EVENTS_PATH, slack_routes
from adapters.slack.install import BOT_SCOPES, REDIRECT_PATH
from bot.settings import Settings
from tests.adapters.slack.conftest import SlackWorld

MANIFEST = Path(__file__).parents[3] / "deploy" / "slack-manifest.yaml"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return loaded


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, coach_database_url="sqlite+aiosqlite://", **values)  # type: ignore[call-arg]


def test_scopes_command_and_urls_match_the_app() -> None:
    m = manifest()
    assert m["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    (command,) = m["features"]["slash_commands"]
    assert command["command"] == COMMAND
    urls = [
        command["url"],
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
    ]
    assert {urlsplit(u).path for u in urls} == {EVENTS_PATH}
    assert [urlsplit(u).path for u in m["oauth_config"]["redirect_urls"]] == [REDIRECT_PATH]
    assert m["features"]["app_home"]["home_tab_enabled"] and m["features"]["app_home"]["messages_tab_enabled"]


async def test_every_subscribed_event_is_handled(slack: SlackWorld) -> None:
    """Bolt answers 404 to an event no listener takes, and Slack would retry it."""
    samples = {
        "app_home_opened": {"user": "U1", "channel": "D1", "tab": "messages"},
        "app_uninstalled": {},
        "tokens_revoked": {"tokens": {"oauth": [], "bot": []}},
        "message": {"user": "U2", "channel": "C1", "channel_type": "channel", "text": "hi", "ts": "1.1"},
    }
    for event in manifest()["settings"]["event_subscriptions"]["bot_events"]:
        kind = event.split(".")[0]
        status, _ = await slack.event({"type": kind, **samples[kind]})
        assert status == 200, event
    status, _ = await slack.event({"type": "reaction_added", "user": "U1", "reaction": "tada"})
    assert status == 404, "the check above would notice a missing listener"
    await slack.idle()


def test_socket_mode_needs_no_public_events_endpoint() -> None:
    slack = build_slack_app(
        settings(slack_bot_token="xoxb-T1", slack_app_token="xapp-1"),
        service=None,  # type: ignore[arg-type]
        clock=lambda: None,  # type: ignore[arg-type, return-value]
        engine=None,  # type: ignore[arg-type]
    )
    assert not slack.http_events
    assert slack_routes(slack.bolt, events=slack.http_events) == []


def test_incomplete_settings_are_refused() -> None:
    for incomplete in ({"slack_signing_secret": "s"}, {"slack_bot_token": "xoxb-T1"}):
        try:
            build_slack_app(settings(**incomplete), service=None, clock=None, engine=None)  # type: ignore[arg-type]
        except SlackConfigError:
            continue
        raise AssertionError(f"accepted {incomplete}")
