"""Settings as an operator passes them: a variable set to nothing is a variable not set."""

from __future__ import annotations

import pytest

from adapters.slack.app import slack_configured
from bot.settings import Settings


def test_empty_platform_variables_switch_nothing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # What `SLACK_SIGNING_SECRET:` in a compose file gives when the host has no such variable.
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None, coach_database_url="sqlite+aiosqlite://")  # type: ignore[call-arg]
    assert (settings.slack_signing_secret, settings.slack_app_token, settings.discord_token) == (
        None,
        None,
        None,
    )
    assert not slack_configured(settings)
