"""A conversation test bot in the spirit of errbot's: say something, read the replies.

It runs the real engine and keeps the state between turns exactly as storage would
(through JSON), with a clock the test moves by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from adapters.console.render import plain
from coaching.checkins import CheckinEntry, week_key
from coaching.conversation.engine import Coach, TurnResult
from coaching.conversation.state import ConversationState
from coaching.conversation.turn import Effect
from coaching.document import plan_from_document, plan_to_document
from coaching.inbound import Inbound
from coaching.model import Owner, Plan
from coaching.replies import Reply

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
OWNER = Owner(platform="console", tenant="local", subject="alice")


@dataclass
class Conversation:
    coach: Coach = field(default_factory=Coach)
    owner: Owner = OWNER
    now: datetime = START
    state: ConversationState | None = None
    plan: Plan | None = None
    last: tuple[Reply, ...] = ()
    timezone_hint: str | None = "Europe/Berlin"
    history: list[CheckinEntry] = field(default_factory=list)
    effects: tuple[Effect, ...] = ()
    accepted: bool = True

    def _run(self, inbound: Inbound) -> TurnResult:
        return self._keep(self.coach.handle(self.state, self.plan, inbound, history=self.history))

    def _keep(self, result: TurnResult) -> TurnResult:
        # A new answer for the same week and question replaces the old one, as in storage.
        fresh = {(e.week, e.kind, e.subject) for e in result.records}
        self.history = [e for e in self.history if (e.week, e.kind, e.subject) not in fresh]
        self.history += result.records
        self.effects = result.effects
        self.accepted = result.accepted
        # Round-trip through JSON like the database does, so nothing survives only in memory.
        self.state = ConversationState.from_dict(json.loads(json.dumps(result.state.to_dict())))
        document = json.loads(json.dumps(plan_to_document(result.plan)))
        self.plan = plan_from_document(document, owner=self.owner)
        self.last = result.replies
        return result

    def start(self) -> str:
        self._run(Inbound(owner=self.owner, now=self.now, command="", timezone_hint=self.timezone_hint))
        return self.text

    def say(self, text: str) -> str:
        self._run(Inbound(owner=self.owner, now=self.now, text=text))
        return self.text

    def command(self, command: str) -> TurnResult:
        return self._run(Inbound(owner=self.owner, now=self.now, command=command))

    def click(self, label: str) -> str:
        """Press the button with this label on the latest question."""
        choice = next(c for r in reversed(self.last) for c in r.choices if c.label == label)
        self._run(Inbound(owner=self.owner, now=self.now, choice=choice.id))
        return self.text

    def click_id(self, choice_id: str) -> str:
        self._run(Inbound(owner=self.owner, now=self.now, choice=choice_id))
        return self.text

    def checkin(self, *, reminder: bool = False) -> str:
        """What the scheduler would send this owner now: the week's check-in (or its reminder)."""
        assert self.plan is not None
        week = week_key(self.now, self.plan.timezone)
        inbound = Inbound(owner=self.owner, now=self.now)
        self._keep(
            self.coach.checkin(
                self.state, self.plan, inbound, week=week, reminder=reminder, history=self.history
            )
        )
        return self.text

    def current_question(self) -> Reply | None:
        """The question as it would be asked again now, rebuilt from stored state only."""
        assert self.state is not None and self.plan is not None
        return self.coach.current_question(self.state, self.plan, Inbound(owner=self.owner, now=self.now))

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    @property
    def text(self) -> str:
        return "\n\n".join(plain(r.text) for r in self.last)

    @property
    def question(self) -> Reply:
        return self.last[-1]

    @property
    def step(self) -> str | None:
        return self.state.step if self.state else None


WORKED_EXAMPLE = [
    "People who build and sell small software tools on their own",
    "Honest, practical answers from someone who runs the same kind of business",
    "Help customers get more out of the product and sell upgrades to the ones who love it",
    "The 40 customers who emailed us in the last year",
    "yes",
    "Answer 90% of support questions on Twitter within a day by end of Q2, now about 60%",
    "add",
    "Grow email sales from 20 to 50 a month by June",
    "add",
    "Hear about 3 new industry trends a month from peers by end of Q2",
    "about 1",
    "done",
    "yes",
    "1 2 3",
    "5 hours a week",
    "no weekends, not on Facebook or LinkedIn",
    "yes",
    "email for sales, Twitter for support, drinks with industry friends for trends, "
    "nothing for traffic (YouTube and SlideShare if it ever mattered)",
    "2h a week",
    "Taking part",
    "2h a week",
    "Taking part",
    "1h a week",
    "Listening",
    "yes",
]


PURPOSE_ANSWERS = WORKED_EXAMPLE[:5]


def run_until(convo: Conversation, step: str, answers: list[str]) -> None:
    """Answer from the list until the conversation reaches ``step``."""
    convo.start()
    for answer in answers:
        if convo.step == step:
            return
        convo.say(answer)
    assert convo.step == step, f"never reached {step}; at {convo.step}"
