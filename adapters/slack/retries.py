"""How every Slack HTTP call retries: on dropped connections and on 429 (waiting Retry-After).

slack_sdk installs only the connection-error handler by default, so a rate-limited
call would fail outright; the check-in fan-out meets Slack's limits first.

The same list is where Slack's error answers are counted (``on_api_error``): slack_sdk
hands every response of every call, ``ok: false`` ones with status 200 included, to
its retry handlers in order until one asks for a retry, and Bolt copies the handlers
into the per-workspace clients it makes. A first handler that only looks and never
retries therefore sees every attempt of every client built here, each retried 429 too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

RATE_LIMIT_RETRIES = 5


def error_code(response: HttpResponse) -> str | None:
    """Slack's ``error`` string of a failed answer (the HTTP status when the body has none);
    None for a successful one."""
    body: Any = response.body
    failed = response.status_code >= 400 or (isinstance(body, dict) and body.get("ok") is False)
    if not failed:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return str(code) if code else str(response.status_code)


class ErrorObserver(AsyncRetryHandler):
    """Reports each error answer's code to ``count``; never asks for a retry."""

    def __init__(self, count: Callable[[str], None]) -> None:
        super().__init__(max_retry_count=0)
        self._count = count

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        # With ``error`` set the call raised (no answer, or one seen here already).
        if error is None and response is not None and (code := error_code(response)) is not None:
            self._count(code)
        return False


def retry_handlers(on_api_error: Callable[[str], None] | None = None) -> list[AsyncRetryHandler]:
    """The handlers for a client; ``on_api_error`` is told the code of every error answer."""
    observe: list[AsyncRetryHandler] = [ErrorObserver(on_api_error)] if on_api_error is not None else []
    return [
        *observe,
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
