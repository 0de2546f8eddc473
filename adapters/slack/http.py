"""Slack's HTTP endpoints as aiohttp routes: request in, ``async_dispatch``, response out.

Bolt verifies the signature and the timestamp (five minutes) and answers 401 itself;
this module only translates, like Bolt's own framework adapters.
"""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

EVENTS_PATH = "/slack/events"


def slack_routes(bolt: AsyncApp, *, events: bool) -> list[web.RouteDef]:
    """``POST /slack/events`` (unless over Socket Mode), and the OAuth pages when installing is on."""

    async def dispatch(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    routes = [web.post(EVENTS_PATH, dispatch)] if events else []
    flow = bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def callback(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        routes += [web.get(flow.install_path, install), web.get(flow.redirect_uri_path, callback)]
    return routes
