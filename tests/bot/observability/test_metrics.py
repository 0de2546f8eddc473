"""``GET /metrics``: what an operator's Prometheus sees after turns and dispatch passes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.app import App, build_app
from bot.http.server import HttpServer
from bot.http.serving import WebService, start_web
from bot.observability.metrics import Metrics
from bot.settings import Settings
from bot.storage import ScheduleSpec
from coaching.inbound import Inbound
from coaching.model import Owner
from tests.bot.observability.conftest import sample, scrape
from tests.bot.scheduling.conftest import FakeCompose, add_owner
from tests.fakes.slack_api import FakeSlackApi

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # Wednesday
MON_9_BERLIN = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
BERLIN = ScheduleSpec("monday", "09:00", "Europe/Berlin")
ALICE = Owner("slack", "T0FAKE", "U0ALICE")
BOB = Owner("slack", "T0FAKE", "U0BOB")


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[tuple[App, WebService]]:
    """An app on SQLite with its HTTP server on a free port, nothing else configured."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, coach_database_url=f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}", coach_port=0
    )
    application = await build_app(settings, clock=lambda: T0)
    service = await start_web(application)
    try:
        yield application, service
    finally:
        await service.stop()
        await application.close()


async def test_metrics_are_served_in_prometheus_text_format() -> None:
    metrics = Metrics()
    metrics.turns_of("slack").ok.inc()
    server = HttpServer(host="127.0.0.1", port=0, metrics=metrics)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{server.url}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=")
            body = await response.text()
    finally:
        await server.stop()
    assert 'coach_turns_total{outcome="ok",platform="slack"} 1.0' in body
    for family in (
        "coach_nudges_sent_total",
        "coach_nudges_failed_total",
        "coach_dispatch_lag_seconds",
        "coach_dispatch_pass_duration_seconds",
        "coach_platform_api_errors_total",
    ):
        assert f"# TYPE {family.removesuffix('_total')}" in body


async def test_two_apps_in_one_process_count_apart(tmp_path: Path) -> None:
    first, second = Metrics(), Metrics()
    first.turns_of("console").ok.inc()
    assert first.registry.get_sample_value("coach_turns_total", {"platform": "console", "outcome": "ok"}) == 1
    assert (
        second.registry.get_sample_value("coach_turns_total", {"platform": "console", "outcome": "ok"})
        is None
    )


async def test_turns_are_counted_by_outcome(
    web: tuple[App, WebService], monkeypatch: pytest.MonkeyPatch
) -> None:
    application, service = web
    alice = Owner("console", "local", "alice")
    await application.service.handle(Inbound(owner=alice, now=T0, text="hello"))
    await application.service.handle(Inbound(owner=alice, now=T0, text="We sell bicycles"))

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(application.store, "load", broken)
    with pytest.raises(RuntimeError):
        await application.service.handle(Inbound(owner=alice, now=T0, text="and repair them"))

    samples = await scrape(service.server.url)
    assert sample(samples, "coach_turns_total", platform="console", outcome="ok") == 2
    assert sample(samples, "coach_turns_total", platform="console", outcome="error") == 1


async def test_a_dispatch_pass_counts_sent_failed_lag_and_slacks_errors(
    database_url: str, slack: FakeSlackApi
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        coach_database_url=database_url,
        coach_port=0,
        coach_channel_interval=0,
        slack_bot_token="xoxb-test",
        slack_signing_secret="shh-signing-secret",
        slack_api_url=slack.url,
    )
    application = await build_app(settings, clock=lambda: T0)
    try:
        for owner in (ALICE, BOB):
            await add_owner(application.store, owner, BERLIN, now=T0)
        # Both fell due at 09:00 and were enqueued then; the pass that sends runs at 09:01:30.
        assert await application.outbox.enqueue_due(MON_9_BERLIN) == 2
        slack.fail("chat.postMessage", status=429, retry_after=0, channel="U0ALICE")
        slack.fail("chat.postMessage", error="channel_not_found", channel="U0BOB")
        dispatcher = await application.open_dispatcher(compose=FakeCompose())
        report = await dispatcher.run_pass(MON_9_BERLIN + timedelta(seconds=90))
        assert (report.sent, report.unreachable) == (1, 1)

        service = await start_web(application)
        try:
            samples = await scrape(service.server.url)
        finally:
            await service.stop()
    finally:
        await application.close()

    assert sample(samples, "coach_nudges_sent_total", platform="slack") == 1
    assert sample(samples, "coach_nudges_failed_total", platform="slack", reason="permanent") == 1
    assert sample(samples, "coach_nudges_failed_total", platform="slack", reason="transient") == 0
    errors = "coach_platform_api_errors_total"
    assert sample(samples, errors, platform="slack", code="channel_not_found") == 1
    assert sample(samples, errors, platform="slack", code="ratelimited") == 1, "the 429 waited out"
    lag = "coach_dispatch_lag_seconds"
    assert sample(samples, f"{lag}_count", platform="slack") == 1
    assert 90 <= sample(samples, f"{lag}_sum", platform="slack") < 95
    assert sample(samples, f"{lag}_bucket", platform="slack", le="60.0") == 0
    assert sample(samples, f"{lag}_bucket", platform="slack", le="120.0") == 1
    assert sample(samples, "coach_dispatch_pass_duration_seconds_count") == 1


def test_nudge_lags_are_bucketed_as_prometheus_clients_own_histogram_would() -> None:
    """The dispatcher counts lags in plain numbers; a scrape must not tell the difference."""
    from prometheus_client import CollectorRegistry, Histogram

    from bot.observability.metrics import LAG_BUCKETS

    lags = [0.0, 0.4, 1.0, 1.0001, 59.9, 60.0, 61.0, 3600.0, 86400.0, 86400.5, 1e7]
    reference_registry = CollectorRegistry()
    reference = Histogram("reference", "", buckets=LAG_BUCKETS, registry=reference_registry)
    metrics = Metrics()
    tally = metrics.nudges_of("discord")
    for lag in lags:
        reference.observe(lag)
        tally.observe_lag(lag)
    for bound in (*[str(b) for b in LAG_BUCKETS], "+Inf"):
        expected = reference_registry.get_sample_value("reference_bucket", {"le": bound})
        found = metrics.registry.get_sample_value(
            "coach_dispatch_lag_seconds_bucket", {"platform": "discord", "le": bound}
        )
        assert found == expected, bound
    count = metrics.registry.get_sample_value("coach_dispatch_lag_seconds_count", {"platform": "discord"})
    total = metrics.registry.get_sample_value("coach_dispatch_lag_seconds_sum", {"platform": "discord"})
    assert (count, total) == (len(lags), pytest.approx(sum(lags)))
    assert metrics.nudges_of("discord") is tally, "one tally per platform, shared by the app's dispatchers"
