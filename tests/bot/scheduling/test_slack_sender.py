"""The Slack sender against the fake Web API on loopback: messages, metadata, reconciliation, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.sender import SlackSender, nudge_client
from bot.scheduling.ports import OutboundNudge, PermanentSendError, TransientSendError
from coaching.markup import escape
from coaching.model import Owner
from coaching.replies import Choice, Reply
from tests.fakes.slack_api import FakeSlackApi

ALICE = Owner("slack", "T0FAKE", "U0ALICE")
TEAM = Owner("slack", "T0FAKE", "C0GROWTH", kind="team")
DUE = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
QUESTION = Reply(
    text="Is **Twitter** still serving your support goal?",
    choices=(
        Choice("checkin.t1.yes", "Yes"),
        Choice("checkin.t1.somewhat", "Somewhat"),
        Choice("checkin.t1.no", "No"),
    ),
    kind="checkin",
)


def nudge(owner: Owner = ALICE, *replies: Reply, key: str = "k1") -> OutboundNudge:
    return OutboundNudge(
        id=1,
        key=key,
        owner=owner,
        kind="checkin",
        week="2026-W11",
        replies=replies or (QUESTION,),
        not_before=DUE,
    )


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
async def sender(slack: FakeSlackApi) -> AsyncIterator[SlackSender]:
    async with aiohttp.ClientSession() as session:
        yield SlackSender(nudge_client("xoxb-test", slack.url, session=session))


async def test_a_nudge_to_a_person_is_one_dm_with_buttons_and_its_key(
    slack: FakeSlackApi, sender: SlackSender
) -> None:
    reference = await sender.send(nudge())
    [message] = slack.messages()
    assert message.channel == "D0ALICE"
    assert reference == f"D0ALICE:{message.ts}"
    assert message.metadata == {"event_type": "coach_nudge", "event_payload": {"key": "k1"}}
    assert "*Twitter*" in message.text
    section, actions = message.blocks
    assert section["type"] == "section" and "*Twitter*" in section["text"]["text"]
    assert [(b["value"], b["text"]["text"]) for b in actions["elements"]] == [
        ("checkin.t1.yes", "Yes"),
        ("checkin.t1.somewhat", "Somewhat"),
        ("checkin.t1.no", "No"),
    ]
    assert [c.method for c in slack.calls()] == ["chat.postMessage"]  # no conversations.open first


async def test_a_team_nudge_goes_to_the_channel_and_several_replies_make_one_message(
    slack: FakeSlackApi, sender: SlackSender
) -> None:
    intro = Reply(text="Weekly check-in for #growth.")
    await sender.send(nudge(TEAM, intro, QUESTION))
    [message] = slack.messages()
    assert message.channel == "C0GROWTH"
    assert [b["type"] for b in message.blocks] == ["section", "section", "actions"]
    assert message.text.startswith("Weekly check-in")


async def test_what_a_person_typed_cannot_ping_anyone(slack: FakeSlackApi, sender: SlackSender) -> None:
    typed = "<!channel> & <@U999> @here"
    await sender.send(nudge(ALICE, Reply(text=f"You said: {escape(typed)}")))
    [message] = slack.messages()
    rendered = message.blocks[0]["text"]["text"] + message.text
    assert "<!channel>" not in rendered and "<@U999>" not in rendered
    assert "&lt;!channel&gt; &amp; &lt;" in message.blocks[0]["text"]["text"]


async def test_find_sent_reads_the_conversation_back_by_key(slack: FakeSlackApi, sender: SlackSender) -> None:
    assert await sender.find_sent(nudge(key="k1")) is None
    reference = await sender.send(nudge(key="k1"))
    for i in range(450):  # the conversation went on: the nudge is three pages back
        slack.handle("chat.postMessage", {"channel": "D0ALICE", "text": f"chat {i}"}, "xoxb-test")
    assert await sender.find_sent(nudge(key="k1")) == reference
    assert await sender.find_sent(nudge(key="k2")) is None
    history = slack.calls("conversations.history")[-1].params
    assert history["include_all_metadata"] in ("1", "true", True)
    assert float(history["oldest"]) == (DUE - timedelta(minutes=5)).timestamp()
    assert await SlackSender(nudge_client("xoxb-test", slack.url)).find_sent(nudge(TEAM, key="k1")) is None


async def test_a_429_is_waited_out_and_the_message_is_delivered_once(
    slack: FakeSlackApi, sender: SlackSender
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=0)
    await sender.send(nudge())
    assert slack.keys() == {"k1": 1}
    assert len(slack.calls("chat.postMessage")) == 2


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [({"status": 429, "retry_after": 7}, 7.0), ({"status": 503}, None), ({"error": "internal_error"}, None)],
)
async def test_rate_limits_and_server_errors_are_transient(
    slack: FakeSlackApi, failure: dict[str, int], retry_after: float | None
) -> None:
    slack.fail("chat.postMessage", **failure)
    bare = SlackSender(AsyncWebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[]))
    with pytest.raises(TransientSendError) as raised:
        await bare.send(nudge())
    assert raised.value.retry_after == retry_after
    assert slack.keys() == {}


@pytest.mark.parametrize(
    "error", ["channel_not_found", "cannot_dm_bot", "account_inactive", "is_archived", "token_revoked"]
)
async def test_an_owner_slack_says_is_gone_is_a_permanent_failure(
    slack: FakeSlackApi, sender: SlackSender, error: str
) -> None:
    slack.fail("chat.postMessage", error=error)
    with pytest.raises(PermanentSendError) as raised:
        await sender.send(nudge())
    assert raised.value.reason == error


async def test_a_message_slack_rejects_as_malformed_is_neither(
    slack: FakeSlackApi, sender: SlackSender
) -> None:
    slack.fail("chat.postMessage", error="invalid_blocks")
    with pytest.raises(RuntimeError, match="invalid_blocks"):
        await sender.send(nudge())


async def test_no_server_at_all_is_transient() -> None:
    with FakeSlackApi() as gone:
        url = gone.url
    sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=url, retry_handlers=[]))
    with pytest.raises(TransientSendError, match="connection"):
        await sender.send(nudge())
    with pytest.raises(TransientSendError, match="connection"):
        await sender.find_sent(nudge())
