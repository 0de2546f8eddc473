"""The use case that joins the pure engine to storage: one turn, one transaction.

Loads the owner's conversation and plan, lets the engine decide, and saves the new
state together with any plan change in a single transaction guarded by a version
number. When another replica took a turn in between, the turn is simply run again
on the fresh state, so concurrent turns of one conversation are serialised.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.storage import Store
from coaching.chart import progress_chart
from coaching.conversation.engine import Coach, TurnResult
from coaching.conversation.state import ConversationState
from coaching.conversation.turn import Forget
from coaching.document import DocumentError, plan_from_document, plan_to_document
from coaching.forms import Field, FormResult, apply_form, form_fields
from coaching.inbound import Inbound
from coaching.model import Owner, Plan
from coaching.progress import ObjectiveProgress, plan_progress
from coaching.render import plan_markdown
from coaching.replies import Reply
from coaching.schedule import describe as describe_schedule

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class TurnConflictError(RuntimeError):
    """The conversation kept changing underneath us; extremely unlikely outside a stampede."""


@dataclass(frozen=True, slots=True)
class Outcome:
    replies: tuple[Reply, ...]
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Overview:
    """What an App Home or a plan embed shows: the plan with progress and the schedule."""

    plan: Plan | None
    markdown: str
    progress: tuple[ObjectiveProgress, ...]
    schedule: str | None
    chart: bytes | None


class CoachService:
    def __init__(self, *, store: Store, coach: Coach) -> None:
        self.store = store
        self.coach = coach

    async def handle(self, inbound: Inbound, *, event_key: tuple[str, str, str] | None = None) -> Outcome:
        """Run one turn; a retried platform event (same ``event_key``) is answered only once."""
        if event_key is not None and await self.store.is_processed(event_key):
            return Outcome(replies=(), duplicate=True)
        for _ in range(MAX_ATTEMPTS):
            snapshot = await self.store.load(inbound.owner)
            state = ConversationState.from_dict(snapshot.state) if snapshot.state else None
            plan = self._plan(inbound.owner, snapshot.plan)
            result: TurnResult = self.coach.handle(state, plan, inbound)
            if any(isinstance(e, Forget) for e in result.effects):
                await self.store.forget(inbound.owner)
                return Outcome(replies=result.replies)
            document = plan_to_document(result.plan)
            saved = await self.store.save_turn(
                inbound.owner,
                expected_version=snapshot.version,
                state=result.state.to_dict(),
                plan=document if document != snapshot.plan else None,
                now=inbound.now,
                event_key=event_key,
            )
            if saved == "saved":
                return Outcome(replies=result.replies)
            if saved == "duplicate":
                return Outcome(replies=(), duplicate=True)
            log.info("turn conflict, retrying", extra={"platform": inbound.owner.platform})
        raise TurnConflictError("conversation changed too often during one turn")

    async def overview(self, owner: Owner, *, now: datetime) -> Overview:
        snapshot = await self.store.load(owner)
        plan = self._plan(owner, snapshot.plan)
        if plan is None:
            return Overview(plan=None, markdown="", progress=(), schedule=None, chart=None)
        history = getattr(snapshot, "history", ())
        progress = plan_progress(plan, history, now.date())
        finished = bool(snapshot.state and snapshot.state.get("finished"))
        return Overview(
            plan=plan,
            markdown=plan_markdown(plan, self.coach.knowledge, progress),
            progress=progress,
            schedule=describe_schedule(plan, now) if finished else None,
            chart=progress_chart(progress),
        )

    async def form(self, owner: Owner, section: str) -> tuple[Field, ...]:
        """The fields of a section's edit form, filled with the stored plan."""
        plan = await self.plan(owner) or Plan(owner=owner)
        return form_fields(plan, section)

    async def submit_form(
        self, owner: Owner, section: str, values: Mapping[str, str], *, now: datetime
    ) -> FormResult:
        """Apply a whole section at once; nothing is stored when any field has an error."""
        for _ in range(MAX_ATTEMPTS):
            snapshot = await self.store.load(owner)
            plan = self._plan(owner, snapshot.plan) or Plan(owner=owner)
            result = apply_form(plan, section, values, now=now, knowledge=self.coach.knowledge)
            if not result.ok:
                return result
            state = snapshot.state or ConversationState().to_dict()
            saved = await self.store.save_turn(
                owner,
                expected_version=snapshot.version,
                state=state,
                plan=plan_to_document(result.plan),
                now=now,
            )
            if saved == "saved":
                return result
        raise TurnConflictError("conversation changed too often during one form submission")

    async def plan(self, owner: Owner) -> Plan | None:
        snapshot = await self.store.plan(owner)
        return self._plan(owner, snapshot)

    def _plan(self, owner: Owner, document: dict[str, object] | None) -> Plan | None:
        if document is None:
            return None
        try:
            return plan_from_document(document, owner=owner)
        except DocumentError:
            log.exception("stored plan could not be read; starting from an empty plan")
            return None
