"""The weekly check-in and the adaptation it leads to, driven through the engine."""

from __future__ import annotations

from datetime import date

from coaching.conversation.turn import Snooze
from coaching.model import Stage

from .harness import WORKED_EXAMPLE, Conversation


def planned() -> Conversation:
    convo = Conversation()
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    convo.advance(days=8)  # Monday 7 December 2026, 12:00 UTC
    return convo


def answer_week(convo: Conversation, verdicts: list[str], metrics: list[str] | None = None) -> str:
    convo.checkin()
    for verdict in verdicts:
        convo.click(verdict)
    for value in metrics or ["skip", "skip", "skip"]:
        convo.say(value)
    return convo.click("Nothing to add")


def test_worked_example_check_in_asks_about_each_tactic_in_the_persons_words() -> None:
    convo = planned()
    text = convo.checkin()
    assert "Is Twitter still serving your support goal?" in text
    assert "Is Email still serving your sales goal?" in text
    assert "Is Drinks with industry friends still serving your trends goal?" in text
    assert "traffic" not in text.lower(), "traffic is deliberately not done: never asked about"
    assert [c.label for c in convo.question.choices] == ["Yes", "Somewhat", "No", "Ask me tomorrow"]


def test_answers_become_history_for_the_week() -> None:
    convo = planned()
    convo.checkin()
    convo.click("Yes")
    convo.say("somewhat")
    convo.click("No")
    assert convo.step == "checkin.metric"
    convo.say("72%")
    convo.say("skip")
    convo.say("2")
    reply = convo.say("Launched the new pricing page")
    assert "Twitter: yes" in reply and "Email: somewhat" in reply and "friends: no" in reply
    assert "Note: Launched the new pricing page" in reply
    kinds = sorted((e.kind, e.subject, e.verdict or e.value or e.text) for e in convo.history)
    assert ("verdict", "t2", "yes") in kinds and ("verdict", "t1", "somewhat") in kinds
    assert ("metric", "o1", 72) in kinds
    assert ("note", "", "Launched the new pricing page") in kinds
    assert all(e.week == "2026-W50" for e in convo.history)
    assert "Next check-in: every Monday at 09:00 (Europe/Berlin)" in reply


def test_changing_an_answer_replaces_it_and_old_week_buttons_are_closed() -> None:
    convo = planned()
    convo.checkin()
    yes = next(c.id for c in convo.question.choices if c.label == "Yes")
    no = yes.replace("|yes", "|no")
    convo.click_id(yes)
    reply = convo.click_id(no)
    assert "now no" in reply
    assert [e.verdict for e in convo.history if e.kind == "verdict"] == ["no"]
    for label in ["Yes", "Yes"]:
        convo.click(label)
    for _ in range(3):
        convo.say("skip")
    convo.click("Nothing to add")
    convo.advance(days=7)
    convo.checkin()
    assert "closed" in convo.click_id(yes)


def test_snooze_asks_again_tomorrow() -> None:
    convo = planned()
    convo.checkin()
    convo.click("Ask me tomorrow")
    assert convo.effects and isinstance(convo.effects[0], Snooze)
    assert convo.effects[0].until == convo.now.replace(day=8)
    convo.advance(days=1)
    assert "still open" in convo.checkin(reminder=True)


def test_reminder_only_when_something_is_still_open() -> None:
    convo = planned()
    answer_week(convo, ["Yes", "Yes", "Yes"])
    assert convo.checkin(reminder=True) == ""


def test_plan_not_finished_means_no_check_in() -> None:
    convo = Conversation()
    convo.start()
    convo.say(WORKED_EXAMPLE[0])
    assert convo.checkin() == ""
    assert convo.step == "purpose.why"


def test_repeated_no_proposes_a_change_and_switch_is_applied() -> None:
    convo = planned()
    answer_week(convo, ["Yes", "No", "Yes"])
    convo.advance(days=7)
    convo.checkin()
    convo.click("Yes")
    convo.click("No")
    convo.click("Yes")
    for _ in range(3):
        convo.say("skip")
    reply = convo.click("Nothing to add")
    assert "Email hasn't been serving your sales goal lately" in reply
    labels = [c.label for c in convo.question.choices]
    assert "Go back to listening" in labels and "Drop Email" in labels and "Keep going" in labels
    assert any(label.startswith("Switch to Pinterest") for label in labels)
    convo.click("Switch to Pinterest")
    email = next(t for t in convo.plan.tactics if t.id == "t1")  # type: ignore[union-attr]
    assert (email.channel, email.stage) == ("pinterest", Stage.LISTEN)


def decline_everything(convo: Conversation) -> str:
    """Say no to every proposal this check-in makes; returns all their texts."""
    said = ""
    while convo.step == "adapt.proposal":
        said += convo.text
        convo.click_id(convo.question.choices[-1].id)
    return said


def test_declined_proposal_is_not_repeated_for_a_while() -> None:
    convo = planned()
    struggling = "Email hasn't been serving your sales goal lately"
    seen = []
    for _ in range(8):
        said = answer_week(convo, ["Yes", "No", "Yes"])
        seen.append(struggling in said)
        decline_everything(convo)
        convo.advance(days=7)
    # Proposed once two "no"s are in, declined, quiet for the 4-week cool-down, then back.
    assert seen == [False, True, False, False, False, True, False, False]


def test_steady_yes_with_improving_metric_proposes_the_next_stage() -> None:
    convo = planned()
    for value in ["65%", "70%", "75%"]:
        answer_week(convo, ["Yes", "Yes", "Yes"], [value, "skip", "skip"])
        if convo.step == "adapt.proposal":
            break
        convo.advance(days=7)
    assert "Email has worked 3 check-ins running" in convo.text, "no metric: steady yes is enough"
    convo.click("Not now")
    assert "Twitter has worked 3 check-ins running" in convo.text
    assert "from taking part to leading" in convo.text
    convo.click("Move to leading")
    twitter = next(t for t in convo.plan.tactics if t.channel == "twitter")  # type: ignore[union-attr]
    assert twitter.stage is Stage.LEAD


def test_metric_moving_away_proposes_a_change() -> None:
    convo = planned()
    answer_week(convo, ["Yes", "Yes", "Yes"], ["55%", "skip", "skip"])
    convo.advance(days=7)
    reply = answer_week(convo, ["Yes", "Yes", "Yes"], ["50%", "skip", "skip"])
    assert "Twitter hasn't been serving your support goal lately" in reply
    assert "moved away from the target" in reply


def test_objective_met_proposes_new_objectives() -> None:
    convo = planned()
    reply = answer_week(convo, ["Yes", "Yes", "Yes"], ["92%", "skip", "skip"])
    assert 'You reached "Answer 90%' in reply
    convo.click("Review objectives")
    assert convo.step == "objectives.review"


def test_quarterly_review_of_purpose_and_objectives() -> None:
    convo = planned()
    for _ in range(12):
        answer_week(convo, ["Somewhat", "Somewhat", "Somewhat"])
        assert "quarter" not in convo.text
        convo.advance(days=7)
    reply = answer_week(convo, ["Somewhat", "Somewhat", "Somewhat"])
    assert "It's been a quarter of check-ins" in reply
    convo.click("Review purpose")
    assert convo.step == "purpose.audience"


def test_plan_shows_progress_after_a_reading() -> None:
    convo = planned()
    answer_week(convo, ["Yes", "Yes", "Yes"], ["72%", "skip", "skip"])
    text = convo.say("plan")
    assert "60% → 72% → 90% by 2027-06-30 · on track" in text


def test_schedule_pause_and_resume_commands() -> None:
    convo = planned()
    assert "every Friday at 08:30" in convo.say("schedule friday 8:30")
    assert convo.plan.schedule.weekday == "friday" and convo.plan.schedule.time == "08:30"  # type: ignore[union-attr]
    assert "paused until 2027-01-04" in convo.say("pause until 2027-01-04")
    assert "paused until you say resume" in convo.say("pause")
    assert "back on" in convo.say("resume")
    assert not convo.plan.schedule.paused and convo.plan.schedule.paused_until is None  # type: ignore[union-attr]
    assert "day and a time" in convo.say("schedule")
    assert "America/New_York" in convo.say("timezone new york")


def test_timezone_is_asked_once_when_the_platform_gives_none() -> None:
    convo = Conversation(timezone_hint=None)
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    assert convo.step == "setup.timezone"
    assert "don't know that timezone" in convo.say("Atlantis")
    convo.say("Berlin")
    assert convo.plan.timezone == "Europe/Berlin" and convo.step is None  # type: ignore[union-attr]


def test_export_attaches_a_png_chart_and_the_history() -> None:
    convo = planned()
    answer_week(convo, ["Yes", "Yes", "Yes"], ["72%", "25", "2"])
    convo.advance(days=7)
    answer_week(convo, ["Yes", "Yes", "Yes"], ["75%", "30", "2"])
    result = convo.command("export")
    files = {a.filename: a for r in result.replies for a in r.attachments}
    assert set(files) == {"plan.md", "plan.json", "progress.png", "checkins.json"}
    assert files["progress.png"].content.startswith(b"\x89PNG")
    assert "Progress: 60% → 75% → 90%" in files["plan.md"].content.decode()


def test_pausing_until_next_week_skips_only_this_weeks_remaining_days() -> None:
    convo = planned()  # Monday 7 December, after that day's 09:00 check-in
    assert "next on Monday 14 December" in convo.say("pause until next week")
    assert convo.plan.schedule.paused_until == date(2026, 12, 13)  # type: ignore[union-attr]
    assert "next on Monday 21 December" in convo.say("pause for two weeks")


def test_a_pause_date_in_the_past_is_refused_and_changes_nothing() -> None:
    convo = planned()
    assert "passed already" in convo.say("pause until 2026-11-01")
    assert "passed already" in convo.say("pause until March 2020")
    assert "couldn't read that date" in convo.say("pause until someday")
    assert "couldn't read that date" in convo.say("pause until February 30")
    assert convo.plan.schedule.paused_until is None and not convo.plan.schedule.paused  # type: ignore[union-attr]


def test_a_schedule_set_before_the_plan_is_finished_says_when_check_ins_begin() -> None:
    convo = Conversation()
    convo.start()
    assert "begin once your plan is finished" in convo.say("schedule friday 10:00")
    assert "begin once" not in planned().say("schedule friday 10:00")


def test_a_long_note_is_kept_whole_but_shortened_in_the_summary() -> None:
    convo = planned()
    convo.checkin()
    for _ in range(3):
        convo.click("Yes")
    for _ in range(3):
        convo.say("skip")
    note = "A very busy week. " * 100
    reply = convo.say(note)
    shown = next(line for line in reply.splitlines() if line.startswith("- Note:"))
    assert len(shown) < 220 and shown.endswith("…")
    assert [e.text for e in convo.history if e.kind == "note"] == [note.strip()]


def test_checking_in_before_the_scheduled_time_means_no_second_check_in_that_week() -> None:
    convo = planned()
    convo.advance(days=6, hours=18)  # Monday 14 December, 07:00 in Berlin: before the 09:00 check-in
    convo.say("checkin")
    for _ in range(3):
        convo.click("Yes")
    for value in ("70%", "30", "2"):
        convo.say(value)
    summary = convo.click("Nothing to add")
    assert "next on Monday 21 December" in summary, "this week's is done, so the next one is next week's"
    convo.advance(hours=2)
    assert convo.checkin() == "", "the scheduled check-in of a week already answered sends nothing"
    assert convo.step is None


def test_checking_in_again_says_new_answers_replace_old_ones_and_skip_keeps_them() -> None:
    convo = planned()
    answer_week(convo, ["Yes", "Yes", "Yes"])
    again = convo.say("checkin")
    assert "checked in for the week of Monday 7 December already" in again
    convo.say("skip")
    convo.click("No")
    verdicts = {e.subject: e.verdict for e in convo.history if e.kind == "verdict"}
    assert verdicts == {"t1": "no", "t2": "yes", "t3": "yes"}
