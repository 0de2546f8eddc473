"""Many workspaces through OAuth: installed on the coach's database, kept apart, uninstalled cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.slack.install import bot_token
from adapters.slack.workspace_sender import WorkspaceSender
from bot.scheduling.ports import OutboundNudge, PermanentSendError
from coaching.model import Owner
from coaching.replies import Reply
from tests.adapters.slack.conftest import SlackWorld, world

STATE_COOKIE = "slack-app-oauth-state"
T1_OWNER = Owner(platform="slack", tenant="T1", subject="U1")
T2_OWNER = Owner(platform="slack", tenant="T2", subject="U1")
# slack_sdk still sends the client credentials with aiohttp.BasicAuth in the token exchange.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
async def distributed(database_url: str) -> AsyncIterator[SlackWorld]:
    """The app with SLACK_CLIENT_ID/SECRET and no bot token: tokens come from installations."""
    async for w in world(database_url, slack_client_id="111.222", slack_client_secret="shh"):
        yield w


async def install(slack: SlackWorld, team: str) -> None:
    async with slack.session.get(f"{slack.server.url}/slack/install") as page:
        assert page.status == 200
        state = page.cookies[STATE_COOKIE].value
        assert f"state={state}" in await page.text()
    async with slack.session.get(
        f"{slack.server.url}/slack/oauth_redirect",
        params={"code": f"code-{team}", "state": state},
        headers={"Cookie": f"{STATE_COOKIE}={state}"},
    ) as done:
        assert done.status == 200, await done.text()


async def test_two_workspaces_never_see_each_others_plans(distributed: SlackWorld) -> None:
    slack = distributed
    await install(slack, "T1")
    await install(slack, "T2")
    exchanges = slack.fake.calls("oauth.v2.access")
    assert [c.params["code"] for c in exchanges] == ["code-T1", "code-T2"]

    await slack.replies(slack.command("", team="T1"), channel="D1")
    await slack.say("Makers of <!here> small tools", team="T1")
    await slack.replies(slack.command("", team="T2"), channel="D1")
    await slack.say("Bakers in Lyon", team="T2")
    posts = slack.fake.calls("chat.postMessage")
    assert {c.token for c in posts} == {"xoxb-T1", "xoxb-T2"}

    shown = await slack.replies(slack.command("plan", team="T2"), channel="D1")
    assert "Bakers in Lyon" in shown[0].text and "Makers" not in " ".join(m.text for m in shown)
    assert slack.fake.calls("chat.postMessage")[-1].token == "xoxb-T2"
    t1 = await slack.app.service.plan(Owner(platform="slack", tenant="T1", subject="U1"))
    t2 = await slack.app.service.plan(Owner(platform="slack", tenant="T2", subject="U1"))
    assert t1 is not None and t1.purpose.audience == "Makers of <!here> small tools"
    assert t2 is not None and t2.purpose.audience == "Bakers in Lyon"


async def due_owners(slack: SlackWorld, *, days: int) -> set[Owner]:
    """Whose check-ins the scheduler would send ``days`` from now."""
    later = slack.clock() + timedelta(days=days)
    await slack.app.outbox.enqueue_due(later)
    claimed = await slack.app.outbox.claim(
        now=later, limit=100, platforms=("slack",), worker="test", lease=timedelta(minutes=5)
    )
    return {nudge.owner for nudge in claimed}


async def test_uninstalling_forgets_the_workspace_tokens_and_stops_its_check_ins(
    distributed: SlackWorld,
) -> None:
    slack = distributed
    await install(slack, "T1")
    await install(slack, "T2")
    await slack.make_plan(team="T1")
    await slack.make_plan(team="T2")
    assert slack.slack.oauth is not None
    installations = slack.slack.oauth.installations

    status, _ = await slack.event({"type": "app_uninstalled"}, team="T1")
    assert status == 200
    await slack.idle()

    assert await installations.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await bot_token(installations, "T1") is None
    assert await bot_token(installations, "T2") == "xoxb-T2"
    before = len(slack.fake.calls("chat.postMessage"))
    dispatcher = await slack.app.open_dispatcher()
    report = await dispatcher.run_pass(slack.clock() + timedelta(days=8))
    sent = slack.fake.calls("chat.postMessage")[before:]
    assert (report.sent, [c.token for c in sent]) == (1, ["xoxb-T2"]), "only the workspace that kept the app"
    assert "Twitter" in sent[0].params["text"]

    status, _ = await slack.command("plan", team="T1")
    assert status == 200
    await slack.idle()
    assert len(slack.fake.calls("chat.postMessage")) == before + 1, "T1's requests are no longer answered"
    assert await slack.app.service.plan(T1_OWNER) is not None, "plans are kept for a reinstall"


async def test_a_revoked_bot_token_stops_check_ins_but_a_revoked_user_token_does_not(
    slack: SlackWorld,
) -> None:
    await slack.make_plan()
    await slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": []}})
    await slack.idle()
    assert await slack.app.outbox.enqueue_due(slack.clock() + timedelta(days=8)) == 1, "still checked in on"
    await slack.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UCOACHBOT"]}})
    await slack.idle()
    assert await due_owners(slack, days=15) == set(), "the waiting check-in is skipped, no new one comes"


async def test_check_ins_of_each_workspace_go_out_with_its_own_token(distributed: SlackWorld) -> None:
    slack = distributed
    await install(slack, "T1")
    await install(slack, "T2")
    assert slack.slack.oauth is not None
    sender = WorkspaceSender(slack.slack.oauth.installations, base_url=slack.fake.url)
    hello = (Reply(text="Time for your check-in"),)
    for owner in (T1_OWNER, T2_OWNER):
        nudge = OutboundNudge(
            id=1,
            key=f"k-{owner.tenant}",
            owner=owner,
            kind="checkin",
            week="2026-W49",
            replies=hello,
            not_before=slack.clock(),
        )
        assert await sender.send(nudge)
    assert [c.token for c in slack.fake.calls("chat.postMessage")] == ["xoxb-T1", "xoxb-T2"]

    await slack.event({"type": "app_uninstalled"}, team="T1")
    await slack.idle()
    gone = OutboundNudge(
        id=2,
        key="k-gone",
        owner=T1_OWNER,
        kind="checkin",
        week="2026-W50",
        replies=hello,
        not_before=slack.clock(),
    )
    with pytest.raises(PermanentSendError):
        await sender.send(gone)


async def test_slack_errors_of_any_workspace_are_counted_by_code(distributed: SlackWorld) -> None:
    slack = distributed
    await install(slack, "T2")
    assert slack.slack.oauth is not None
    codes: list[str] = []
    sender = WorkspaceSender(
        slack.slack.oauth.installations, base_url=slack.fake.url, on_api_error=codes.append
    )
    slack.fake.fail("chat.postMessage", error="channel_not_found")
    nudge = OutboundNudge(
        id=1,
        key="k-T2",
        owner=T2_OWNER,
        kind="checkin",
        week="2026-W49",
        replies=(Reply(text="Time for your check-in"),),
        not_before=slack.clock(),
    )
    with pytest.raises(PermanentSendError):
        await sender.send(nudge)
    assert codes == ["channel_not_found"]
