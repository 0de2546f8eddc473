"""What the dispatcher needs from the outside world: a way to compose and a way to send.

Adapters implement :class:`Sender`, one per platform; the coaching service provides
:class:`Compose`. Both are injected, so the dispatcher is tested with fakes at the
network edge only.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from bot.storage import NudgeKind
from coaching.model import Owner
from coaching.replies import Reply


class OutboundNudge(NamedTuple):
    """One nudge on its way out (a named tuple: one is built per nudge sent, see
    :class:`~bot.storage.ClaimedNudge`).

    ``key`` is the idempotency key as text; a sender that can attach it to the message
    (Slack message metadata) can later tell whether the message went out. ``not_before``
    is the earliest moment it can have been sent, which bounds that search. ``replies``
    is empty when the nudge is passed to :meth:`Sender.find_sent` (nothing composed yet).
    """

    id: int
    key: str
    owner: Owner
    kind: NudgeKind
    week: str
    replies: tuple[Reply, ...]
    not_before: datetime


class TransientSendError(Exception):
    """The platform may accept it later (rate limit, 5xx, connection): retry with backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(Exception):
    """The owner cannot be reached (DMs closed, user gone, app removed): stop trying."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    """Delivers nudges on one platform."""

    @property
    def platform(self) -> str: ...

    async def send(self, nudge: OutboundNudge) -> str | None:
        """Deliver the nudge; returns a reference to the message, when the platform has one."""
        ...

    async def find_sent(self, nudge: OutboundNudge) -> str | None:
        """The reference of the message already delivered for ``nudge.key``, or None.

        Called before re-sending a nudge whose earlier claim may have sent it (a crashed
        worker, a failure after the platform accepted the message). A sender that cannot
        tell returns None, and the nudge is sent again.
        """
        ...


class Compose(Protocol):
    """What to say for a nudge; an empty tuple means nothing to ask (the nudge is skipped)."""

    async def __call__(
        self, owner: Owner, *, now: datetime, week: str, kind: NudgeKind
    ) -> tuple[Reply, ...]: ...
