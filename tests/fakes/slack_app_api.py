"""The fake Slack Web API of :mod:`tests.fakes.slack_api`, plus what the Slack app also calls.

On top of the scheduler's fake (messages, history, users, programmed failures) the
app needs: several workspaces (one bot token each, ``xoxb-T1`` → ``T1``), App Home
and modals (``views.publish``, ``views.open``), ``files_upload_v2`` (upload URLs on
the same server), ``response_url`` posts (ephemeral answers and in-place updates), the
OAuth token exchange, Socket Mode's ``apps.connections.open``, and ``await``-able waiting from the test's
own event loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from tests.fakes.slack_api import BOT_USER, Call, FakeSlackApi

DEFAULT_TIMEZONE = "Europe/Berlin"
UPLOAD = "upload-"
RESPONSE = "response-"


def decoded(call: Call, name: str) -> Any:
    """An argument Slack takes as JSON text in forms (``blocks``, ``view``), decoded either way."""
    value = call.params.get(name)
    return json.loads(value) if isinstance(value, str) else value


class SlackAppApi(FakeSlackApi):
    def __init__(self, *, teams: tuple[str, ...] = ("T1",)) -> None:
        super().__init__(token=f"xoxb-{teams[0]}")
        self.teams = {f"xoxb-{team}": team for team in teams}
        self._ids = itertools.count(1)
        self._caller: str | None = None
        self.socket_url: str | None = None

    def response_url(self, hook: str) -> str:
        return f"{self.url}{RESPONSE}{hook}"

    # -- the API ---------------------------------------------------------------------

    def handle(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:  # a re-entrant lock: the base class takes it again
            if method.startswith((UPLOAD, RESPONSE)) or method in APP_LEVEL:
                self.state.calls.append(Call(method, params, token))
                answer = APP_LEVEL[method](self, params) if method in APP_LEVEL else {"ok": True}
                self._lock.notify_all()
                return 200, {}, answer
            self._caller = token
            known = token in self.teams
            result = super().handle(method, params, self.token if known else token)
            self.state.calls[-1].token = token
            self._lock.notify_all()
            return result

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**super()._auth_test(params), "team_id": self.teams.get(self._caller or "", "T1")}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """Users the test did not add exist too, in :data:`DEFAULT_TIMEZONE`."""
        user = str(params.get("user"))
        if user not in self.state.users:
            return {"ok": True, "user": {"id": user, "tz": DEFAULT_TIMEZONE, "deleted": False}}
        return super()._users_info(params)

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "VHOME"}}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "VMODAL"}}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):06d}"
        return {"ok": True, "upload_url": f"{self.url}{UPLOAD}{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(params.get("files", "[]"))
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Socket Mode's WebSocket address (set :attr:`socket_url` to a test's server)."""
        return (
            {"ok": True, "url": self.socket_url} if self.socket_url else {"ok": False, "error": "no_socket"}
        )

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        team = str(params.get("code", "")).removeprefix("code-")
        self.teams[f"xoxb-{team}"] = team
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": f"xoxb-{team}",
            "bot_user_id": BOT_USER,
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # -- inspecting, from the test's event loop ------------------------------------------

    def of(self, method: str, **match: Any) -> list[Call]:
        """Recorded calls of one method whose arguments include ``match``."""
        return [c for c in self.calls(method) if all(c.params.get(k) == v for k, v in match.items())]

    def responses(self) -> list[Call]:
        """Posts to ``response_url``s, in order."""
        return [c for c in self.calls() if c.method.startswith(RESPONSE)]

    async def wait_for(
        self, predicate: Callable[[], bool], *, seconds: float = 5.0, what: str = "the app"
    ) -> None:
        """Poll until ``predicate()`` holds: the app's listeners run after Slack got its ack."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {seconds}s waiting for {what}; calls: {self.calls()}")
            await asyncio.sleep(0.005)

    async def wait_calls(self, method: str, count: int, *, seconds: float = 5.0, **match: Any) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` (matching ``match``) were made; returns them."""
        await self.wait_for(
            lambda: len(self.of(method, **match)) >= count, seconds=seconds, what=f"{count}× {method}"
        )
        return self.of(method, **match)


#: Methods called without a bot token (client credentials, the app-level token).
APP_LEVEL: dict[str, Callable[[SlackAppApi, dict[str, Any]], dict[str, Any]]] = {
    "oauth.v2.access": SlackAppApi._oauth_v2_access,
    "apps.connections.open": SlackAppApi._apps_connections_open,
}
