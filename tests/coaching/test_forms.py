"""Section forms (Slack and Discord modals): every field checked, errors per field."""

from __future__ import annotations

from datetime import date

from coaching.forms import apply_form, form_fields
from coaching.knowledge import default_knowledge
from coaching.model import Plan, Stage

from .harness import START, WORKED_EXAMPLE, Conversation


def worked_plan() -> Plan:
    convo = Conversation()
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    assert convo.plan is not None
    return convo.plan


def submit(plan: Plan, section: str, **changes: str):  # type: ignore[no-untyped-def]
    values = {f.name: f.value for f in form_fields(plan, section)}
    values.update({k.replace("__", "."): v for k, v in changes.items()})
    return apply_form(plan, section, values, now=START, knowledge=default_knowledge())


def test_unchanged_forms_keep_the_plan() -> None:
    plan = worked_plan()
    for section in ("purpose", "objectives", "priorities", "tactics"):
        result = submit(plan, section)
        assert result.ok, (section, result.errors)
        assert result.plan == plan, section


def test_purpose_form_refuses_everyone() -> None:
    result = submit(worked_plan(), "purpose", audience="everyone")
    assert set(result.errors) == {"audience"}
    assert result.plan.purpose.audience == WORKED_EXAMPLE[0], "nothing changed"


def test_objective_fields_are_validated_one_by_one() -> None:
    result = submit(worked_plan(), "objectives", o1__target="lots", o2__deadline="someday")
    assert set(result.errors) == {"o1.target", "o2.deadline"}


def test_objective_form_edits_removes_and_adds() -> None:
    plan = worked_plan()
    result = submit(
        plan,
        "objectives",
        o1__target="95%",
        o3__description="",
        new__objective="Grow the Discord community from 50 to 200 members by June",
    )
    assert result.ok, result.errors
    objectives = {o.id: o for o in result.plan.objectives}
    assert objectives["o1"].target == 95 and "o3" not in objectives
    assert objectives["o4"].target == 200 and objectives["o4"].deadline == date(2027, 6, 30)
    drinks = next(t for t in result.plan.tactics if t.channel == "drinks with industry friends")
    assert drinks.objective is None, "its objective was removed"


def test_priorities_form_needs_a_sane_budget() -> None:
    assert set(submit(worked_plan(), "priorities", hours_per_week="500").errors) == {"hours_per_week"}
    result = submit(
        worked_plan(), "priorities", hours_per_week="30 min a day", boundaries="no weekends\nno DMs"
    )
    assert result.plan.priorities.hours_per_week == 2.5
    assert result.plan.priorities.boundaries == ("no weekends", "no DMs")


def test_tactics_form_changes_hours_stage_and_adds() -> None:
    result = submit(
        worked_plan(),
        "tactics",
        t2__hours="3h",
        t2__stage="lead",
        t3__keep="remove",
        new__tactics="LinkedIn for sales, 1h a week",
    )
    assert result.ok, result.errors
    tactics = {t.id: t for t in result.plan.tactics}
    assert tactics["t2"].hours_per_week == 3 and tactics["t2"].stage is Stage.LEAD
    assert "t3" not in tactics and tactics["t4"].channel == "linkedin"
    assert bool(submit(worked_plan(), "tactics", t1__hours="a lot").errors)
