"""What the Discord adapter needs from the rest of the bot, as small structural types.

The adapter never imports ``bot``'s service: the composition root hands it an object
that fits :class:`Coaching` (``bot.service.CoachService``), and tests hand it the same
real object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from coaching.forms import Field, FormResult
from coaching.inbound import Inbound
from coaching.model import Owner, Plan
from coaching.replies import Reply


class TurnOutcome(Protocol):
    """The replies of one turn; ``duplicate`` when the platform event was seen before,
    ``accepted`` False when a click belonged to a question no longer asked."""

    @property
    def replies(self) -> Sequence[Reply]: ...

    @property
    def duplicate(self) -> bool: ...

    @property
    def accepted(self) -> bool: ...


class PlanOverview(Protocol):
    """The plan with progress (light markup), the schedule and the progress chart (PNG)."""

    @property
    def plan(self) -> Plan | None: ...

    @property
    def markdown(self) -> str: ...

    @property
    def schedule(self) -> str | None: ...

    @property
    def chart(self) -> bytes | None: ...


class Coaching(Protocol):
    """The coach as a use case: turns, an overview, and section forms."""

    async def handle(
        self, inbound: Inbound, *, event_key: tuple[str, str, str] | None = None
    ) -> TurnOutcome: ...

    async def overview(self, owner: Owner, *, now: datetime) -> PlanOverview: ...

    async def form(self, owner: Owner, section: str) -> Sequence[Field]: ...

    async def submit_form(
        self, owner: Owner, section: str, values: Mapping[str, str], *, now: datetime
    ) -> FormResult: ...

    async def plan(self, owner: Owner) -> Plan | None: ...


class Tenants(Protocol):
    """Stops check-ins to a whole server once the bot has been removed from it."""

    async def deactivate_tenant(self, platform: str, tenant: str, *, reason: str, now: datetime) -> int:
        """Mark every owner of the tenant unreachable and skip their pending nudges; returns the count."""
        ...
