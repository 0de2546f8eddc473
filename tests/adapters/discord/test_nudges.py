"""Check-ins sent by the real dispatcher through the Discord sender, and clicked after a restart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.discord.identity import personal_owner
from adapters.discord.sender import DiscordSender, nudge_tag
from bot.scheduling.dispatcher import DispatchConfig, Dispatcher
from bot.scheduling.ports import OutboundNudge
from bot.scheduling.throttle import ChannelThrottle
from bot.storage import NudgeKind, Outbox
from bot.storage.models import OwnerRow, ScheduleRow
from coaching.model import Owner
from coaching.replies import Choice, Reply
from tests.adapters.discord.conftest import USER, DiscordWorld, buttons
from tests.fakes.discord_api import BOT_ID

ALICE, BOB, CAROL = USER, USER + 1, USER + 2
#: The first check-in slot after the worked example: Monday 09:00 in Berlin.
MONDAY = datetime.fromisoformat("2026-11-30T08:00:00+00:00")


def dispatcher(world: DiscordWorld) -> Dispatcher:
    """The real dispatcher, with the bot's sender and the coach composing the check-ins."""

    async def compose(owner: Owner, *, now: datetime, week: str, kind: NudgeKind) -> tuple[Reply, ...]:
        return await world.app.service.start_checkin(owner, now=now, week=week, reminder=kind == "reminder")

    return Dispatcher(
        Outbox(world.app.engine), [world.bot.sender], compose, config=DispatchConfig(channel_interval=0)
    )


async def unreachable(world: DiscordWorld, user: int) -> str | None:
    async with world.app.engine.connect() as connection:
        row = await connection.execute(
            select(ScheduleRow.unreachable_reason)
            .join(OwnerRow, OwnerRow.id == ScheduleRow.owner_id)
            .where(OwnerRow.platform == "discord", OwnerRow.subject == str(user))
        )
        return row.scalar_one()


@pytest.mark.parametrize("status", [403, 400])
async def test_closed_dms_mark_one_owner_unreachable_and_the_pass_goes_on(
    discord_world: DiscordWorld, status: int
) -> None:
    for user in (ALICE, BOB, CAROL):
        await discord_world.make_plan(user=user)
    discord_world.fake.refuse_dm(BOB, status=status)
    discord_world.clock.now = MONDAY + timedelta(hours=1)

    report = await dispatcher(discord_world).run_pass(discord_world.clock())

    assert (report.claimed, report.sent, report.unreachable) == (3, 2, 1)
    for user in (ALICE, CAROL):
        checkin = discord_world.fake.dm(user)[-1]
        assert "Weekly check-in" in checkin["content"]
        assert buttons(checkin) == ["Yes", "Somewhat", "No", "Ask me tomorrow"]
    assert await unreachable(discord_world, BOB) == "50007: cannot send messages to this user"
    assert await unreachable(discord_world, ALICE) is None


async def test_a_check_in_button_clicked_after_a_restart_is_handled(
    discord_world: DiscordWorld,
) -> None:
    await discord_world.make_plan()
    discord_world.clock.now = MONDAY + timedelta(hours=1)
    assert (await dispatcher(discord_world).run_pass(discord_world.clock())).sent == 1
    checkin = discord_world.fake.dm(USER)[-1]

    await discord_world.restart()
    click = await discord_world.click(checkin, "Yes")

    snapshot = await discord_world.app.store.load(personal_owner(USER), now=discord_world.clock())
    verdicts = [(e.verdict, e.answered_by) for e in snapshot.history if e.kind == "verdict"]
    assert verdicts == [("yes", str(USER))]
    assert discord_world.fake.messages[int(checkin["id"])]["components"] == []
    assert "still serving" in discord_world.answers(click)[-1]["content"], "the next tactic is asked"


def nudge(key: str, *, user: int = USER, replies: tuple[Reply, ...] = ()) -> OutboundNudge:
    question = Reply(text="Is **Twitter** still serving your support goal?", kind="question")
    return OutboundNudge(
        id=1,
        key=key,
        owner=personal_owner(user),
        kind="checkin",
        week="2026-W49",
        replies=replies or (question,),
        not_before=MONDAY,
    )


async def test_a_resent_nudge_is_one_message_and_is_found_in_the_history(discord_world: DiscordWorld) -> None:
    key = f"discord/dm/{USER}/checkin/2026-11-30T08:00:00Z"
    choices = (
        Choice("checkin.verdict|t1@2026-W49|yes", "Yes"),
        Choice("checkin.verdict|t1@2026-W49|no", "No"),
    )
    outbound = nudge(
        key, replies=(Reply(text="Is **Twitter** still serving?", choices=choices, kind="question"),)
    )
    sender = discord_world.bot.sender
    discord_world.clock.now = MONDAY + timedelta(minutes=1)

    assert await sender.find_sent(outbound) is None
    first = await sender.send(outbound)
    again = await sender.send(outbound)  # a worker that crashed before recording "sent"

    assert first == again
    assert len(discord_world.fake.dm(USER)) == 1
    [post, _] = discord_world.fake.of("POST", f"/channels/{discord_world.fake.dm_channel(USER)}/messages")
    assert post.body["nonce"] == nudge_tag(key) + "0" and post.body["enforce_nonce"] is True
    assert await sender.find_sent(outbound) == first
    assert await sender.find_sent(nudge(key.replace("2026-11-30", "2026-12-07"))) is None
    assert discord_world.fake.dm(USER)[0]["author"]["id"] == str(BOT_ID)


async def test_a_rate_limited_send_is_retried_by_discord_py(discord_world: DiscordWorld) -> None:
    path = f"/channels/{discord_world.fake.dm_channel(USER)}/messages"
    discord_world.fake.rate_limit("POST", path)

    reference = await discord_world.bot.sender.send(nudge("discord/dm/1/checkin/x"))

    assert reference is not None
    assert [c.status for c in discord_world.fake.of("POST", path)] == [429, 200]


async def test_every_request_of_the_fan_out_takes_its_turn(discord_world: DiscordWorld) -> None:
    """Discord allows a bot 50 requests a second in all: the sender paces itself below that."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    pacer = ChannelThrottle(0.04, monotonic=lambda: 100.0, sleep=sleep)
    sender = DiscordSender(discord_world.bot.client, pacer=pacer)
    for user in (ALICE, BOB, CAROL):
        await sender.send(nudge(f"discord/dm/{user}/checkin/x", user=user))

    # Opening each DM and posting to it: six requests, the first at once, then 40 ms apart.
    assert waits == pytest.approx([0.04 * n for n in range(1, 6)])
    assert all(len(discord_world.fake.dm(user)) == 1 for user in (ALICE, BOB, CAROL))
