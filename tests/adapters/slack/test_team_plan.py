"""``/coach team`` in a channel: a plan for the channel that any member may answer, by name."""

from __future__ import annotations

from coaching.model import Owner
from tests.adapters.slack.conftest import SlackWorld
from tests.coaching.harness import WORKED_EXAMPLE
from tests.fakes.slack_api import Message

CHANNEL = "C0TEAM"
TEAM_OWNER = Owner(platform="slack", tenant="T1", subject=CHANNEL, kind="team")


async def reply_in_thread(slack: SlackWorld, parent: Message, text: str, *, user: str) -> list[Message]:
    event = {
        "type": "message",
        "channel": CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": f"1800000100.{next(slack.ids):06d}",
        "thread_ts": parent.ts,
        "parent_user_id": "UCOACHBOT",
    }
    return await slack.replies(slack.event(event), channel=CHANNEL)


async def test_team_plan_is_answered_by_several_members_in_threads_and_buttons(slack: SlackWorld) -> None:
    started = await slack.replies(slack.command("team", channel=CHANNEL, user="U1"), channel=CHANNEL)
    assert all(m.channel == CHANNEL for m in started), "the team's plan is posted for the whole channel"
    parent = started[-1]
    for n, answer in enumerate(WORKED_EXAMPLE):
        answered = await reply_in_thread(slack, parent, answer, user="U2" if n % 2 else "U3")
        assert {
            c.params.get("thread_ts") for c in slack.fake.calls("chat.postMessage")[-len(answered) :]
        } == {parent.ts}, "answers to a thread come back in that thread"

    plan = await slack.app.service.plan(TEAM_OWNER)
    assert plan is not None and plan.purpose.audience == WORKED_EXAMPLE[0]
    assert await slack.app.service.plan(Owner(platform="slack", tenant="T1", subject="U2")) is None

    slack.clock.advance(days=8)
    asked = await slack.replies(slack.command("team checkin", channel=CHANNEL, user="U1"), channel=CHANNEL)
    question = next(m for m in asked if any(b["type"] == "actions" for b in m.blocks))
    assert all(
        e["action_id"].startswith("coach.choice.team.")
        for b in question.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    )
    await slack.replies(slack.click(question, "Somewhat", user="U4"), channel=CHANNEL)

    assert question.blocks[-1]["elements"][0]["text"] == "<@U4> chose *Somewhat*"
    snapshot = await slack.app.store.load(TEAM_OWNER, now=slack.clock())
    assert [(e.verdict, e.answered_by) for e in snapshot.history if e.kind == "verdict"] == [
        ("somewhat", "U4")
    ]


async def test_messages_in_channels_outside_bot_threads_are_not_read(slack: SlackWorld) -> None:
    await slack.replies(slack.command("team", channel=CHANNEL), channel=CHANNEL)
    before = len(slack.fake.calls("chat.postMessage"))
    chatter = {
        "type": "message",
        "channel": CHANNEL,
        "channel_type": "channel",
        "user": "U2",
        "text": "lunch?",
        "ts": "1800000200.000001",
    }
    await slack.event(chatter)
    await slack.event(
        {**chatter, "ts": "1800000200.000002", "thread_ts": "1800000200.000001", "parent_user_id": "U2"}
    )
    await slack.idle()
    assert len(slack.fake.calls("chat.postMessage")) == before


async def test_team_plans_need_a_channel(slack: SlackWorld) -> None:
    await slack.command("team")
    await slack.fake.wait_for(lambda: bool(slack.fake.responses()))
    await slack.idle()
    assert "channel" in slack.fake.responses()[-1].params["text"]
    assert slack.fake.calls("chat.postMessage") == []
