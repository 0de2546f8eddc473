"""Where and how answers arrive: inert user text, ephemeral in channels, files, rate limits."""

from __future__ import annotations

import json
import time

import pytest

from tests.adapters.slack.conftest import SlackWorld
from tests.fakes.slack_app_api import decoded

INJECTION = "<!channel> <!here> <@U0ADMIN> @everyone *bold* _it_ `code` & <https://evil.example|click>"


async def test_mention_injection_is_neutralised_everywhere_it_is_shown(slack: SlackWorld) -> None:
    await slack.replies(slack.command(""), channel="D1")
    await slack.say(INJECTION)
    shown = await slack.replies(slack.command("plan"), channel="D1")
    payloads = [m.text for m in shown] + [json.dumps(m.blocks) for m in shown]
    for payload in payloads:
        for control in ("<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil"):
            assert control not in payload
    plan_text = next(m.text for m in shown if "lt;!channel" in m.text)
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@\u2060U0ADMIN&gt; @\u2060everyone" in plan_text
    assert "&amp; &lt;https://evil.example|click&gt;" in plan_text
    assert all(b["text"].get("verbatim") for m in shown for b in m.blocks if b["type"] == "section"), (
        "Slack must not link names on its own"
    )


async def test_a_personal_command_in_a_channel_is_answered_only_to_the_person(slack: SlackWorld) -> None:
    await slack.make_plan()
    before = len(slack.fake.calls("chat.postMessage"))
    status, _ = await slack.command("plan", channel="C0GENERAL")
    assert status == 200
    await slack.fake.wait_for(lambda: bool(slack.fake.responses()))
    await slack.idle()
    (answer,) = slack.fake.responses()
    assert answer.params["response_type"] == "ephemeral"
    assert "Purpose" in answer.params["text"]
    assert len(slack.fake.calls("chat.postMessage")) == before, "nothing posted for everyone"


async def test_export_uploads_the_plan_files_with_files_upload_v2(slack: SlackWorld) -> None:
    await slack.make_plan()
    status, _ = await slack.command("export")
    assert status == 200
    (complete,) = await slack.fake.wait_calls("files.completeUploadExternal", 1)
    await slack.idle()
    names = [f.params["filename"] for f in slack.fake.calls("files.getUploadURLExternal")]
    assert names[:2] == ["plan.md", "plan.json"]
    uploads = [c for c in slack.fake.calls() if c.method.startswith("upload-")]
    assert len(uploads) == len(names)
    assert complete.params["channel_id"] == "D1"
    assert "plan" in complete.params["initial_comment"].casefold()
    assert [f["title"] for f in decoded(complete, "files")][:2] == ["Plan", "Plan (JSON)"]


async def test_a_rate_limited_post_waits_retry_after_and_nothing_is_lost(slack: SlackWorld) -> None:
    await slack.replies(slack.command(""), channel="D1")
    slack.fake.fail("chat.postMessage", status=429, retry_after=1, times=1)
    before = len(slack.fake.messages("D1"))
    started = time.monotonic()
    replies = await slack.replies(
        slack.event(slack.message_event("People who build and sell small software tools on their own")),
        channel="D1",
    )
    waited = time.monotonic() - started
    attempts = [c for c in slack.fake.calls("chat.postMessage")][-2:]
    assert waited >= 1.0, "Retry-After was honoured"
    assert len(replies) == 1 and len(slack.fake.messages("D1")) == before + 1
    assert attempts[0].params["text"] == attempts[1].params["text"], "the same message, sent again"


async def test_when_the_coach_fails_the_person_is_told_instead_of_left_waiting(
    slack: SlackWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(slack.app.service, "handle", broken)
    (told,) = await slack.replies(slack.command("plan"), channel="D1")
    assert "something went wrong" in told.text.casefold()
    assert "Slack turn failed" in caplog.text
