"""Adaptation: what the weekly answers suggest changing in the plan.

The thresholds and cool-downs live in ``content/adaptation.toml``; this module turns
them into proposals (each one declinable) and applies the accepted ones.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from coaching.checkins import CheckinEntry
from coaching.knowledge import Knowledge
from coaching.model import Plan, Stage, Tactic
from coaching.progress import improving, moving_away, plan_progress, week_start

NEXT_STAGE = {Stage.LISTEN: Stage.PARTICIPATE, Stage.PARTICIPATE: Stage.LEAD}


@dataclass(frozen=True, slots=True)
class Proposal:
    """A suggested change; ``options`` are (value, kind) pairs the engine words and offers."""

    rule: str
    subject: str
    options: tuple[str, ...]
    facts: Mapping[str, str]


@cache
def rules() -> Mapping[str, Mapping[str, Any]]:
    raw = (resources.files("coaching") / "content" / "adaptation.toml").read_text("utf-8")
    return tomllib.loads(raw)


def declined_recently(notices: Sequence[str], rule: str, subject: str, week: str) -> bool:
    """Whether this proposal was declined within its rule's cool-down."""
    cooldown = int(rules()[_family(rule)]["cooldown_weeks"])
    prefix = f"declined:{rule}:{subject}:"
    now = week_start(week)
    return any(
        n.startswith(prefix) and (now - week_start(n[len(prefix) :])).days < cooldown * 7 for n in notices
    )


def _family(rule: str) -> str:
    return "objective_done" if rule.startswith("objective_") else rule


def _streak(history: Sequence[CheckinEntry], tactic_id: str, verdict: str) -> int:
    verdicts = sorted((e.week, e.verdict) for e in history if e.kind == "verdict" and e.subject == tactic_id)
    count = 0
    for _, v in reversed(verdicts):
        if v != verdict:
            break
        count += 1
    return count


def proposals(
    plan: Plan,
    history: Sequence[CheckinEntry],
    *,
    week: str,
    notices: Sequence[str],
    knowledge: Knowledge,
) -> list[Proposal]:
    """Every proposal the answers so far support, minus those declined recently."""
    found: list[Proposal] = []
    found += _tactic_proposals(plan, history, knowledge)
    found += _objective_proposals(plan, history, week_start(week))
    found += _review_proposal(history, week, notices)
    return [p for p in found if not declined_recently(notices, p.rule, p.subject, week)]


def _tactic_proposals(plan: Plan, history: Sequence[CheckinEntry], knowledge: Knowledge) -> list[Proposal]:
    struggling, thriving = rules()["struggling"], rules()["thriving"]
    found = []
    for tactic in plan.active_tactics():
        objective = plan.objective(tactic.objective)
        no_run = _streak(history, tactic.id, "no")
        away = objective is not None and moving_away(
            objective, history, int(struggling["metric_away_streak"])
        )
        if no_run >= int(struggling["no_streak"]) or away:
            options = []
            if tactic.stage not in (None, Stage.LISTEN):
                options.append("stage:listen")
            job = objective.job if objective else tactic.job
            if job is not None:
                taken = {t.channel for t in plan.tactics}
                better = [c for c in knowledge.better_fits(job) if c.key not in taken]
                options += [f"switch:{c.key}" for c in better[: int(struggling["offer_switches"])]]
            options += ["drop", "keep"]
            reason = "no" if no_run >= int(struggling["no_streak"]) else "metric"
            found.append(
                Proposal("struggling", tactic.id, tuple(options), {"reason": reason, "count": str(no_run)})
            )
            continue
        yes_run = _streak(history, tactic.id, "yes")
        stage = tactic.stage or Stage.LISTEN
        better_metric = improving(objective, history) if objective else None
        if yes_run >= int(thriving["yes_streak"]) and stage in NEXT_STAGE and better_metric is not False:
            nxt = NEXT_STAGE[stage]
            found.append(
                Proposal("thriving", tactic.id, (f"stage:{nxt.value}", "not_now"), {"count": str(yes_run)})
            )
    return found


def _objective_proposals(plan: Plan, history: Sequence[CheckinEntry], today: date) -> list[Proposal]:
    found = []
    for progress in plan_progress(plan, history, today):
        objective = progress.objective
        overdue = objective.deadline is not None and objective.deadline < today and progress.status != "met"
        if progress.status == "met":
            found.append(Proposal("objective_met", objective.id, ("review:objectives", "not_now"), {}))
        elif overdue:
            found.append(Proposal("objective_overdue", objective.id, ("review:objectives", "not_now"), {}))
    return found


def _review_proposal(history: Sequence[CheckinEntry], week: str, notices: Sequence[str]) -> list[Proposal]:
    every = int(rules()["review"]["every_weeks"])
    last_review = max((n.split(":", 1)[1] for n in notices if n.startswith("reviewed:")), default=None)
    weeks = sorted({e.week for e in history if last_review is None or e.week > last_review} | {week})
    if len(weeks) < every:
        return []
    return [Proposal("review", "", ("still_right", "review:purpose", "review:objectives"), {})]


def apply(plan: Plan, proposal: Proposal, value: str, knowledge: Knowledge) -> tuple[Plan, dict[str, str]]:
    """The plan with an accepted option applied, and facts for the confirmation message."""
    tactic = next((t for t in plan.tactics if t.id == proposal.subject), None)
    if tactic is None:
        return plan, {}
    if value.startswith("stage:"):
        stage = Stage(value.removeprefix("stage:"))
        return _replace_tactic(plan, replace(tactic, stage=stage)), {"kind": "stage", "stage": stage.value}
    if value.startswith("switch:"):
        channel = knowledge.channel(value.removeprefix("switch:"))
        if channel is None:
            return plan, {}
        new = replace(tactic, channel=channel.key, label=channel.name, stage=Stage.LISTEN)
        return _replace_tactic(plan, new), {"kind": "switch", "old": tactic.label, "new": channel.name}
    if value == "drop":
        kept = tuple(t for t in plan.tactics if t.id != tactic.id)
        return replace(plan, tactics=kept), {"kind": "drop"}
    return plan, {}


def _replace_tactic(plan: Plan, tactic: Tactic) -> Plan:
    return replace(plan, tactics=tuple(tactic if t.id == tactic.id else t for t in plan.tactics))
