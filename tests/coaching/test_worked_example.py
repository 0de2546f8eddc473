"""The worked example of METHOD.md, held exactly, in-process."""

from __future__ import annotations

from datetime import date

from coaching.document import plan_to_document
from coaching.model import Job, Stage

from .harness import WORKED_EXAMPLE, Conversation


def test_worked_example_builds_the_method_plan() -> None:
    convo = Conversation()
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    plan = convo.plan
    assert plan is not None
    assert convo.step is None and convo.state is not None and convo.state.finished

    jobs = {o.job for o in plan.objectives}
    assert jobs == {Job.SUPPORT, Job.TRAFFIC, Job.TRENDS}
    support = next(o for o in plan.objectives if o.job is Job.SUPPORT)
    assert (support.baseline, support.target, support.unit) == (60, 90, "%")
    assert support.deadline == date(2027, 6, 30)

    by_channel = {t.channel: t for t in plan.tactics}
    assert set(by_channel) == {"email", "twitter", "drinks with industry friends"}
    assert plan.objective(by_channel["twitter"].objective).job is Job.SUPPORT  # type: ignore[union-attr]
    assert plan.objective(by_channel["email"].objective).job is Job.TRAFFIC  # type: ignore[union-attr]
    assert plan.objective(by_channel["drinks with industry friends"].objective).job is Job.TRENDS  # type: ignore[union-attr]
    assert by_channel["twitter"].stage is Stage.PARTICIPATE
    assert by_channel["drinks with industry friends"].stage is Stage.LISTEN
    assert sum(t.hours_per_week or 0 for t in plan.tactics) == 5

    # The split inside one job: sales served by email, traffic deliberately not done.
    assert len(plan.not_doing) == 1
    nothing = plan.not_doing[0]
    assert nothing.job is Job.TRAFFIC and "traffic" in nothing.what
    assert nothing.would_use == ("youtube", "slideshare")

    assert "Is Twitter still serving your support goal?" in convo.text
    doc = plan_to_document(plan)
    assert doc["version"] == 1 and doc["priorities"]["hours_per_week"] == 5
