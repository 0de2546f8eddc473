"""What the Slack adapter needs from the rest of the bot, as small structural types.

The adapter never imports ``bot``: the composition root hands it objects that fit
these protocols (``bot.service.CoachService`` for :class:`Coaching`, the storage
layer for :class:`Workspaces`), and tests can hand it the same real objects.
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
    """The plan with progress (light markup) and the schedule, for the App Home tab."""

    @property
    def plan(self) -> Plan | None: ...

    @property
    def markdown(self) -> str: ...

    @property
    def schedule(self) -> str | None: ...


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


class Workspaces(Protocol):
    """Stops check-ins to a whole workspace once the app can no longer reach it."""

    async def deactivate_tenant(self, platform: str, tenant: str, *, reason: str, now: datetime) -> int:
        """Mark every owner of the tenant unreachable and skip their pending nudges; returns the count."""
        ...
