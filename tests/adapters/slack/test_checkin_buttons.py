"""A check-in asked with buttons: a click is stored as the answer and the message updates in place."""

from __future__ import annotations

from datetime import timedelta

from coaching.model import Owner
from tests.adapters.slack.conftest import SlackWorld
from tests.fakes.slack_api import Message

OWNER = Owner(platform="slack", tenant="T1", subject="U1")


def buttons(message: Message) -> list[str]:
    return [e["text"]["text"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


async def ask_checkin(slack: SlackWorld) -> Message:
    await slack.make_plan()
    slack.clock.advance(days=8)
    asked = await slack.replies(slack.command("checkin"), channel="D1")
    return next(m for m in asked if buttons(m))


async def test_click_on_a_check_in_question_is_stored_and_updates_the_message(slack: SlackWorld) -> None:
    question = await ask_checkin(slack)
    assert "Twitter" in question.text
    assert buttons(question) == ["Yes", "Somewhat", "No", "Ask me tomorrow"]
    asked_text = question.blocks[0]["text"]["text"]

    following = await slack.replies(slack.click(question, "Yes"), channel="D1")

    (update,) = slack.fake.calls("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("D1", question.ts)
    assert [b["type"] for b in question.blocks] == ["section", "context"], "updated in place"
    assert question.blocks[0]["text"]["text"] == asked_text
    assert question.blocks[1]["elements"][0]["text"] == "<@U1> chose *Yes*"
    assert "Email" in following[-1].text, "the next tactic is asked about"

    plan = await slack.app.service.plan(OWNER)
    assert plan is not None
    twitter = next(t.id for t in plan.tactics if t.label == "Twitter")
    snapshot = await slack.app.store.load(OWNER, now=slack.clock())
    verdicts = [(e.subject, e.verdict, e.answered_by) for e in snapshot.history if e.kind == "verdict"]
    assert verdicts == [(twitter, "yes", "U1")]


async def test_a_second_click_on_an_answered_question_changes_nothing(slack: SlackWorld) -> None:
    question = await ask_checkin(slack)
    stale = Message(question.channel, question.ts, question.text, list(question.blocks), None)
    await slack.replies(slack.click(question, "No"), channel="D1")
    snapshot = await slack.app.store.load(OWNER, now=slack.clock())
    await slack.replies(slack.click(stale, "No"), channel="D1")
    again = await slack.app.store.load(OWNER, now=slack.clock())
    assert again.history == snapshot.history


async def test_a_scheduled_check_in_is_answered_with_its_buttons(slack: SlackWorld) -> None:
    await slack.make_plan()
    before = len(slack.fake.messages("D1"))
    dispatcher = await slack.app.open_dispatcher()
    report = await dispatcher.run_pass(slack.clock() + timedelta(days=8))
    assert report.sent == 1
    (nudge,) = slack.fake.messages("D1")[before:]
    assert buttons(nudge)[:3] == ["Yes", "Somewhat", "No"]

    slack.clock.advance(days=8, hours=1)
    await slack.replies(slack.click(nudge, "No"), channel="D1")

    assert nudge.blocks[-1]["elements"][0]["text"] == "<@U1> chose *No*"
    snapshot = await slack.app.store.load(OWNER, now=slack.clock())
    assert [(e.verdict, e.answered_by) for e in snapshot.history if e.kind == "verdict"] == [("no", "U1")]


async def test_a_button_of_an_earlier_question_leaves_that_message_as_it_was(slack: SlackWorld) -> None:
    await slack.make_plan()
    slack.clock.advance(days=8)
    asked = await slack.replies(slack.command("checkin"), channel="D1")
    question = next(m for m in asked if buttons(m))
    old = Message(question.channel, question.ts, question.text, list(question.blocks), None)
    first_blocks = list(old.blocks)
    await slack.replies(slack.click(question, "Yes"), channel="D1")  # on to the next tactic
    updates = len(slack.fake.calls("chat.update"))

    await slack.say("edit purpose")  # the check-in is left for an edit
    following = await slack.replies(slack.click(old, "Somewhat"), channel="D1")

    assert len(slack.fake.calls("chat.update")) == updates, "no '<user> chose Somewhat' on a closed question"
    assert old.blocks == first_blocks
    assert following, "the person is told where the conversation is"
