"""What ``coach serve`` runs besides the scheduler: the HTTP server and, when configured, Slack.

Started together and stopped in the order that loses nothing: the server stops taking
requests first, then Slack turns already acknowledged are let finish (and Socket Mode
disconnects), and only then may the caller close the database.

The server's health check covers what this process depends on: the database always,
Slack when configured (connected, in Socket Mode), Discord when configured (gateway
ready). Its ``/metrics`` serve the app's registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from adapters.slack.app import SlackApp, build_slack_app, slack_configured
from adapters.slack.http import slack_routes
from bot.app import App
from bot.http.server import HttpServer
from bot.observability.health import Check, Health, database_check

if TYPE_CHECKING:
    from adapters.discord.app import DiscordBot


@dataclass(slots=True)
class WebService:
    server: HttpServer
    slack: SlackApp | None

    async def stop(self) -> None:
        await self.server.stop()
        if self.slack is not None:
            await self.slack.close()


def discord_check(bot: DiscordBot) -> Check:
    async def check() -> str | None:
        return bot.problem()

    return check


async def start_web(application: App) -> WebService:
    """Build Slack from the settings (if any mode is configured) and listen on COACH_HOST:COACH_PORT."""
    settings = application.settings
    slack = None
    routes = []
    checks: dict[str, Check] = {"database": database_check(application.engine)}
    if slack_configured(settings):
        slack = build_slack_app(
            settings,
            service=application.service,
            clock=application.clock,
            engine=application.engine,
            workspaces=application.store,
            on_api_error=application.metrics.api_errors_of("slack"),
        )
        await slack.start()
        routes = slack_routes(slack.bolt, events=slack.http_events)
        checks["slack"] = slack.problem
    if (discord := await application.discord_bot()) is not None:
        checks["discord"] = discord_check(discord)
    server = HttpServer(
        host=settings.coach_host,
        port=settings.coach_port,
        routes=routes,
        health=Health(checks),
        metrics=application.metrics,
    )
    try:
        await server.start()
    except BaseException:
        if slack is not None:
            await slack.close()
        raise
    return WebService(server=server, slack=slack)
