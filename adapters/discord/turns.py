"""One coaching turn from Discord: the :class:`~coaching.inbound.Inbound`, the clock, the event key.

Shared by every entry point (DMs, slash commands, clicks, typed answers) so they build
the engine's input the same way and take their turns in arrival order
(:mod:`adapters.discord.ordering`). Discord tells a bot nothing about a person's
timezone, so there is no hint: the coach asks once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from adapters.discord.identity import event_key
from adapters.discord.ordering import InOrder
from adapters.ports import Coaching, TurnOutcome
from coaching.inbound import Inbound
from coaching.model import Owner

Clock = Callable[[], datetime]


class Turns:
    def __init__(self, *, service: Coaching, clock: Clock) -> None:
        self.service = service
        self.clock = clock
        self.in_order = InOrder()

    async def run(
        self,
        owner: Owner,
        *,
        actor: int,
        event_id: int,
        text: str | None = None,
        choice: str | None = None,
        command: str | None = None,
    ) -> TurnOutcome:
        """Run the turn; ``event_id`` (the message or interaction id) makes a replay a no-op."""
        async with self.in_order.turn(owner):
            inbound = Inbound(
                owner=owner, now=self.clock(), text=text, choice=choice, command=command, actor=str(actor)
            )
            return await self.service.handle(inbound, event_key=event_key(owner, event_id))
