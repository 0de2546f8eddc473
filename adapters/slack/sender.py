"""Scheduled nudges to Slack: one message per nudge, tagged with its idempotency key.

A nudge to a person is posted to their user id, which Slack delivers in the bot's DM
with them (one Web API call, no ``conversations.open`` first); a nudge to a team goes
to the channel (``Owner.subject``). Each message carries
``metadata = {"event_type": "coach_nudge", "event_payload": {"key": ...}}``, so after a
crash :meth:`SlackSender.find_sent` can read the conversation back and tell whether
the nudge was already delivered: that closes the window between "posted" and
"marked sent". Slack's errors are sorted into "try again later" and "this owner cannot
be reached".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import MESSAGE_BLOCK_LIMIT, fallback, reply_blocks
from adapters.slack.retries import retry_handlers
from bot.scheduling.ports import OutboundNudge, PermanentSendError, TransientSendError
from coaching.model import OwnerKind
from coaching.replies import Reply

EVENT_TYPE = "coach_nudge"

#: The owner is gone for us: DMs closed, user or channel gone, app or token removed.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "account_inactive",
        "is_archived",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "not_in_channel",
        "invalid_auth",
        "token_revoked",
        "user_disabled",
    }
)

#: Slack's own trouble, worth another try later.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

#: How far back before ``not_before`` to look, for clocks that disagree a little.
CLOCK_SKEW = timedelta(minutes=5)
HISTORY_PAGE = 200
HISTORY_PAGES = 10


def nudge_message(replies: Sequence[Reply], *, kind: OwnerKind) -> tuple[str, list[dict[str, Any]]]:
    """All of a nudge's replies as one message (text, blocks), so it is delivered whole or not at all."""
    texts: list[str] = []
    blocks: list[dict[str, Any]] = []
    for reply in replies:
        text, more = reply_blocks(reply, kind)
        texts.append(text)
        blocks += more
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        raise ValueError(f"a nudge of {len(blocks)} blocks; Slack takes at most {MESSAGE_BLOCK_LIMIT}")
    return fallback("\n\n".join(texts)), blocks


def nudge_metadata(key: str) -> dict[str, Any]:
    """The message metadata that marks a nudge as sent: its key, for :meth:`SlackSender.find_sent`.

    A plain dict, which slack_sdk sends as it is: its ``Metadata`` model costs 7 µs more a
    message, and its ``to_dict()`` leaves a self-referencing closure behind every time,
    garbage that only the cyclic collector can free.
    """
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


#: What a Web API call raises: Slack's answer, or the connection (timeouts are OSErrors).
_CALL_ERRORS = (SlackApiError, aiohttp.ClientError, OSError)


def _error(error: Exception) -> Exception:
    """The scheduler's view of a failed call: transient, permanent, or our own bug."""
    if not isinstance(error, SlackApiError):
        return TransientSendError(f"connection: {type(error).__name__}: {error}")
    response = error.response
    data = response.data if isinstance(response.data, dict) else {}  # a bare 5xx has no JSON
    code = str(data.get("error") or "")
    if code in PERMANENT_ERRORS:
        return PermanentSendError(code)
    if response.status_code == 429 or response.status_code >= 500 or code in TRANSIENT_ERRORS:
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return TransientSendError(
            code or f"HTTP {response.status_code}",
            retry_after=float(retry_after) if retry_after else None,
        )
    return RuntimeError(f"Slack refused the nudge: {code or response.status_code}")


def nudge_client(
    token: str,
    base_url: str,
    *,
    session: aiohttp.ClientSession | None = None,
    on_api_error: Callable[[str], None] | None = None,
) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and reuses ``session``'s connections.

    Without a shared session slack_sdk opens a new connection for every call, which is
    most of the cost of a fan-out. ``on_api_error`` is told Slack's code of every error
    answer (see :mod:`adapters.slack.retries`).
    """
    return AsyncWebClient(
        token=token, base_url=base_url, session=session, retry_handlers=retry_handlers(on_api_error)
    )


class SlackSender:
    """Delivers nudges of ``slack`` owners with one workspace's client."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, nudge: OutboundNudge) -> str | None:
        text, blocks = nudge_message(nudge.replies, kind=nudge.owner.kind)
        try:
            response = await self._client.chat_postMessage(
                channel=nudge.owner.subject,
                text=text,
                blocks=blocks,
                metadata=nudge_metadata(nudge.key),
                unfurl_links=False,
                unfurl_media=False,
            )
        except _CALL_ERRORS as error:
            raise _error(error) from error
        return f"{response['channel']}:{response['ts']}"

    async def find_sent(self, nudge: OutboundNudge) -> str | None:
        """Read the conversation since the nudge fell due for a message carrying its key."""
        oldest = f"{(nudge.not_before - CLOCK_SKEW).timestamp():.6f}"
        try:
            channel = await self._conversation(nudge)
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = await self._client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                    include_all_metadata=True,
                )
                for message in page.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    if (
                        metadata.get("event_type") == EVENT_TYPE
                        and (metadata.get("event_payload") or {}).get("key") == nudge.key
                    ):
                        return f"{channel}:{message['ts']}"
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or cursor is None:
                    return None
        except _CALL_ERRORS as error:
            raise _error(error) from error
        # Pages and pages since it fell due and no sign of it: in a channel that busy the
        # honest answer is "not found", and the nudge is sent again.
        return None

    async def _conversation(self, nudge: OutboundNudge) -> str:
        if nudge.owner.kind == "team":
            return nudge.owner.subject
        response = await self._client.conversations_open(users=nudge.owner.subject)
        return str(response["channel"]["id"])
