"""What the platform adapters need from the rest of the bot, as small structural types.

The adapters never import ``bot``: the composition root hands them objects that fit
these protocols (``bot.service.CoachService`` for :class:`Coaching`, the store for
:class:`Tenants`), and tests hand them the same real objects. Slack and Discord need
the same things from the coach, so they share these.
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
    """Stops check-ins to a whole Slack workspace or Discord server once the app is removed."""

    async def deactivate_tenant(self, platform: str, tenant: str, *, reason: str, now: datetime) -> int:
        """Mark every owner of the tenant unreachable and skip their pending nudges; returns the count."""
        ...
