"""The weekly check-in: a verdict per tactic, the metrics, a note, then adaptation.

Questions are asked one at a time (so a terminal or a DM reads naturally), each
button carries the week it belongs to, and every answer becomes a history entry that
replaces an earlier answer to the same question in the same week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from coaching.adaptation import Proposal, apply, proposals
from coaching.checkins import CheckinEntry, Verdict, week_key
from coaching.markup import escape
from coaching.model import Plan, Stage, Tactic
from coaching.parsing import is_nothing, parse_number, parse_verdict
from coaching.progress import readings
from coaching.render import STAGE_WORDS, amount, goal_of
from coaching.replies import Reply
from coaching.schedule import next_checkin

from .state import ConversationState
from .turn import Answer, Outcome, Snooze, Turn

VERDICTS: tuple[Verdict, ...] = ("yes", "somewhat", "no")
SNOOZE_DELAY = timedelta(days=1)


def at(subject: str, week: str) -> str:
    return f"{subject}@{week}"


def split_at(subject: str | None) -> tuple[str, str]:
    thing, _, week = (subject or "").partition("@")
    return thing, week


def checkin_tactics(plan: Plan) -> tuple[Tactic, ...]:
    """Tactics a check-in asks about, most important objective first: active ones with a job."""
    rank = {o.id: i for i, o in enumerate(plan.ranked_objectives())}
    asked = [t for t in plan.active_tactics() if plan.objective(t.objective) or t.job]
    return tuple(sorted(asked, key=lambda t: rank.get(t.objective or "", len(rank))))


def checkins_run(state: ConversationState, plan: Plan) -> bool:
    """Whether weekly check-ins run for this plan: once it is finished and has a tactic to ask
    about. The scheduler, the ``checkin`` command and the schedule replies all ask this."""
    return state.finished and bool(checkin_tactics(plan))


def week_answered(history: Iterable[CheckinEntry], week: str, tactics: Sequence[Tactic]) -> bool:
    """Whether every tactic asked about has its verdict for ``week`` already."""
    given = {e.subject for e in history if e.week == week and e.kind == "verdict"}
    return bool(tactics) and all(x.id in given for x in tactics)


def next_asked(plan: Plan, now: datetime, history: Sequence[CheckinEntry]) -> datetime | None:
    """The next check-in that will be sent: the schedule's next slot, or the one after it
    when that slot's week was answered early with ``checkin`` (it is then not sent)."""
    upcoming = next_checkin(plan, now)
    if upcoming is None:
        return None
    if week_answered(history, week_key(upcoming, plan.timezone), checkin_tactics(plan)):
        return next_checkin(plan, upcoming)
    return upcoming


def verdict_question(t: Turn, tactic: Tactic) -> str:
    goal = escape(goal_of(tactic, t.plan, t.knowledge))
    return t.wording.text("checkin", "verdict_ask", tactic=escape(tactic.label), goal=goal)


class CheckinSection:
    name = "checkin"

    def start(self, t: Turn, *, editing: bool) -> None:
        t.state = replace(
            t.state, asked=tuple(k for k in t.state.asked if not k.startswith(("checkin.", "adapt.")))
        )

    def next_question(self, t: Turn) -> tuple[str, str | None] | None:
        week = t.draft["week"]
        for tid in t.draft.get("open", []):
            if any(x.id == tid for x in t.plan.active_tactics()) and not t.asked(
                f"checkin.verdict:{at(tid, week)}"
            ):
                return ("checkin.verdict", at(tid, week))
        served = {x.objective for x in checkin_tactics(t.plan)}
        for objective in t.plan.ranked_objectives():
            asked = t.asked(f"checkin.metric:{at(objective.id, week)}")
            if objective.id in served and objective.target is not None and not asked:
                return ("checkin.metric", at(objective.id, week))
        if not t.asked(f"checkin.note:{at('note', week)}"):
            return ("checkin.note", at("note", week))
        if "proposals" not in t.draft:
            found = proposals(
                t.plan, t.all_history(), week=week, notices=t.state.notices, knowledge=t.knowledge
            )
            t.set_draft(proposals=[_proposal_dict(p) for p in found])
        for i, _ in enumerate(t.draft["proposals"]):
            if not t.asked(f"adapt.proposal:{at(str(i), week)}"):
                return ("adapt.proposal", at(str(i), week))
        return None

    def skippable(self, step: str) -> bool:
        return step in ("checkin.metric", "checkin.note", "checkin.verdict", "adapt.proposal")

    # Asking

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply:
        thing, _ = split_at(subject)
        if step == "checkin.verdict":
            tactic = next((x for x in t.plan.tactics if x.id == thing), None)
            text = verdict_question(t, tactic) if tactic else ""
            options: list[tuple[str, str]] = [(v, t.wording.text("checkin", v)) for v in VERDICTS]
            options.append(("snooze", t.wording.text("checkin", "snooze")))
            return t.question(step, subject, text, options)
        if step == "checkin.metric":
            return t.question(step, subject, self._metric_text(t, thing))
        if step == "checkin.note":
            return t.question(
                step,
                subject,
                t.wording.text("checkin", "note_ask"),
                [("none", t.wording.text("checkin", "note_none"))],
            )
        proposal = _proposal(t.draft["proposals"][int(thing)])
        return t.question(step, subject, self._proposal_text(t, proposal), self._options(t, proposal))

    def why(self, t: Turn, step: str) -> str:
        key = {"checkin.verdict": "verdict_why", "checkin.metric": "metric_why", "checkin.note": "note_why"}
        if step in key:
            return t.wording.text("checkin", key[step])
        return t.wording.text("adapt", "why")

    def _metric_text(self, t: Turn, oid: str) -> str:
        objective = t.plan.objective(oid)
        if objective is None or objective.target is None:
            return ""
        points = readings(objective, t.all_history())
        last = points[-1].value if points else objective.baseline
        return t.wording.text(
            "checkin",
            "metric_ask",
            metric=escape(objective.metric or objective.description),
            last=amount(last, objective.unit) if last is not None else "none yet",
            target=amount(objective.target, objective.unit),
            by=f" by {objective.deadline.isoformat()}" if objective.deadline else "",
        )

    def _proposal_text(self, t: Turn, p: Proposal) -> str:
        tactic = next((x for x in t.plan.tactics if x.id == p.subject), None)
        objective = t.plan.objective(p.subject)
        if p.rule == "struggling" and tactic:
            owner = t.plan.objective(tactic.objective)
            if p.facts.get("reason") == "no":
                reason = t.wording.text("adapt", "reason_no", count=p.facts.get("count", ""))
            else:
                reason = t.wording.text(
                    "adapt",
                    "reason_metric",
                    metric=escape(owner.metric or owner.description) if owner else "the metric",
                )
            return t.wording.text(
                "adapt",
                "struggling",
                tactic=escape(tactic.label),
                goal=escape(goal_of(tactic, t.plan, t.knowledge)),
                reason=reason,
            )
        if p.rule == "thriving" and tactic:
            stage = tactic.stage or Stage.LISTEN
            nxt = p.options[0].removeprefix("stage:")
            return t.wording.text(
                "adapt",
                "thriving",
                tactic=escape(tactic.label),
                count=p.facts.get("count", ""),
                stage=STAGE_WORDS[stage],
                next=STAGE_WORDS[Stage(nxt)],
            )
        if p.rule in ("objective_met", "objective_overdue") and objective:
            return t.wording.text("adapt", p.rule, objective=escape(objective.description))
        return t.wording.text("adapt", "review")

    def _options(self, t: Turn, p: Proposal) -> list[tuple[str, str]]:
        tactic = next((x for x in t.plan.tactics if x.id == p.subject), None)
        label = tactic.label if tactic else ""
        options = []
        for value in p.options:
            if value == "stage:listen" and p.rule == "struggling":
                text = t.wording.text("adapt", "back_to_listening")
            elif value.startswith("stage:"):
                text = t.wording.text(
                    "adapt", "next_stage", stage=STAGE_WORDS[Stage(value.removeprefix("stage:"))]
                )
            elif value.startswith("switch:"):
                channel = t.knowledge.channel(value.removeprefix("switch:"))
                text = t.wording.text("adapt", "switch", channel=channel.name if channel else value)
            elif value == "drop":
                text = t.wording.text("adapt", "drop", tactic=label)
            elif value.startswith("review:"):
                text = t.wording.text("adapt", value.replace(":", "_"))
            else:
                text = t.wording.text("adapt", value)
            options.append((value, text))
        return options

    # Answering

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome:
        thing, week = split_at(subject)
        if step == "checkin.verdict":
            return self.take_verdict(t, thing, week, a, changed=False)
        if step == "checkin.metric":
            value = parse_number(a.text)
            if value is None:
                t.say(t.wording.text("checkin", "metric_invalid"), "error")
                return "followup"
            t.record(
                CheckinEntry(
                    week=week, kind="metric", subject=thing, at=t.now, value=value, answered_by=t.actor
                )
            )
            return "ok"
        if step == "checkin.note":
            if a.value != "none" and not is_nothing(a.text):
                t.record(
                    CheckinEntry(
                        week=week, kind="note", subject="", at=t.now, text=a.text, answered_by=t.actor
                    )
                )
            return "ok"
        return self._take_proposal(t, int(thing), week, a)

    def take_verdict(self, t: Turn, tid: str, week: str, a: Answer, *, changed: bool) -> Outcome:
        if a.value == "snooze":
            t.effects.append(Snooze(until=t.now + SNOOZE_DELAY, week=week))
            t.say(t.wording.text("checkin", "snoozed"))
            return "followup"
        verdict = a.value if a.value in VERDICTS else parse_verdict(a.text)
        tactic = next((x for x in t.plan.tactics if x.id == tid), None)
        if verdict is None or tactic is None:
            return "retry"
        entry = CheckinEntry(
            week=week,
            kind="verdict",
            subject=tid,
            at=t.now,
            verdict=verdict,
            answered_by=t.actor,
        )
        t.record(entry)
        key = "verdict_changed" if changed else "verdict_ack"
        t.say(t.wording.text("checkin", key, tactic=escape(tactic.label), verdict=verdict))
        return "ok"

    def _take_proposal(self, t: Turn, index: int, week: str, a: Answer) -> Outcome:
        proposal = _proposal(t.draft["proposals"][index])
        value = a.value
        if value is None:
            options = self._options(t, proposal)
            lowered = a.text.casefold()
            value = next((v for v, label in options if label.casefold() in lowered), None)
            if value is None and parse_verdict(a.text) == "no":
                value = "not_now" if "not_now" in proposal.options else "keep"
        if value is None:
            return "retry"
        if value in ("keep", "not_now", "still_right"):
            if proposal.rule == "review":
                t.notice(f"reviewed:{week}")
            else:
                t.notice(f"declined:{proposal.rule}:{proposal.subject}:{week}")
                t.say(t.wording.text("adapt", "declined"))
            return "ok"
        if value.startswith("review:"):
            if proposal.rule == "review":
                t.notice(f"reviewed:{week}")
            t.set_draft(then_edit=value.removeprefix("review:"))
            return "ok"
        tactic = next((x for x in t.plan.tactics if x.id == proposal.subject), None)
        t.plan, facts = apply(t.plan, proposal, value, t.knowledge)
        if facts.get("kind") == "stage" and tactic:
            t.say(
                t.wording.text(
                    "adapt",
                    "applied_stage",
                    tactic=escape(tactic.label),
                    stage=STAGE_WORDS[Stage(facts["stage"])],
                )
            )
        elif facts.get("kind") == "switch":
            t.say(t.wording.text("adapt", "applied_switch", old=escape(facts["old"]), new=facts["new"]))
        elif facts.get("kind") == "drop" and tactic:
            t.say(t.wording.text("adapt", "applied_drop", tactic=escape(tactic.label)))
        return "ok"


def _proposal_dict(p: Proposal) -> dict[str, object]:
    return {"rule": p.rule, "subject": p.subject, "options": list(p.options), "facts": dict(p.facts)}


def _proposal(d: dict[str, object]) -> Proposal:
    options = d.get("options", [])
    facts = d.get("facts", {})
    return Proposal(
        rule=str(d.get("rule", "")),
        subject=str(d.get("subject", "")),
        options=tuple(str(o) for o in options) if isinstance(options, list) else (),
        facts={str(k): str(v) for k, v in facts.items()} if isinstance(facts, dict) else {},
    )
