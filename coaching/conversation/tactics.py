"""Stage 4: the channels and activities that serve each objective, and the coach's checks.

The checks of METHOD.md live here as questions that appear only when they apply:
a tactic with no objective, a weak channel fit (said once, with the figure), a
missing time budget, more than three tactics at the start, an objective nothing
serves, and tactic hours over the weekly budget.
"""

from __future__ import annotations

import re
from dataclasses import replace

from coaching.markup import escape
from coaching.model import Job, NotDoing, Objective, Plan, Stage, Tactic
from coaching.parsing import (
    ChannelMatch,
    TacticDraft,
    detect_job,
    find_duration,
    is_nothing,
    match_channel,
    parse_hours_per_week,
    parse_stage,
    parse_tactic_mix,
)
from coaching.render import goal_of, hours, job_name, objectives_block, tactic_line, tactics_block
from coaching.replies import Reply

from .checks import (
    FOCUS_LIMIT,
    over_budget,
    poor_fit,
    tactic_job,
    unaddressed_jobs,
    uncovered_objectives,
    unlinked_tactics,
)
from .common import (
    answer_list_confirm,
    answer_review,
    confirm_question,
    confirm_value,
    next_id,
    numbers_in,
    reopen,
)
from .turn import Answer, Outcome, Turn

PREFIX = "tactics."
BETTER_FITS_SHOWN = 3


class TacticsSection:
    name = "tactics"

    def start(self, t: Turn, *, editing: bool) -> None:
        reopen(t, (PREFIX,))
        reviewing = editing and bool(t.plan.tactics)
        t.set_draft(reviewing=reviewing, adding=not reviewing, removing=False)

    def next_question(self, t: Turn) -> tuple[str, str | None] | None:
        d, plan = t.draft, t.plan
        if d.get("reviewing") and not t.asked("tactics.review"):
            return ("tactics.review", None)
        if d.get("removing"):
            return ("tactics.remove", None)
        if d.get("adding"):
            return ("tactics.mix", None)
        unlinked = {x.id for x in unlinked_tactics(plan)}
        for tactic in plan.active_tactics():
            tid = tactic.id
            if tid in unlinked and not t.asked(f"tactics.objective:{tid}"):
                return ("tactics.objective", tid)
            fit = poor_fit(tactic, plan, t.knowledge)
            if fit and not t.noticed(fit_notice(tactic, plan)) and not t.asked(f"tactics.fit:{tid}"):
                return ("tactics.fit", tid)
            if tactic.hours_per_week is None and not t.asked(f"tactics.hours:{tid}"):
                return ("tactics.hours", tid)
            if tactic.stage is None and not t.asked(f"tactics.stage:{tid}"):
                return ("tactics.stage", tid)
        for i, nothing in enumerate(plan.not_doing):
            if not nothing.would_use and not t.asked(f"tactics.would_use:{i}"):
                return ("tactics.would_use", str(i))
        if len(plan.active_tactics()) > FOCUS_LIMIT and not t.asked("tactics.focus"):
            return ("tactics.focus", None)
        for objective in uncovered_objectives(plan):
            if not t.asked(f"tactics.uncovered:{objective.id}"):
                return ("tactics.uncovered", objective.id)
        total = over_budget(plan)
        if total is not None and not t.asked(f"tactics.budget:{total:g}"):
            return ("tactics.budget", f"{total:g}")
        if not t.asked("tactics.confirm"):
            return ("tactics.confirm", None)
        return None

    def skippable(self, step: str) -> bool:
        return step not in ("tactics.confirm", "tactics.review", "tactics.remove")

    # Asking

    def ask(self, t: Turn, step: str, subject: str | None) -> Reply:
        plan, kb = t.plan, t.knowledge
        tactic = next((x for x in plan.tactics if x.id == subject), None)
        label = escape(tactic.label) if tactic else ""
        if step == "tactics.mix":
            if plan.tactics:
                return t.question(step, None, t.words(step, "ask_add"))
            return t.question(step, None, t.words(step, objectives=objectives_block(plan, kb)))
        if step == "tactics.objective" and tactic:
            options = [(o.id, o.description[:70]) for o in plan.ranked_objectives()]
            options += [("keep", t.words(step, "keep")), ("drop", t.words(step, "drop"))]
            if tactic.job:
                text = t.words(step, "ask_job", tactic=label, job=job_name(tactic.job, kb))
            else:
                text = t.words(step, tactic=label)
            return t.question(step, subject, text, options)
        if step == "tactics.fit" and tactic:
            return self._ask_fit(t, tactic)
        if step == "tactics.hours" and tactic and len(_same_channel(plan, tactic)) > 1:
            goal = escape(goal_of(tactic, plan, kb))
            return t.question(step, subject, t.words(step, "ask_shared", tactic=label, goal=goal))
        if step == "tactics.hours":
            return t.question(step, subject, t.words(step, tactic=label))
        if step == "tactics.stage":
            options = [(s.value, t.words(step, s.value)) for s in Stage]
            return t.question(step, subject, t.words(step, tactic=label), options)
        if step == "tactics.would_use" and subject is not None:
            nothing = plan.not_doing[int(subject)]
            return t.question(step, subject, t.words(step, what=escape(nothing.what)))
        if step == "tactics.focus":
            listing = "\n".join(
                f"{i}. {tactic_line(x, plan, kb)}" for i, x in enumerate(plan.active_tactics(), 1)
            )
            return t.question(step, None, t.words(step, count=len(plan.active_tactics()), tactics=listing))
        if step == "tactics.uncovered":
            objective = plan.objective(subject)
            text = t.words(step, objective=escape(objective.description if objective else ""))
            options = [
                (f"bring:{x.id}", t.words(step, "bring", tactic=x.label)) for x in _later_for(plan, subject)
            ]
            return t.question(step, subject, text, [*options, ("leave", t.words(step, "leave"))])
        if step == "tactics.budget":
            used = sum(x.hours_per_week or 0 for x in plan.active_tactics())
            budget = plan.priorities.hours_per_week or 0
            options = [(f"drop:{x.id}", t.words(step, "drop", tactic=x.label)) for x in plan.active_tactics()]
            options.append(("raise", t.words(step, "raise", total=hours(used))))
            text = t.words(step, total=hours(used), budget=hours(budget))
            return t.question(step, subject, text, options)
        if step == "tactics.review":
            options = [(v, t.words(step, v)) for v in ("keep", "add", "remove", "restart")]
            return t.question(step, None, t.words(step, summary=tactics_block(plan, kb)), options)
        if step == "tactics.remove":
            options = [(x.id, x.label[:70]) for x in plan.tactics]
            return t.question(step, None, t.words(step), options)
        summary = tactics_block(plan, kb)
        idle = unaddressed_jobs(plan)
        if idle:
            names = ", ".join(kb.jobs[j].goal for j in idle)
            summary += "\n" + t.words("tactics.confirm", "idle_jobs", jobs=names)
        return confirm_question(t, "tactics.confirm", summary)

    def _ask_fit(self, t: Turn, tactic: Tactic) -> Reply:
        plan, kb = t.plan, t.knowledge
        fit = poor_fit(tactic, plan, kb)
        job = tactic_job(tactic, plan)
        assert fit is not None
        assert job is not None
        better = kb.better_fits(job, exclude=tactic.channel)[:BETTER_FITS_SHOWN]
        names = ", ".join(c.name for c in better) or "none on file"
        values = {"tactic": escape(tactic.label), "job": job_name(job, kb), "reason": fit.reason}
        if fit.figure:
            text = t.words("tactics.fit", figure=fit.figure, better=names, **values)
        else:
            text = t.words("tactics.fit", "ask_no_figure", better=names, **values)
        options = [("keep", t.words("tactics.fit", "keep", tactic=tactic.label))]
        options += [(f"switch:{c.key}", t.words("tactics.fit", "switch", channel=c.name)) for c in better]
        return t.question("tactics.fit", tactic.id, text, options)

    # Answering

    def answer(self, t: Turn, step: str, subject: str | None, a: Answer) -> Outcome:
        handler = getattr(self, "_" + step.removeprefix(PREFIX))
        outcome: Outcome = handler(t, subject, a)
        return outcome

    def _mix(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        if is_nothing(a.text):
            t.set_draft(adding=False)
            return "ok"
        if not self._add_mix(t, a.text, forced_objective=None):
            t.say(t.words("tactics.mix", "invalid"), "error")
            return "followup"
        t.set_draft(adding=False)
        return "ok"

    def _add_mix(self, t: Turn, text: str, *, forced_objective: str | None) -> bool:
        mix = parse_tactic_mix(text, knowledge=t.knowledge)
        if not mix.tactics and not mix.nothing_for:
            return False
        added: list[Tactic] = []
        for draft in mix.tactics:
            tactic = self._tactic_from_draft(t.plan, draft, forced_objective)
            existing = next(
                (
                    x
                    for x in t.plan.tactics
                    if x.channel == tactic.channel and x.objective == tactic.objective
                ),
                None,
            )
            if existing is not None:
                merged = replace(
                    existing,
                    active=True,
                    hours_per_week=tactic.hours_per_week
                    if tactic.hours_per_week is not None
                    else existing.hours_per_week,
                    stage=tactic.stage or existing.stage,
                )
                self._replace_tactic(t, merged)
                continue
            t.plan = replace(t.plan, tactics=(*t.plan.tactics, tactic))
            added.append(tactic)
        for nothing in mix.nothing_for:
            entry = NotDoing(
                what=nothing.wording,
                job=nothing.job,
                would_use=tuple(c.key or c.label for c in nothing.would_use),
            )
            kept = tuple(n for n in t.plan.not_doing if n.job != nothing.job or n.what != nothing.wording)
            t.plan = replace(t.plan, not_doing=(*kept, entry))
        lines = [f"- {tactic_line(x, t.plan, t.knowledge)}" for x in added]
        lines += [f"- Nothing for {escape(n.wording)}" for n in mix.nothing_for]
        if lines:
            t.say("Noted:\n" + "\n".join(lines))
        return True

    def _tactic_from_draft(self, plan: Plan, draft: TacticDraft, forced_objective: str | None) -> Tactic:
        objective = plan.objective(forced_objective) or match_objective(plan, draft.job, draft.job_wording)
        job = objective.job if objective else draft.job
        return Tactic(
            id=next_id("t", [x.id for x in plan.tactics]),
            channel=draft.channel.key or draft.channel.label,
            label=draft.channel.label[:1].upper() + draft.channel.label[1:],
            objective=objective.id if objective else None,
            job=job,
            goal=draft.job_wording if draft.job is not None and draft.job == job else None,
            hours_per_week=draft.hours_per_week,
            stage=draft.stage,
        )

    def _replace_tactic(self, t: Turn, tactic: Tactic) -> None:
        t.plan = replace(t.plan, tactics=tuple(tactic if x.id == tactic.id else x for x in t.plan.tactics))

    def _tactic(self, t: Turn, subject: str | None) -> Tactic | None:
        return next((x for x in t.plan.tactics if x.id == subject), None)

    def _objective(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        tactic = self._tactic(t, subject)
        if tactic is None:
            return "ok"
        value = a.value
        if value is None:
            ranked = t.plan.ranked_objectives()
            picks = numbers_in(a.text)
            if picks and 0 < picks[0] <= len(ranked):
                value = ranked[picks[0] - 1].id
            elif (mention := detect_job(a.text, t.knowledge)) is not None:
                match = match_objective(t.plan, mention.job, mention.wording)
                value = match.id if match else None
        if value == "drop":
            t.plan = replace(t.plan, tactics=tuple(x for x in t.plan.tactics if x.id != tactic.id))
            return "ok"
        if value == "keep":
            return "ok"
        objective = t.plan.objective(value)
        if objective is None:
            return "retry"
        self._replace_tactic(t, replace(tactic, objective=objective.id, job=objective.job))
        return "ok"

    def _fit(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        tactic = self._tactic(t, subject)
        if tactic is None:
            return "ok"
        t.notice(fit_notice(tactic, t.plan))
        value = a.value
        if value is None:
            match = match_channel(a.text, t.knowledge)
            if match is not None and match.key is not None and match.key != tactic.channel:
                value = f"switch:{match.key}"
            elif confirm_value(a) == "yes" or "keep" in a.text.casefold():
                value = "keep"
        if value is None:
            return "retry"
        if value.startswith("switch:"):
            channel = t.knowledge.channel(value.removeprefix("switch:"))
            if channel is None:
                return "retry"
            self._replace_tactic(t, replace(tactic, channel=channel.key, label=channel.name))
            t.say(f"Switched to {channel.name}.")
        else:
            t.say(t.words("tactics.fit", "kept", tactic=escape(tactic.label)))
        return "ok"

    def _hours(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        tactic = self._tactic(t, subject)
        if tactic is None:
            return "ok"
        value = parse_hours_per_week(a.text)
        if value is None or value < 0:
            t.say(t.words("tactics.hours", "invalid"), "error")
            return "followup"
        self._replace_tactic(t, replace(tactic, hours_per_week=value))
        return "ok"

    def _stage(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        tactic = self._tactic(t, subject)
        if tactic is None:
            return "ok"
        stage = Stage(a.value) if a.value is not None and a.value in set(Stage) else parse_stage(a.text)
        if stage is None:
            return "retry"
        self._replace_tactic(t, replace(tactic, stage=stage))
        # Where someone stands is a matter of the channel, not of what it is for: the
        # same channel serving a second objective is not asked again.
        others = [x for x in _same_channel(t.plan, tactic) if x.id != tactic.id and x.stage is None]
        for other in others:
            self._replace_tactic(t, replace(other, stage=stage))
        if others:
            goals = ", ".join(escape(goal_of(x, t.plan, t.knowledge)) for x in others)
            t.say(t.words("tactics.stage", "shared", tactic=escape(tactic.label), goals=goals))
        return "ok"

    def _would_use(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        index = int(subject or 0)
        if index >= len(t.plan.not_doing) or is_nothing(a.text):
            return "ok"
        phrases = [p.strip() for p in re.split(r",|;|\band\b|\bor\b|&|/", a.text) if p.strip()]
        matches = [m for m in (match_channel(p, t.knowledge) for p in phrases) if m is not None]
        names = tuple(dict.fromkeys(m.key or m.label for m in matches))
        if not names:
            return "retry"
        entries = list(t.plan.not_doing)
        entries[index] = replace(entries[index], would_use=names)
        t.plan = replace(t.plan, not_doing=tuple(entries))
        return "ok"

    def _focus(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        active = list(t.plan.active_tactics())
        chosen = {active[n - 1].id for n in numbers_in(a.text) if 0 < n <= len(active)}
        if not chosen:
            chosen = {x.id for x in active if named_in(x, a.text, t)}
        if not chosen or len(chosen) > FOCUS_LIMIT:
            t.say(t.words("tactics.focus", "invalid"), "error")
            return "followup"
        t.plan = replace(
            t.plan,
            tactics=tuple(replace(x, active=x.id in chosen) if x.active else x for x in t.plan.tactics),
        )
        return "ok"

    def _uncovered(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        if a.value == "leave" or is_nothing(a.text):
            return "ok"
        later = _later_for(t.plan, subject)
        chosen = next((x for x in later if a.value == f"bring:{x.id}"), None)
        if chosen is None and a.value is None:
            chosen = next((x for x in later if named_in(x, a.text, t)), None)
        if chosen is not None:
            self._replace_tactic(t, replace(chosen, active=True))
            return "ok"
        if not self._add_mix(t, a.text, forced_objective=subject):
            t.say(t.words("tactics.mix", "invalid"), "error")
            return "followup"
        return "ok"

    def _budget(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        plan = t.plan
        used = sum(x.hours_per_week or 0 for x in plan.active_tactics())
        value = a.value
        if value == "raise" or (value is None and "budget" in a.text.casefold()):
            new = parse_hours_per_week(a.text) if value is None else None
            budget = max(new or used, used) if value is None else used
            t.plan = replace(plan, priorities=replace(plan.priorities, hours_per_week=budget))
            return "ok"
        if value is not None and value.startswith("drop:"):
            tid = value.removeprefix("drop:")
            t.plan = replace(plan, tactics=tuple(x for x in plan.tactics if x.id != tid))
            return "ok"
        target = next((x for x in plan.active_tactics() if named_in(x, a.text, t)), None)
        duration = find_duration(a.text)
        if target is None:
            t.say(t.words("tactics.budget", "invalid"), "error")
            return "followup"
        if duration is None or "drop" in a.text.casefold() or "cut" in a.text.casefold():
            t.plan = replace(plan, tactics=tuple(x for x in plan.tactics if x.id != target.id))
        else:
            self._replace_tactic(t, replace(target, hours_per_week=duration[0]))
        return "ok"

    def _review(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        return answer_review(t, a, section="tactics", restart=_restart)

    def _remove(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        tactic = self._tactic(t, a.value) if a.value else None
        if tactic is None:
            tactic = next((x for x in t.plan.tactics if named_in(x, a.text, t)), None)
        if tactic is None:
            picks = numbers_in(a.text)
            if picks and 0 < picks[0] <= len(t.plan.tactics):
                tactic = t.plan.tactics[picks[0] - 1]
        if tactic is None:
            return "retry"
        t.plan = replace(t.plan, tactics=tuple(x for x in t.plan.tactics if x.id != tactic.id))
        t.set_draft(removing=False)
        reopen(t, ("tactics.review", "tactics.confirm"))
        return "ok"

    def _confirm(self, t: Turn, subject: str | None, a: Answer) -> Outcome:
        return answer_list_confirm(t, a, section="tactics")


def _later_for(plan: Plan, objective: str | None) -> list[Tactic]:
    """Tactics on the "later" list that would serve ``objective``: the first way to cover it."""
    return [x for x in plan.tactics if not x.active and x.objective == objective]


def _same_channel(plan: Plan, tactic: Tactic) -> list[Tactic]:
    """The active tactics on ``tactic``'s channel: one line can put a channel to two uses."""
    return [x for x in plan.active_tactics() if x.channel == tactic.channel]


def fit_notice(tactic: Tactic, plan: Plan) -> str:
    """The key under which a weak-fit warning is remembered, so it is said once only."""
    return f"fit:{tactic.channel}:{tactic_job(tactic, plan)}"


def match_objective(plan: Plan, job: Job | None, wording: str | None) -> Objective | None:
    """The objective a tactic "for <job>" serves: same job, the one naming the word first."""
    if job is None:
        return None
    candidates = [o for o in plan.ranked_objectives() if o.job == job]
    if wording:
        worded = [o for o in candidates if wording.casefold() in o.description.casefold()]
        if worded:
            return worded[0]
    return candidates[0] if candidates else None


def named_in(tactic: Tactic, text: str, t: Turn) -> bool:
    """Whether the person's words name this tactic, by label or by a channel alias."""
    lowered = text.casefold()
    if tactic.label.casefold() in lowered or tactic.channel.casefold() in lowered:
        return True
    for phrase in re.split(r",|;|\band\b|\d+\s*h\w*|\s{2,}", text):
        match: ChannelMatch | None = match_channel(phrase.strip(), t.knowledge) if phrase.strip() else None
        if match is not None and match.key is not None and match.key == tactic.channel:
            return True
    return False


def _restart(t: Turn) -> None:
    t.plan = replace(t.plan, tactics=(), not_doing=())
