"""Requests Slack did not sign, or signed too long ago, are refused; retried events count once."""

from __future__ import annotations

import time

from coaching.model import Owner
from tests.adapters.slack.conftest import SlackWorld

OWNER = Owner(platform="slack", tenant="T1", subject="U1")


async def test_a_bad_signature_is_refused_with_401(slack: SlackWorld) -> None:
    body = slack.event_body(slack.message_event("hello"))
    status, _ = await slack.post(body, content_type="application/json", secret="someone-elses-secret")
    assert status == 401
    await slack.idle()
    assert slack.fake.calls("chat.postMessage") == []


async def test_a_timestamp_older_than_five_minutes_is_refused_with_401(slack: SlackWorld) -> None:
    body = slack.event_body(slack.message_event("hello"))
    status, _ = await slack.post(
        body, content_type="application/json", timestamp=int(time.time()) - 5 * 60 - 10
    )
    assert status == 401
    status, _ = await slack.post(body, content_type="application/json", timestamp=int(time.time()) - 4 * 60)
    assert status == 200


async def test_an_unsigned_slash_command_is_refused_with_401(slack: SlackWorld) -> None:
    async with slack.session.post(
        f"{slack.server.url}/slack/events",
        data=b"command=%2Fcoach&text=forget&user_id=U1&team_id=T1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert response.status == 401


async def test_a_retried_event_is_processed_once(slack: SlackWorld) -> None:
    await slack.replies(slack.command(""), channel="D1")
    before = len(slack.fake.messages("D1"))
    event = slack.message_event("People who build and sell small software tools on their own")
    status, _ = await slack.event(event, event_id="Ev-retried")
    assert status == 200
    status, _ = await slack.event(event, event_id="Ev-retried", retry=1)
    assert status == 200
    status, _ = await slack.event(event, event_id="Ev-retried", retry=2)
    assert status == 200
    await slack.fake.wait_for(lambda: len(slack.fake.messages("D1")) > before)
    await slack.idle()
    answered = slack.fake.messages("D1")[before:]
    assert len(answered) == 1, [m.text for m in answered]
    snapshot = await slack.app.store.load(OWNER, now=slack.clock())
    assert snapshot.state is not None and snapshot.state["step"] == "purpose.why"


async def test_the_health_check_answers(slack: SlackWorld) -> None:
    async with slack.session.get(f"{slack.server.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
