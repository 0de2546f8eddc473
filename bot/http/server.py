"""One aiohttp server for everything the bot answers over HTTP.

Routes are handed in (the Slack adapter brings its own), so the server knows nothing
about any platform; ``GET /healthz`` is always there for load balancers and probes.
Binding to port 0 picks a free port, which :meth:`HttpServer.start` returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

SHUTDOWN_SECONDS = 10.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_web_app(routes: Sequence[web.RouteDef] = ()) -> web.Application:
    application = web.Application()
    application.add_routes([web.get("/healthz", healthz), *routes])
    return application


class HttpServer:
    def __init__(self, *, host: str, port: int, routes: Sequence[web.RouteDef] = ()) -> None:
        self.host = host
        self.port = port
        self._runner = web.AppRunner(
            build_web_app(routes), access_log=None, shutdown_timeout=SHUTDOWN_SECONDS
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
