"""How every Slack HTTP call retries: on dropped connections and on 429 (waiting Retry-After).

slack_sdk installs only the connection-error handler by default, so a rate-limited
call would fail outright; the check-in fan-out meets Slack's limits first.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)

RATE_LIMIT_RETRIES = 5


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
