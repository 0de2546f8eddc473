"""The whole worked example of METHOD.md, typed into a DM with the bot, ends with the stored plan."""

from __future__ import annotations

from coaching.document import plan_to_document
from coaching.model import Owner
from tests.adapters.slack.conftest import SlackWorld
from tests.coaching.harness import START, WORKED_EXAMPLE, Conversation

OWNER = Owner(platform="slack", tenant="T1", subject="U1")


async def test_worked_example_in_a_dm_ends_with_the_stored_plan(slack: SlackWorld) -> None:
    await slack.make_plan()

    stored = await slack.app.service.plan(OWNER)
    assert stored is not None
    expected = Conversation(owner=OWNER, now=START, timezone_hint="Europe/Berlin")
    expected.start()
    for answer in WORKED_EXAMPLE:
        expected.say(answer)
    assert expected.plan is not None
    assert plan_to_document(stored) == plan_to_document(expected.plan)
    assert stored.timezone == "Europe/Berlin"
    assert slack.fake.of("users.info", user="U1"), "the timezone comes from the Slack profile"
    assert {c.token for c in slack.fake.calls("chat.postMessage")} == {"xoxb-T1"}


async def test_the_bots_own_messages_edits_and_other_bots_are_ignored(slack: SlackWorld) -> None:
    await slack.replies(slack.command(""), channel="D1")
    before = len(slack.fake.messages("D1"))
    await slack.event(slack.message_event("my own question", user="UCOACHBOT", bot_id="BCOACH", channel="D1"))
    await slack.event(slack.message_event("another bot", user="UOTHER", bot_id="BOTHER", channel="D1"))
    edit = {"message": {"user": "U1", "text": "edited"}, "previous_message": {"user": "U1", "text": "x"}}
    await slack.event(slack.message_event("", subtype="message_changed", **edit))
    await slack.event(slack.message_event("", subtype="message_deleted", deleted_ts="1800000000.000001"))
    await slack.idle()
    assert len(slack.fake.messages("D1")) == before
    assert await slack.say("People who build and sell small software tools on their own")
