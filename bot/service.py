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

from bot.observability.metrics import Metrics
from bot.storage import ScheduleSpec, Store, TurnSnapshot
from coaching.chart import progress_chart
from coaching.conversation.checkin import checkins_run, next_asked
from coaching.conversation.engine import Coach, TurnResult
from coaching.conversation.state import ConversationState
from coaching.conversation.turn import Forget, Snooze
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
    """A turn's replies; ``accepted`` is False for a click on a question no longer asked."""

    replies: tuple[Reply, ...]
    duplicate: bool = False
    accepted: bool = True


@dataclass(frozen=True, slots=True)
class Overview:
    """What an App Home or a plan embed shows: the plan with progress and the schedule."""

    plan: Plan | None
    markdown: str
    progress: tuple[ObjectiveProgress, ...]
    schedule: str | None
    chart: bytes | None


class CoachService:
    def __init__(self, *, store: Store, coach: Coach, metrics: Metrics | None = None) -> None:
        """``metrics`` counts turns (``coach_turns_total``); see :mod:`bot.observability.metrics`."""
        self.store = store
        self.coach = coach
        self._metrics = metrics or Metrics()

    async def handle(self, inbound: Inbound, *, event_key: tuple[str, str, str] | None = None) -> Outcome:
        """Run one turn; a retried platform event (same ``event_key``) is answered only once."""
        counters = self._metrics.turns_of(inbound.owner.platform)
        try:
            outcome = await self._turn(inbound, event_key)
        except Exception:
            counters.error.inc()
            raise
        if not outcome.duplicate:
            counters.ok.inc()
        return outcome

    async def _turn(self, inbound: Inbound, event_key: tuple[str, str, str] | None) -> Outcome:
        if event_key is not None and await self.store.is_processed(event_key):
            return Outcome(replies=(), duplicate=True)
        for _ in range(MAX_ATTEMPTS):
            snapshot = await self.store.load(inbound.owner, now=inbound.now)
            state = ConversationState.from_dict(snapshot.state) if snapshot.state else None
            plan = self._plan(inbound.owner, snapshot.plan)
            result: TurnResult = self.coach.handle(state, plan, inbound, history=snapshot.history)
            if any(isinstance(e, Forget) for e in result.effects):
                await self.store.forget(inbound.owner)
                return Outcome(replies=result.replies, accepted=result.accepted)
            if state is None and result.state.step is None and not result.records:
                # "help" or "plan" before any conversation: nothing to remember.
                return Outcome(replies=result.replies, accepted=result.accepted)
            if await self._save(inbound.owner, snapshot, result, now=inbound.now, event_key=event_key):
                return Outcome(replies=result.replies, accepted=result.accepted)
            if event_key is not None and await self.store.is_processed(event_key):
                return Outcome(replies=(), duplicate=True)
            log.info("turn conflict, retrying", extra={"platform": inbound.owner.platform})
        raise TurnConflictError("conversation changed too often during one turn")

    async def start_checkin(
        self, owner: Owner, *, now: datetime, week: str, reminder: bool
    ) -> tuple[Reply, ...]:
        """Open the week's check-in (or remind of it) and return what to send; () when nothing to ask.

        The scheduler calls this for each due nudge. The conversation state moves into
        the check-in in the same transaction, so whichever replica takes the person's
        answer knows which question it answers.
        """
        for _ in range(MAX_ATTEMPTS):
            snapshot = await self.store.load(owner, now=now)
            if snapshot.state is None:
                return ()
            state = ConversationState.from_dict(snapshot.state)
            plan = self._plan(owner, snapshot.plan)
            inbound = Inbound(owner=owner, now=now)
            result = self.coach.checkin(
                state, plan, inbound, week=week, reminder=reminder, history=snapshot.history
            )
            if not result.replies:
                return ()
            if await self._save(owner, snapshot, result, now=now, event_key=None):
                return result.replies
        raise TurnConflictError("conversation changed too often while opening a check-in")

    async def _save(
        self,
        owner: Owner,
        snapshot: TurnSnapshot,
        result: TurnResult,
        *,
        now: datetime,
        event_key: tuple[str, str, str] | None,
    ) -> bool:
        """Store a turn's state, plan change, answers and schedule in one transaction."""
        document = plan_to_document(result.plan)
        plan_changed = document != snapshot.plan
        was_finished = bool(snapshot.state and snapshot.state.get("finished"))
        saved = await self.store.save_turn(
            owner,
            expected_version=snapshot.version,
            state=result.state.to_dict(),
            plan=document if plan_changed else None,
            now=now,
            event_key=event_key,
            entries=result.records,
            schedule=schedule_spec(result) if plan_changed or was_finished != result.state.finished else None,
            plan_version=snapshot.plan_version,
            clear_unreachable=snapshot.unreachable,
        )
        if saved != "saved":
            return False
        for effect in result.effects:
            if isinstance(effect, Snooze):
                await self.store.snooze(owner, until=effect.until, week=effect.week, now=now)
        return True

    async def overview(self, owner: Owner, *, now: datetime) -> Overview:
        snapshot = await self.store.load(owner, now=now)
        plan = self._plan(owner, snapshot.plan)
        if plan is None:
            return Overview(plan=None, markdown="", progress=(), schedule=None, chart=None)
        progress = plan_progress(plan, snapshot.history, now.date())
        schedule = None
        if snapshot.state and snapshot.state.get("finished"):
            schedule = describe_schedule(plan, now, upcoming=next_asked(plan, now, snapshot.history))
        return Overview(
            plan=plan,
            markdown=plan_markdown(plan, self.coach.knowledge, progress),
            progress=progress,
            schedule=schedule,
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
            snapshot = await self.store.load(owner, now=now)
            plan = self._plan(owner, snapshot.plan) or Plan(owner=owner)
            result = apply_form(plan, section, values, now=now, knowledge=self.coach.knowledge)
            if not result.ok:
                return result
            state = snapshot.state or ConversationState().to_dict()
            document = plan_to_document(result.plan)
            saved = await self.store.save_turn(
                owner,
                expected_version=snapshot.version,
                state=state,
                plan=document if document != snapshot.plan else None,
                now=now,
                plan_version=snapshot.plan_version,
                clear_unreachable=snapshot.unreachable,
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


def schedule_spec(result: TurnResult) -> ScheduleSpec:
    """The scheduler's view of a plan: check-ins run once the plan is finished and has tactics."""
    plan, schedule = result.plan, result.plan.schedule
    return ScheduleSpec(
        weekday=schedule.weekday,
        time=schedule.time,
        timezone=plan.timezone,
        paused=schedule.paused,
        paused_until=schedule.paused_until,
        active=checkins_run(result.state, plan),
    )
