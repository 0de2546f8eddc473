"""One coaching turn from Slack: build the :class:`~coaching.inbound.Inbound`, run it, post the replies.

Shared by every entry point (slash command, DM, thread reply, button, App Home), so
the timezone hint, the clock and the event key are handled in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient

from adapters.ports import Coaching, TurnOutcome
from adapters.slack import wording
from adapters.slack.delivery import Delivery, Destination
from adapters.slack.profiles import Profiles
from coaching.inbound import Inbound
from coaching.model import Owner
from coaching.replies import Reply

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class Turns:
    def __init__(self, *, service: Coaching, clock: Clock, profiles: Profiles) -> None:
        self.service = service
        self.clock = clock
        self.profiles = profiles

    async def run(
        self,
        client: AsyncWebClient,
        *,
        owner: Owner,
        actor: str,
        destination: Destination,
        deliver: bool = True,
        text: str | None = None,
        choice: str | None = None,
        command: str | None = None,
        event_key: tuple[str, str, str] | None = None,
    ) -> TurnOutcome | None:
        """Run the turn; replies go to ``destination`` unless ``deliver`` is off (the caller posts them).

        When the coach itself fails (the database is down, a bug), the person is told so
        instead of waiting for an answer that never comes, and None is returned; Slack's
        own errors while posting are left to the caller.
        """
        hint = await self.profiles.timezone(client, tenant=owner.tenant, user_id=actor)
        inbound = Inbound(
            owner=owner,
            now=self.clock(),
            text=text,
            choice=choice,
            command=command,
            actor=actor,
            timezone_hint=hint,
        )
        try:
            outcome = await self.service.handle(inbound, event_key=event_key)
        except Exception:
            log.exception("Slack turn failed", extra={"tenant": owner.tenant})
            if destination is not None:
                await Delivery(client).send(
                    (Reply(text=wording.FAILED, kind="error"),), destination, kind=owner.kind
                )
            return None
        if destination is not None and not outcome.duplicate:
            await Delivery(client).send(outcome.replies, destination, kind=owner.kind)
        return outcome
