"""One test per coaching check of METHOD.md ("What the coach checks and nudges")."""

from __future__ import annotations

from datetime import date

from coaching.conversation.checks import (
    missing_measures,
    over_budget,
    poor_fit,
    too_many_tactics,
    unaddressed_jobs,
    uncovered_objectives,
    unlinked_tactics,
)
from coaching.knowledge import default_knowledge
from coaching.model import Job, NotDoing, Objective, Owner, Plan, Priorities, Stage, Tactic

from .harness import PURPOSE_ANSWERS, Conversation, run_until

OWNER = Owner("console", "local", "bob")
SUPPORT = Objective(
    id="o1", job=Job.SUPPORT, description="answer fast", target=90, deadline=date(2027, 6, 30)
)
SALES = Objective(id="o2", job=Job.TRAFFIC, description="sell more", target=50, deadline=date(2027, 6, 30))


def tactic(
    tid: str, channel: str, objective: str | None, hours: float | None = 1, job: Job | None = None
) -> Tactic:
    return Tactic(
        id=tid, channel=channel, label=channel.title(), objective=objective, hours_per_week=hours, job=job
    )


def test_objective_without_number_or_date_is_flagged() -> None:
    assert missing_measures(Objective(id="o1", job=Job.SUPPORT, description="be helpful")) == (
        "target",
        "deadline",
    )
    assert missing_measures(SUPPORT) == ()


def test_poor_fit_gives_the_figure_and_good_fit_gives_nothing() -> None:
    kb = default_knowledge()
    plan = Plan(owner=OWNER, objectives=(SUPPORT, SALES))
    fit = poor_fit(tactic("t1", "twitter", "o2"), plan, kb)
    assert fit is not None and fit.figure is not None and "0.5%" in fit.figure
    pinterest = poor_fit(tactic("t2", "pinterest", "o1"), plan, kb)
    assert pinterest is not None and "support" in (pinterest.figure or "")
    assert poor_fit(tactic("t3", "twitter", "o1"), plan, kb) is None
    assert poor_fit(tactic("t4", "carrier pigeons", "o2"), plan, kb) is None, "unknown channels are accepted"


def test_more_than_three_tactics_is_flagged() -> None:
    three = tuple(tactic(f"t{i}", c, "o1") for i, c in enumerate(["twitter", "email", "reddit"]))
    plan = Plan(owner=OWNER, objectives=(SUPPORT,), tactics=three)
    assert not too_many_tactics(plan)
    assert too_many_tactics(
        Plan(owner=OWNER, objectives=(SUPPORT,), tactics=(*three, tactic("t9", "blog", "o1")))
    )


def test_job_with_no_tactic_is_pointed_out() -> None:
    plan = Plan(owner=OWNER, objectives=(SUPPORT, SALES), tactics=(tactic("t1", "twitter", "o1"),))
    assert uncovered_objectives(plan) == (SALES,)


def test_tactic_with_no_job_is_pointed_out() -> None:
    loose = tactic("t2", "instagram", None)
    plan = Plan(owner=OWNER, objectives=(SUPPORT,), tactics=(tactic("t1", "twitter", "o1"), loose))
    assert unlinked_tactics(plan) == (loose,)


def test_jobs_neither_served_nor_set_aside_are_listed() -> None:
    plan = Plan(
        owner=OWNER,
        objectives=(SUPPORT,),
        not_doing=(NotDoing(what="traffic", job=Job.TRAFFIC),),
    )
    assert unaddressed_jobs(plan) == (Job.TRENDS, Job.COMMUNITY)


def test_tactic_hours_over_the_weekly_budget_are_flagged() -> None:
    tactics = (tactic("t1", "twitter", "o1", hours=3), tactic("t2", "email", "o2", hours=2.5))
    plan = Plan(
        owner=OWNER, objectives=(SUPPORT, SALES), tactics=tactics, priorities=Priorities(hours_per_week=5)
    )
    assert over_budget(plan) == 5.5
    assert over_budget(Plan(owner=OWNER, tactics=tactics, priorities=Priorities(hours_per_week=6))) is None


# The same checks as the person meets them in the conversation.

TO_TACTICS = [
    *PURPOSE_ANSWERS,
    "Grow email sales from 20 to 50 a month by June",
    "done",
    "yes",
    "3 hours a week",
    "none",
    "yes",
]


def at_tactics() -> Conversation:
    convo = Conversation()
    run_until(convo, "tactics.mix", TO_TACTICS)
    return convo


def at_tactics_with_two_objectives(*, budget: str) -> Conversation:
    """At the tactics step with a sales objective (o1) ranked above a support one (o2)."""
    convo = Conversation()
    answers = [
        *PURPOSE_ANSWERS,
        "Grow email sales from 20 to 50 a month by June",
        "add",
        "Answer 90% of support questions within a day by end of Q2, now 60%",
        "done",
        "yes",
        "1 2",
        budget,
        "none",
        "yes",
    ]
    run_until(convo, "tactics.mix", answers)
    return convo


def test_poor_fit_is_said_once_with_the_figure_and_the_choice_is_respected() -> None:
    convo = at_tactics()
    reply = convo.say("Twitter for sales, 1h a week")
    assert "0.5%" in reply and convo.step == "tactics.fit"
    labels = [c.label for c in convo.question.choices]
    assert labels[0] == "Keep Twitter" and any(label.startswith("Switch to Email") for label in labels)
    convo.click("Keep Twitter")
    assert convo.plan.tactics[0].channel == "twitter"  # type: ignore[union-attr]
    convo.click("Listening")
    convo.say("yes")
    convo.say("edit tactics")
    convo.click("Add one")
    reply = convo.say("X for sales, 1h a week")
    assert "0.5%" not in reply, "a weak fit is mentioned once only"


def test_poor_fit_switch_replaces_the_channel() -> None:
    convo = at_tactics()
    convo.say("Twitter for sales, 1h a week")
    convo.click("Switch to Email")
    assert [t.channel for t in convo.plan.tactics] == ["email"]  # type: ignore[union-attr]


def test_more_than_three_tactics_asks_which_come_first() -> None:
    convo = at_tactics()
    convo.say("email for sales 1h, linkedin for sales 1h, youtube for sales 1h, pinterest for sales 1h")
    for _ in range(4):
        convo.click("Taking part")
    assert convo.step == "tactics.focus"
    convo.say("1 4")
    active = [t.channel for t in convo.plan.active_tactics()]  # type: ignore[union-attr]
    assert active == ["email", "pinterest"]
    assert len(convo.plan.tactics) == 4, "the rest stay on the later list"  # type: ignore[union-attr]


def test_tactic_without_a_job_asks_which_objective_it_serves() -> None:
    convo = at_tactics()
    convo.say("Instagram 1h a week")
    assert convo.step == "tactics.objective"
    convo.say("1")
    assert convo.plan.tactics[0].objective == "o1"  # type: ignore[union-attr]


def test_objective_with_no_tactic_is_pointed_out() -> None:
    convo = at_tactics_with_two_objectives(budget="3 hours a week")
    convo.say("email for sales 1h a week")
    convo.click("Taking part")
    assert convo.step == "tactics.uncovered"
    assert "Answer 90%" in convo.text
    convo.say("Twitter 1h a week")
    twitter = next(t for t in convo.plan.tactics if t.channel == "twitter")  # type: ignore[union-attr]
    assert twitter.objective == "o2"


def test_hours_over_budget_ask_what_to_cut() -> None:
    convo = at_tactics()
    convo.say("email for sales 2h a week, linkedin for sales 2h a week")
    convo.click("Taking part")
    convo.click("Taking part")
    assert convo.step == "tactics.budget"
    assert "4h" in convo.text and "3h" in convo.text
    convo.say("linkedin 1h")
    linkedin = next(t for t in convo.plan.tactics if t.channel == "linkedin")  # type: ignore[union-attr]
    assert linkedin.hours_per_week == 1
    assert convo.step == "tactics.confirm"


def test_one_channel_for_two_objectives_is_told_apart_and_its_stage_asked_once() -> None:
    convo = at_tactics_with_two_objectives(budget="5 hours a week")
    convo.say("Twitter for sales and support")
    convo.click("Keep Twitter")
    assert "How much time a week for Twitter for sales?" in convo.text
    convo.say("2h a week")
    convo.click("Taking part")
    assert "Twitter for support too" in convo.text
    assert "How much time a week for Twitter for support?" in convo.text
    convo.say("1h a week")
    assert convo.step != "tactics.stage", "where someone stands on Twitter was answered already"
    stages = {t.goal: t.stage for t in convo.plan.tactics}  # type: ignore[union-attr]
    assert stages == {"sales": Stage.PARTICIPATE, "support": Stage.PARTICIPATE}


def test_objective_left_uncovered_by_the_focus_offers_its_later_tactics() -> None:
    convo = at_tactics_with_two_objectives(budget="8 hours a week")
    convo.say("email for sales 1h, linkedin for sales 1h, twitter for support 1h, reddit for support 1h")
    while convo.step == "tactics.stage":
        convo.click("Listening")
    assert convo.step == "tactics.focus"
    convo.say("1 2")
    assert convo.step == "tactics.uncovered"
    assert [c.label for c in convo.question.choices] == [
        "Bring Twitter forward",
        "Bring Reddit forward",
        "Leave it for now",
    ]
    convo.say("reddit")
    active = [t.channel for t in convo.plan.active_tactics()]  # type: ignore[union-attr]
    assert active == ["email", "linkedin", "reddit"], "the later tactic comes forward, no second Reddit"
    assert len(convo.plan.tactics) == 4  # type: ignore[union-attr]
    assert convo.step == "tactics.confirm"
