"""Discord as the operator sees it: refused calls counted by Discord's code, the gateway in /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.discord.identity import personal_owner
from bot.app import App, build_app
from bot.http.serving import start_web
from bot.scheduling.ports import OutboundNudge, PermanentSendError
from bot.settings import Settings
from coaching.replies import Choice, Reply
from tests.bot.observability.conftest import sample, scrape
from tests.bot.observability.test_health import healthz
from tests.fakes.discord_api import TOKEN, FakeDiscordApi

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
USER = 800000000000000001


@pytest.fixture
async def app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _restore_route_base: None
) -> AsyncIterator[tuple[App, FakeDiscordApi]]:
    """The app with ``DISCORD_TOKEN`` set, its bot logged in over REST against the fake."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the command sync's hash file
    fake = FakeDiscordApi(clock=lambda: NOW)
    await fake.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        coach_database_url=f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}",
        coach_port=0,
        discord_token=TOKEN,
        discord_api_url=fake.api_url,
    )
    application = await build_app(settings, clock=lambda: NOW)
    try:
        yield application, fake
    finally:
        await application.close()
        await fake.stop()


async def test_a_refused_dm_is_counted_by_discords_error_code(app: tuple[App, FakeDiscordApi]) -> None:
    application, fake = app
    bot = await application.discord_bot()
    assert bot is not None
    fake.refuse_dm(USER)
    nudge = OutboundNudge(
        id=1,
        key="k1",
        owner=personal_owner(USER),
        kind="checkin",
        week="2026-W49",
        replies=(
            Reply(text="Is Twitter still serving you?", choices=(Choice("yes", "Yes"),), kind="checkin"),
        ),
        not_before=NOW,
    )
    with pytest.raises(PermanentSendError):
        await bot.sender.send(nudge)

    web = await start_web(application)
    try:
        samples = await scrape(web.server.url)
    finally:
        await web.stop()
    assert sample(samples, "coach_platform_api_errors_total", platform="discord", code="50007") == 1


async def test_unavailable_until_the_gateway_is_ready(app: tuple[App, FakeDiscordApi]) -> None:
    application, _ = app
    web = await start_web(application)  # logged in over REST, the gateway never started
    try:
        status, body = await healthz(web.server.url)
    finally:
        await web.stop()
    assert (status, body["checks"]) == (503, {"database": "ok", "discord": "connecting"})
