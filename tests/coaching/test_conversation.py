"""Conversation behaviour: control words, follow-ups, stale buttons, edits."""

from __future__ import annotations

from coaching.conversation.turn import Forget
from coaching.inbound import Inbound
from coaching.model import Job

from .harness import WORKED_EXAMPLE, Conversation, run_until

PURPOSE = WORKED_EXAMPLE[:5]


def test_first_contact_greets_and_asks_for_the_audience() -> None:
    convo = Conversation()
    text = convo.start()
    assert "Purpose" in text and "Who do you want to reach?" in text
    assert convo.step == "purpose.audience"


def test_vague_audience_gets_one_follow_up_then_is_accepted() -> None:
    convo = Conversation()
    convo.start()
    reply = convo.say("everyone")
    assert "reaches no one" in reply and convo.step == "purpose.audience"
    convo.say("Indie game developers shipping on Steam")
    assert convo.plan is not None and convo.plan.purpose.audience == "Indie game developers shipping on Steam"
    assert convo.step == "purpose.why"


def test_why_explains_the_current_question_without_moving_on() -> None:
    convo = Conversation()
    convo.start()
    reply = convo.say("why")
    assert "audience" in reply.lower() and convo.step == "purpose.audience"


def test_help_lists_commands_and_repeats_the_question() -> None:
    convo = Conversation()
    convo.start()
    reply = convo.say("help")
    assert "edit purpose" in reply and "Who do you want to reach?" in reply
    for command in ("checkin", "schedule friday 08:30", "pause until", "resume", "timezone"):
        assert command in reply, f"help leaves out {command!r}"


def test_back_undoes_the_last_answer() -> None:
    convo = Conversation()
    convo.start()
    convo.say("Bakers who sell at farmers markets")
    convo.say("We know their ovens")
    assert convo.step == "purpose.what"
    reply = convo.say("back")
    assert convo.step == "purpose.why"
    assert "Why should they care" in reply
    assert convo.plan is not None and convo.plan.purpose.why is None
    assert convo.plan.purpose.audience == "Bakers who sell at farmers markets"


def test_back_at_the_first_question_says_so() -> None:
    convo = Conversation()
    convo.start()
    assert "first question" in convo.say("back")
    assert convo.step == "purpose.audience"


def test_skip_moves_on_and_keeps_nothing() -> None:
    convo = Conversation()
    convo.start()
    convo.say("Bakers")
    convo.say("skip")
    assert convo.step == "purpose.what"
    assert convo.plan is not None and convo.plan.purpose.why is None


def test_confirmation_cannot_be_skipped() -> None:
    convo = Conversation()
    run_until(convo, "purpose.confirm", PURPOSE)
    assert "can't be skipped" in convo.say("skip")
    assert convo.step == "purpose.confirm"


def test_objective_without_number_or_date_gets_follow_ups() -> None:
    convo = Conversation()
    run_until(convo, "objectives.describe", PURPOSE)
    convo.say("More people asking for help on our forum")
    assert convo.step == "objectives.target"
    convo.say("hmm, lots")
    assert convo.step == "objectives.target", "no number: still asking"
    convo.say("200 a month")
    assert convo.step == "objectives.baseline"
    convo.say("about 120")
    assert convo.step == "objectives.deadline"
    assert "couldn't read a date" in convo.say("sometime")
    convo.say("in 3 months")
    assert convo.step == "objectives.more"
    objective = convo.plan.objectives[0]  # type: ignore[union-attr]
    assert (objective.baseline, objective.target) == (120, 200)
    assert objective.deadline is not None and objective.job is Job.SUPPORT


def test_past_deadline_is_refused() -> None:
    convo = Conversation()
    run_until(convo, "objectives.describe", PURPOSE)
    convo.say("Answer 90% of support questions within a day, now 60%")
    assert convo.step == "objectives.deadline"
    assert "already passed" in convo.say("2020-01-01")


def test_unclear_job_is_asked_with_the_four_jobs_as_buttons() -> None:
    convo = Conversation()
    run_until(convo, "objectives.describe", PURPOSE)
    convo.say("Make the brand 30% better known by June")
    assert convo.step == "objectives.job"
    labels = [c.label for c in convo.question.choices]
    assert len(labels) == 4 and "Community & audience" in labels
    convo.click("Community & audience")
    assert convo.plan.objectives[0].job is Job.COMMUNITY  # type: ignore[union-attr]


def test_typed_number_picks_a_numbered_choice() -> None:
    convo = Conversation()
    run_until(convo, "purpose.confirm", PURPOSE)
    convo.say("1")
    assert convo.step == "objectives.describe"


def test_answered_question_clicked_again_changes_nothing() -> None:
    convo = Conversation()
    run_until(convo, "purpose.confirm", PURPOSE)
    other = next(c.id for c in convo.question.choices if c.label == "Change something")
    convo.click("Yes, continue")
    assert convo.step == "objectives.describe"
    reply = convo.click_id(other)
    assert "already" in reply
    assert convo.step == "objectives.describe"
    assert convo.plan is not None and convo.plan.purpose.audience == PURPOSE[0]


def test_button_of_a_question_no_longer_asked_is_called_stale() -> None:
    convo = Conversation()
    run_until(convo, "purpose.confirm", PURPOSE)
    old = next(c.id for c in convo.question.choices if c.label == "Yes, continue")
    convo.say("back")
    assert convo.step == "purpose.start_with"
    reply = convo.click_id(old)
    assert "earlier question" in reply
    assert not convo.accepted, "adapters must not show the old question as answered"
    assert convo.step == "purpose.start_with"


def test_double_click_is_recorded_once() -> None:
    convo = Conversation()
    run_until(convo, "purpose.confirm", PURPOSE)
    choice = next(c.id for c in convo.question.choices if c.label == "Yes, continue")
    convo.click_id(choice)
    history = len(convo.state.history)  # type: ignore[union-attr]
    assert convo.accepted
    reply = convo.click_id(choice)
    assert "already" in reply
    assert not convo.accepted
    assert len(convo.state.history) == history  # type: ignore[union-attr]
    assert convo.step == "objectives.describe"


def test_edit_a_section_later_without_redoing_the_rest() -> None:
    convo = Conversation()
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    tactics_before = convo.plan.tactics  # type: ignore[union-attr]
    convo.say("edit purpose")
    assert convo.step == "purpose.audience"
    convo.say("skip")
    convo.say("Straight answers from a fellow founder")
    convo.say("skip")
    convo.say("skip")
    assert convo.step == "purpose.confirm"
    reply = convo.say("yes")
    assert "saved" in reply.lower()
    assert convo.step is None
    plan = convo.plan
    assert plan is not None
    assert plan.purpose.why == "Straight answers from a fellow founder"
    assert plan.purpose.audience == WORKED_EXAMPLE[0]
    assert plan.tactics == tactics_before


def test_edit_in_the_middle_returns_to_where_we_were() -> None:
    convo = Conversation()
    run_until(convo, "objectives.describe", PURPOSE)
    convo.say("edit purpose")
    for _ in range(4):
        convo.say("skip")
    convo.say("yes")
    assert convo.step == "objectives.describe"


def test_edit_without_a_section_offers_the_four() -> None:
    convo = Conversation()
    convo.start()
    convo.say("edit")
    assert [c.label for c in convo.question.choices] == ["Purpose", "Objectives", "Priorities", "Tactics"]


def test_plan_command_shows_the_plan_and_keeps_the_question() -> None:
    convo = Conversation()
    run_until(convo, "purpose.what", PURPOSE)
    reply = convo.say("plan")
    assert PURPOSE[0] in reply and "What do you want to say" in reply
    assert convo.step == "purpose.what"


def test_forget_asks_first_and_no_keeps_everything() -> None:
    convo = Conversation()
    run_until(convo, "purpose.what", PURPOSE)
    convo.say("forget")
    assert convo.step == "forget.confirm"
    convo.click("No, keep it")
    assert convo.step == "purpose.what"
    assert convo.plan.purpose.audience == PURPOSE[0]  # type: ignore[union-attr]


def test_forget_yes_asks_storage_to_delete() -> None:
    convo = Conversation()
    run_until(convo, "purpose.what", PURPOSE)
    convo.say("forget")
    result = convo.coach.handle(
        convo.state, convo.plan, Inbound(owner=convo.owner, now=convo.now, choice="forget.confirm||yes")
    )
    assert result.effects == (Forget(),)
    assert "gone" in result.replies[0].text


def test_export_attaches_markdown_and_json() -> None:
    convo = Conversation()
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    result = convo.command("export")
    names = [a.filename for r in result.replies for a in r.attachments]
    assert names == ["plan.md", "plan.json"]


def test_unknown_command_is_named() -> None:
    convo = Conversation()
    convo.start()
    result = convo.command("frobnicate")
    assert "frobnicate" in result.replies[0].text


def test_after_the_plan_plain_messages_point_to_commands() -> None:
    convo = Conversation()
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    assert "plan" in convo.say("hello again")


def test_skipped_number_leaves_a_nudge_to_add_it_later() -> None:
    convo = Conversation()
    run_until(convo, "objectives.describe", PURPOSE)
    convo.say("More people asking for help on our forum by June")
    convo.say("skip")
    assert convo.step == "objectives.more"
    assert "still needs a number" in convo.text
