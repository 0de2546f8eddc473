"""The coach's single entry point: one inbound message in, new state, plan and replies out.

``Coach.handle`` is a pure function of (stored state, stored plan, inbound): it does no
I/O and reads the time only from the inbound, so every behaviour can be tested in
microseconds and any replica can take any turn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coaching.chart import progress_chart
from coaching.checkins import CheckinEntry, entry_to_dict, week_key
from coaching.document import plan_from_document, plan_to_document
from coaching.inbound import Inbound
from coaching.knowledge import Knowledge, default_knowledge
from coaching.markup import escape
from coaching.model import Job, Plan, Tactic
from coaching.parsing import one_line
from coaching.progress import plan_progress, week_start
from coaching.render import job_goal, plan_markdown, progress_line
from coaching.replies import Attachment, Choice, Reply
from coaching.schedule import describe as describe_schedule
from coaching.wording import Wording, default_wording

from .checkin import (
    CheckinSection,
    checkin_tactics,
    checkins_run,
    next_asked,
    split_at,
    verdict_question,
    week_answered,
)
from .checks import tactic_job
from .commands import schedule_command
from .forget import ForgetSection
from .objectives import ObjectivesSection
from .priorities import PrioritiesSection
from .purpose import PurposeSection
from .state import SECTIONS, ConversationState
from .tactics import TacticsSection
from .text import MAX_ANSWER_CHARS, clean, resolve_choice
from .timezone import KNOWN as TIMEZONE_KNOWN
from .timezone import TimezoneSection
from .turn import Answer, Effect, Forget, Section, Turn, choice_id, split_choice_id

CONTROL_WORDS = {"back", "skip", "help", "why", "plan", "export", "forget", "edit", "start", "checkin"}
SCHEDULE_COMMANDS = {"schedule", "pause", "resume", "timezone"}
COMMAND_MAX_CHARS = 40  # "edit priorities" and friends; anything longer is an answer
NOTE_SHOWN = 200  # of a check-in's note in its summary; the history keeps all of it
SETUP_ORDER = (*SECTIONS, "timezone")


@dataclass(frozen=True, slots=True)
class TurnResult:
    state: ConversationState
    plan: Plan
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    records: tuple[CheckinEntry, ...] = ()
    #: False when a click belonged to a question no longer asked (or already answered),
    #: so adapters leave that message as it was instead of showing it as answered.
    accepted: bool = True


class Coach:
    """Holds the knowledge and wording; every call to :meth:`handle` is independent."""

    def __init__(self, *, knowledge: Knowledge | None = None, wording: Wording | None = None) -> None:
        self.knowledge = knowledge or default_knowledge()
        self.wording = wording or default_wording()
        self.sections: dict[str, Section] = {
            "purpose": PurposeSection(),
            "objectives": ObjectivesSection(),
            "priorities": PrioritiesSection(),
            "tactics": TacticsSection(),
            "timezone": TimezoneSection(),
            "checkin": CheckinSection(),
            "forget": ForgetSection(),
        }

    # Entry point

    def handle(
        self,
        state: ConversationState | None,
        plan: Plan | None,
        inbound: Inbound,
        *,
        history: Sequence[CheckinEntry] = (),
    ) -> TurnResult:
        t = self._turn(state, plan, inbound, history)
        command, argument = self._command_of(inbound)
        if state is None and command not in ("help", "plan", "export", "forget"):
            self._begin(t)
        elif command is not None:
            self._command(t, command, argument)
        elif inbound.choice is not None:
            self._choice(t, inbound.choice)
        else:
            self._text(t, inbound.text or "")
        return self._result(t)

    def checkin(
        self,
        state: ConversationState | None,
        plan: Plan | None,
        inbound: Inbound,
        *,
        week: str,
        reminder: bool,
        history: Sequence[CheckinEntry] = (),
    ) -> TurnResult:
        """Open (or, as a reminder, re-open) the week's check-in; no replies when there is nothing to ask."""
        t = self._turn(state, plan, inbound, history)
        if state is not None:
            self._start_checkin(t, week=week, reminder=reminder, manual=False)
        return self._result(t)

    def _turn(
        self,
        state: ConversationState | None,
        plan: Plan | None,
        inbound: Inbound,
        history: Sequence[CheckinEntry],
    ) -> Turn:
        t = Turn(
            knowledge=self.knowledge,
            wording=self.wording,
            now=inbound.now,
            state=state or ConversationState(),
            plan=plan or Plan(owner=inbound.owner),
            history=tuple(history),
            actor=inbound.actor,
        )
        self._apply_timezone_hint(t, inbound.timezone_hint)
        return t

    def _result(self, t: Turn) -> TurnResult:
        return TurnResult(
            state=t.state,
            plan=t.plan,
            replies=tuple(t.replies),
            effects=tuple(t.effects),
            records=tuple(t.records),
            accepted=t.accepted,
        )

    def current_question(self, state: ConversationState, plan: Plan, inbound: Inbound) -> Reply | None:
        """The question the conversation is waiting on, as it would be asked now."""
        if state.step is None:
            return None
        t = Turn(knowledge=self.knowledge, wording=self.wording, now=inbound.now, state=state, plan=plan)
        return self.sections[state.section].ask(t, state.step, state.subject)

    # Dispatch

    def _command_of(self, inbound: Inbound) -> tuple[str | None, str]:
        raw = inbound.command
        if raw is None and inbound.text is not None and len(inbound.text) <= COMMAND_MAX_CHARS:
            words = clean(inbound.text).lstrip("/").split(maxsplit=1)
            first = words[0].casefold() if words else ""
            takes_argument = first in ("edit", *SCHEDULE_COMMANDS)
            if first in CONTROL_WORDS | SCHEDULE_COMMANDS and (len(words) == 1 or takes_argument):
                raw = " ".join(words)
        if raw is None and inbound.choice and inbound.choice.startswith("edit|"):
            raw = "edit " + inbound.choice.rsplit("|", 1)[-1]
        if raw is None:
            return None, ""
        words = clean(raw).lstrip("/").split(maxsplit=1)
        if not words:
            return "start", ""
        return words[0].casefold(), (words[1] if len(words) > 1 else "")

    def _begin(self, t: Turn) -> None:
        t.say(self.wording.text("greeting", "new"))
        t.state = ConversationState(mode="setup", section="purpose", notices=t.state.notices)
        self.sections["purpose"].start(t, editing=False)
        self._advance(t)

    def _command(self, t: Turn, command: str, argument: str) -> None:
        if command == "start":
            if t.state.step is not None:
                t.say(self.wording.text("greeting", "resume"))
                self._reask(t)
            else:
                t.say(self.wording.text("greeting", "done"))
        elif command == "help":
            t.say(self.wording.text("help", "text"))
            self._reask(t)
        elif command == "why":
            if t.state.step is not None:
                t.say(self._why(t))
            else:
                t.say(self.wording.text("help", "text"))
        elif command == "plan":
            progress = plan_progress(t.plan, t.all_history(), t.now.date())
            t.say(
                plan_markdown(t.plan, self.knowledge, progress)
                if t.plan.objectives or t.plan.purpose.audience
                else self.wording.text("control", "plan_empty"),
                "summary",
            )
            self._reask(t)
        elif command == "export":
            t.replies.append(self._export(t))
            self._reask(t)
        elif command == "back":
            self._back(t)
        elif command == "skip":
            self._skip(t)
        elif command == "forget":
            self._interrupt(t, "forget", editing=False)
        elif command == "edit":
            self._edit(t, argument)
        elif command == "checkin":
            self._start_checkin(t, week=week_key(t.now, t.plan.timezone), reminder=False, manual=True)
        elif command in SCHEDULE_COMMANDS:
            schedule_command(t, command, argument)
            self._reask(t)
        else:
            t.say(self.wording.text("control", "unknown_command", command=command[:40]), "error")
            self._reask(t)

    def _choice(self, t: Turn, raw: str) -> None:
        parsed = split_choice_id(raw)
        state = t.state
        if parsed is None:
            t.accepted = False
            t.say(self.wording.text("control", "stale"))
            self._reask(t)
            return
        step, subject, value = parsed
        if step == "checkin.verdict" and (step != state.step or subject != state.subject):
            self._late_verdict(t, subject, value)
            return
        if step != state.step or subject != state.subject:
            key = f"{step}:{subject}" if subject else step
            t.accepted = False
            t.say(self.wording.text("control", "duplicate" if key in state.asked else "stale"))
            self._reask(t)
            return
        label = next((c.label for c in self._current_choices(t) if c.id == raw), "")
        self._answer(t, Answer(text=label, value=value))

    def _late_verdict(self, t: Turn, subject: str | None, value: str) -> None:
        """A verdict button other than the current question: a change of mind, or last week's."""
        tid, week = split_at(subject)
        state = t.state
        if state.mode != "checkin" or state.draft.get("week") != week:
            t.accepted = False
            t.say(self.wording.text("checkin", "verdict_closed"))
            self._reask(t)
            return
        key = f"checkin.verdict:{subject}"
        if key in state.asked:
            section = self.sections["checkin"]
            assert isinstance(section, CheckinSection)
            section.take_verdict(t, tid, week, Answer(text="", value=value), changed=True)
            self._reask(t)
            return
        t.accepted = False
        t.say(self.wording.text("control", "stale"))
        self._reask(t)

    def _text(self, t: Turn, raw: str) -> None:
        # Invisible characters are few in real text: a paste this long is too long either way.
        text = clean(raw) if len(raw) <= 4 * MAX_ANSWER_CHARS else raw
        if t.state.step is None:
            t.say(self.wording.text("greeting", "done"))
            return
        hint = "Type **help** if you're stuck."
        if not text:
            t.say(self.wording.text("control", "empty", hint=hint), "error")
            self._reask(t)
            return
        if len(text) > MAX_ANSWER_CHARS:
            t.say(
                self.wording.text(
                    "control", "too_long", length=f"{len(text):,}", limit=f"{MAX_ANSWER_CHARS:,}"
                ),
                "error",
            )
            self._reask(t)
            return
        question = self.current_question_of(t)
        value = resolve_choice(question, text) if question else None
        self._answer(t, Answer(text=text, value=value))

    # Moving through the conversation

    def _answer(self, t: Turn, a: Answer) -> None:
        state = t.state
        assert state.step is not None
        section = self.sections[state.section]
        before_state, before_plan = state, plan_to_document(t.plan)
        key = state.question_key or state.step
        t.mark(key)
        outcome = section.answer(t, state.step, state.subject, a)
        if outcome != "ok":
            t.state = replace(t.state, asked=before_state.asked)
            if outcome == "retry":
                question = self.current_question_of(t)
                hint = self.wording.text("control", "pick_one") if question and question.choices else ""
                t.say(self.wording.text("control", "not_understood", hint=hint).strip(), "error")
                self._reask(t)
            return
        if state.section == "forget":
            self._leave_interruption(t, forgotten=any(isinstance(e, Forget) for e in t.effects))
            return
        t.state = replace(t.state, history=before_state.pushed(before_plan).history)
        self._advance(t)

    def _advance(self, t: Turn) -> None:
        while True:
            state = t.state
            section = self.sections[state.section]
            question = section.next_question(t)
            if question is not None:
                t.state = replace(t.state, step=question[0], subject=question[1])
                t.replies.append(section.ask(t, *question))
                return
            if state.mode == "checkin":
                self._finish_checkin(t)
                return
            if state.mode == "setup" and state.section in SETUP_ORDER[:-1]:
                following = SETUP_ORDER[SETUP_ORDER.index(state.section) + 1]
                t.state = replace(state, section=following, draft={})
                self.sections[following].start(t, editing=False)
                continue
            if state.mode == "edit" and state.parked is not None:
                t.say(
                    self.wording.text("control", "section_saved", section=self._section_title(state.section))
                )
                self._leave_interruption(t, forgotten=False, reask=False)
                continue
            self._finish(t)
            return

    def _finish(self, t: Turn) -> None:
        first_setup = not t.state.finished
        t.state = replace(t.state, mode="idle", step=None, subject=None, draft={}, finished=True, parked=None)
        plan_text = plan_markdown(t.plan, self.knowledge)
        if first_setup:
            example = self._example_tactic(t.plan)
            if example:
                text = self.wording.text(
                    "closing",
                    "text",
                    plan=plan_text,
                    example_channel=example[0].label,
                    example_goal=job_goal(example[1], self.knowledge),
                )
            else:
                text = self.wording.text("closing", "text_no_tactic", plan=plan_text)
            t.say(text, "summary")
        else:
            t.say(
                self.wording.text("control", "section_saved", section="Plan") + "\n\n" + plan_text, "summary"
            )

    def _example_tactic(self, plan: Plan) -> tuple[Tactic, Job] | None:
        """The tactic serving the top-ranked objective, to show what a check-in will ask."""
        rank = {o.id: i for i, o in enumerate(plan.ranked_objectives())}
        candidates = [
            (rank.get(x.objective or "", len(rank)), x, job)
            for x in plan.active_tactics()
            if (job := tactic_job(x, plan)) is not None
        ]
        if not candidates:
            return None
        _, tactic, job = min(candidates, key=lambda c: c[0])
        return tactic, job

    def _why(self, t: Turn) -> str:
        section = self.sections[t.state.section]
        why = getattr(section, "why", None)
        if why is not None:
            return str(why(t, t.state.step))
        return t.words(t.state.step or "", "why")

    # Check-ins

    def _start_checkin(self, t: Turn, *, week: str, reminder: bool, manual: bool) -> None:
        state = t.state
        if not checkins_run(state, t.plan):
            if manual:
                t.say(self.wording.text("checkin", "not_ready"))
                self._reask(t)
            return
        if state.mode == "checkin" and state.draft.get("week") == week:
            if reminder and state.step is None:
                return
            t.say(self.wording.text("checkin", "reminder" if reminder else "resume"))
            self._reask(t)
            return
        if reminder:
            return
        tactics = checkin_tactics(t.plan)
        answered = week_answered(t.all_history(), week, tactics)
        if answered and not manual:
            return  # done already this week (with `checkin` before the scheduled time)
        parked = (
            state.to_dict(with_history=False) if state.mode == "edit" or state.section == "forget" else None
        )
        t.state = replace(
            state,
            mode="checkin",
            section="checkin",
            step=None,
            subject=None,
            parked=parked,
            draft={"week": week, "open": [x.id for x in tactics]},
        )
        self.sections["checkin"].start(t, editing=False)
        questions = "\n".join(f"- {verdict_question(t, x)}" for x in tactics)
        monday = week_start(week)
        key = "intro_again" if answered else "intro_manual" if manual else "intro"
        t.say(
            self.wording.text(
                "checkin", key, week=f"{monday:%A} {monday.day} {monday:%B}", questions=questions
            )
        )
        self._advance(t)

    def _finish_checkin(self, t: Turn) -> None:
        week = t.state.draft.get("week", "")
        then_edit = t.state.draft.get("then_edit")
        history = t.all_history()
        verdicts = {e.subject: e.verdict for e in history if e.week == week and e.kind == "verdict"}
        lines = [f"- {escape(x.label)}: {verdicts.get(x.id) or 'skipped'}" for x in checkin_tactics(t.plan)]
        note = next((e.text for e in history if e.week == week and e.kind == "note" and e.text), None)
        if note:
            shown = one_line(note)
            if len(shown) > NOTE_SHOWN:
                shown = shown[: NOTE_SHOWN - 1] + "…"
            lines.append(self.wording.text("checkin", "note_line", note=escape(shown)))
        progress = [
            f"- {escape(p.objective.description)}: {progress_line(p)}"
            for p in plan_progress(t.plan, history, t.now.date())
            if p.objective.target is not None
        ]
        text = self.wording.text("checkin", "done", summary="\n".join(lines))
        if progress:
            text += "\n\n" + self.wording.text("checkin", "progress", lines="\n".join(progress))
        when = describe_schedule(t.plan, t.now, upcoming=next_asked(t.plan, t.now, history))
        text += "\n\n" + self.wording.text("checkin", "next", when=when)
        t.say(text, "summary")
        parked = t.state.parked
        t.state = replace(
            t.state, mode="idle", section="tactics", step=None, subject=None, draft={}, parked=None
        )
        if then_edit in SECTIONS:
            self._edit(t, str(then_edit))
        elif parked is not None:
            t.state = ConversationState.from_dict(parked, history=t.state.history)
            self._reask(t)

    def _reask(self, t: Turn) -> None:
        question = self.current_question_of(t)
        if question is not None:
            t.replies.append(question)

    def current_question_of(self, t: Turn) -> Reply | None:
        if t.state.step is None:
            return None
        return self.sections[t.state.section].ask(t, t.state.step, t.state.subject)

    def _current_choices(self, t: Turn) -> tuple[Choice, ...]:
        question = self.current_question_of(t)
        return question.choices if question else ()

    def _back(self, t: Turn) -> None:
        history = t.state.history
        if not history:
            t.say(self.wording.text("control", "back_first"))
            self._reask(t)
            return
        snapshot = history[-1]
        t.state = ConversationState.from_dict(snapshot.state, history=history[:-1])
        t.plan = plan_from_document(snapshot.plan, owner=t.plan.owner)
        t.say(self.wording.text("control", "back_done"))
        self._reask(t)

    def _skip(self, t: Turn) -> None:
        state = t.state
        if state.step is None:
            t.say(self.wording.text("greeting", "done"))
            return
        if not self.sections[state.section].skippable(state.step):
            t.say(self.wording.text("control", "skip_refused"))
            self._reask(t)
            return
        before_plan = plan_to_document(t.plan)
        t.mark(state.question_key or state.step)
        if state.step == "objectives.describe" or state.step == "tactics.mix":
            t.set_draft(adding=False)
        t.state = replace(t.state, history=state.pushed(before_plan).history)
        t.say(self.wording.text("control", "skipped"))
        self._advance(t)

    def _edit(self, t: Turn, argument: str) -> None:
        wanted = argument.strip().casefold()
        name = next((s for s in SECTIONS if wanted and s.startswith(wanted[:4])), None)
        if name is None:
            options = tuple(
                Choice(id=choice_id("edit", None, s), label=self._section_title(s)) for s in SECTIONS
            )
            t.replies.append(
                Reply(text=self.wording.text("control", "edit_which"), choices=options, kind="question")
            )
            return
        t.say(self.wording.text("control", "edit_start", section=self._section_title(name)))
        self._interrupt(t, name, editing=True)

    def _interrupt(self, t: Turn, section: str, *, editing: bool) -> None:
        """Start an edit or a confirmation, parking the conversation to come back to it.

        An edit started from a finished plan parks nothing: it ends by showing the plan.
        """
        state = t.state
        if state.section == "forget" and state.parked is not None:
            state = ConversationState.from_dict(state.parked, history=state.history)
        if not editing:
            parked: dict[str, object] | None = state.to_dict(with_history=False)
        elif state.mode == "edit":
            parked = state.parked
        elif state.mode == "idle":
            parked = None
        else:
            parked = state.to_dict(with_history=False)
        t.state = replace(
            state, mode="edit" if editing else state.mode, section=section, parked=parked, draft={}
        )
        self.sections[section].start(t, editing=editing)
        self._advance(t)

    def _leave_interruption(self, t: Turn, *, forgotten: bool, reask: bool = True) -> None:
        if forgotten or t.state.parked is None:
            t.state = ConversationState()
            t.plan = Plan(owner=t.plan.owner)
            return
        t.state = ConversationState.from_dict(t.state.parked, history=t.state.history)
        if reask:
            self._reask(t)

    def _section_title(self, name: str) -> str:
        return self.wording.text("sections", name) if self.wording.has("sections", name) else name

    def _apply_timezone_hint(self, t: Turn, hint: str | None) -> None:
        """A platform-given timezone is taken once; after that only the person changes it."""
        if not hint or t.noticed(TIMEZONE_KNOWN):
            return
        try:
            ZoneInfo(hint)
        except (ZoneInfoNotFoundError, ValueError):
            return
        t.plan = replace(t.plan, timezone=hint)
        t.notice(TIMEZONE_KNOWN)

    def _export(self, t: Turn) -> Reply:
        """The plan as Markdown (with progress) and as the version-1 JSON document, plus history."""
        history = t.all_history()
        progress = plan_progress(t.plan, history, t.now.date())
        markdown = plan_markdown(t.plan, self.knowledge, progress)
        document = json.dumps(plan_to_document(t.plan), indent=2, ensure_ascii=False)
        attachments = [
            Attachment(
                filename="plan.md", mime_type="text/markdown", content=markdown.encode(), title="Plan"
            ),
            Attachment(
                filename="plan.json",
                mime_type="application/json",
                content=document.encode(),
                title="Plan (JSON)",
            ),
        ]
        chart = progress_chart(progress)
        if chart is not None:
            attachments.append(
                Attachment(filename="progress.png", mime_type="image/png", content=chart, title="Progress")
            )
        if history:
            rows = [entry_to_dict(e) for e in history]
            attachments.append(
                Attachment(
                    filename="checkins.json",
                    mime_type="application/json",
                    content=json.dumps(rows, indent=2, ensure_ascii=False).encode(),
                    title="Check-in history (JSON)",
                )
            )
        return Reply(
            text="Here's your plan, as Markdown and as JSON (the JSON can be imported again).",
            attachments=tuple(attachments),
            kind="summary",
        )
