"""One aiohttp server for everything the bot answers over HTTP.

Routes are handed in (the Slack adapter brings its own), so the server knows nothing
about any platform. ``GET /healthz`` is always there for load balancers and probes: 200
with ``{"status": "ok", "checks": {...}}`` when every check passes, 503 with the same
shape naming what failed otherwise. ``GET /metrics`` serves the app's Prometheus
registry when one is given. Binding to port 0 picks a free port, which
:meth:`HttpServer.start` returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from bot.observability.health import Health
from bot.observability.metrics import CONTENT_TYPE, Metrics

SHUTDOWN_SECONDS = 10.0


def health_route(health: Health) -> web.RouteDef:
    async def healthz(request: web.Request) -> web.Response:
        report = await health.report()
        return web.json_response(report.as_json(), status=200 if report.healthy else 503)

    return web.get("/healthz", healthz)


def metrics_route(metrics: Metrics) -> web.RouteDef:
    async def exposition(request: web.Request) -> web.Response:
        # aiohttp's content_type argument takes no parameters; the version and charset
        # belong in the header, so it is set whole.
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    return web.get("/metrics", exposition)


def build_web_app(
    routes: Sequence[web.RouteDef] = (), *, health: Health | None = None, metrics: Metrics | None = None
) -> web.Application:
    """The application; without ``health`` the health check has nothing to check and is ok."""
    application = web.Application()
    application.add_routes([health_route(health or Health({}))])
    if metrics is not None:
        application.add_routes([metrics_route(metrics)])
    application.add_routes(routes)
    return application


class HttpServer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        routes: Sequence[web.RouteDef] = (),
        health: Health | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._runner = web.AppRunner(
            build_web_app(routes, health=health, metrics=metrics),
            access_log=None,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
        self._site: web.TCPSite | None = None

    async def start(self) -> int:
        """Listen; returns the port actually bound."""
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        server = self._site._server
        sockets = getattr(server, "sockets", None) or ()
        for sock in sockets:
            self.port = int(sock.getsockname()[1])
            break
        return self.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        await self._runner.cleanup()
