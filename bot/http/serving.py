"""What ``coach serve`` runs besides the scheduler: the HTTP server and, when configured, Slack.

Started together and stopped in the order that loses nothing: the server stops taking
requests first, then Slack turns already acknowledged are let finish (and Socket Mode
disconnects), and only then may the caller close the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.slack.app import SlackApp, build_slack_app, slack_configured
from adapters.slack.http import slack_routes
from bot.app import App
from bot.http.server import HttpServer


@dataclass(slots=True)
class WebService:
    server: HttpServer
    slack: SlackApp | None

    async def stop(self) -> None:
        await self.server.stop()
        if self.slack is not None:
            await self.slack.close()


async def start_web(application: App) -> WebService:
    """Build Slack from the settings (if any mode is configured) and listen on COACH_HOST:COACH_PORT."""
    settings = application.settings
    slack = None
    routes = []
    if slack_configured(settings):
        slack = build_slack_app(
            settings,
            service=application.service,
            clock=application.clock,
            engine=application.engine,
            workspaces=application.store,
        )
        await slack.start()
        routes = slack_routes(slack.bolt, events=slack.http_events)
    server = HttpServer(host=settings.coach_host, port=settings.coach_port, routes=routes)
    try:
        await server.start()
    except BaseException:
        if slack is not None:
            await slack.close()
        raise
    return WebService(server=server, slack=slack)
