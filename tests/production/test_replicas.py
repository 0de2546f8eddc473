"""Two ``coach serve`` replicas on one PostgreSQL: any replica takes any turn, and nudges go out once.

What DESIGN.md promises for running several replicas, checked on real processes:
conversation state lives in the database (a person's turns may alternate between
replicas), a Slack retry of an event is acted on once wherever it lands, and the
outbox hands every nudge to exactly one replica, also when one is killed (its claims
come back when their lease runs out, and what it had already posted is found by the
message metadata instead of being posted again) or stopped with SIGTERM (sends under
way finish, claims not started are handed back at once).

Deliveries are counted where they land: the fake Slack Web API records every
``chat.postMessage`` with its ``coach_nudge`` key.
"""

from __future__ import annotations

import signal
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.blocks import reply_message
from bot.storage import Store
from coaching.model import Owner
from tests.coaching.harness import WORKED_EXAMPLE, Conversation
from tests.production.conftest import (
    TEAM,
    Replica,
    Replicas,
    SlackRequests,
    SlowAckSlackApi,
    all_sent,
    claims_of,
    dm,
    make_due,
    nudge_keys,
    nudge_posts,
    outbox_rows,
    seed_planned_owners,
    stopped,
    wait_until,
)

pytestmark = pytest.mark.slow

USER = "U1"


async def due_checkins_on_two_replicas(
    replicas: Replicas, database: AsyncEngine, count: int, *, concurrency: int, lease: float = 300
) -> tuple[Replica, Replica, datetime]:
    """Replicas A and B running, then ``count`` check-ins falling due at once; returns their slot.

    Seeding overlaps the replicas' start-up; the check-ins fall due only once both
    answer ``/healthz``, so both are ticking when the work appears and neither gets a
    head start of a whole interpreter start.
    """
    a, b = replicas.start_all(
        "replica-a", "replica-b", dispatch_concurrency=concurrency, dispatch_lease=lease
    )
    slot = await seed_planned_owners(database, count)
    await replicas.ready(a, b)
    await make_due(database, slot)
    return a, b, slot


async def test_a_conversation_moves_between_replicas_and_a_retried_event_counts_once(
    replicas: Replicas, slack_requests: SlackRequests, fake_slack: SlowAckSlackApi, database: AsyncEngine
) -> None:
    a, b = replicas.start_all("replica-a", "replica-b")
    await replicas.ready(a, b)
    expected = Conversation(owner=Owner("slack", TEAM, USER), timezone_hint="Europe/Berlin")
    channel = dm(USER)
    seen = 0

    async def replies_match() -> None:
        """The replicas posted, next in the DM, exactly what the coach says at this point."""
        nonlocal seen
        wanted = [reply_message(reply, kind="user").text for reply in expected.last]

        async def arrived() -> bool:
            return len(fake_slack.messages(channel)) >= seen + len(wanted)

        await wait_until(arrived, seconds=15, what=f"{len(wanted)} replies in {channel}")
        got = [m.text for m in fake_slack.messages(channel)[seen : seen + len(wanted)]]
        assert got == wanted
        seen += len(wanted)

    await slack_requests.command(a, user=USER)
    expected.start()
    await replies_match()
    await slack_requests.message(b, WORKED_EXAMPLE[0], user=USER, event_id="Ev-1")
    expected.say(WORKED_EXAMPLE[0])
    await replies_match()
    # Slack did not see the ack in time and sends the event again; the load balancer
    # picks the other replica for the retry.
    await slack_requests.message(a, WORKED_EXAMPLE[1], user=USER, event_id="Ev-2")
    await slack_requests.message(b, WORKED_EXAMPLE[1], user=USER, event_id="Ev-2", retry=1)
    expected.say(WORKED_EXAMPLE[1])
    await replies_match()
    await slack_requests.message(b, WORKED_EXAMPLE[2], user=USER, event_id="Ev-3")
    expected.say(WORKED_EXAMPLE[2])
    await replies_match()

    # A clean stop lets every acknowledged turn finish: after it nothing more can arrive.
    assert [await stopped(r, signal.SIGTERM) for r in (a, b)] == [0, 0]
    assert len(fake_slack.messages(channel)) == seen, "the retried event was answered twice"
    stored = await Store(database).load(Owner("slack", TEAM, USER))
    assert stored.state is not None and expected.state is not None
    assert stored.state["step"] == expected.state.step
    assert stored.state["section"] == expected.state.section


async def test_two_replicas_share_two_thousand_due_nudges_and_send_each_once(
    replicas: Replicas, fake_slack: SlowAckSlackApi, database: AsyncEngine
) -> None:
    count = 2_000
    # A little latency per call and a modest concurrency keep a pass going for seconds,
    # so the second replica's ticks find work too (as they would with real Slack).
    fake_slack.latency = 0.01
    a, b, slot = await due_checkins_on_two_replicas(replicas, database, count, concurrency=10)

    await all_sent(database, count, seconds=90)

    keys = fake_slack.keys()
    assert set(keys) == nudge_keys(count, slot)
    assert set(keys.values()) == {1}, [k for k, n in keys.items() if n > 1][:5]
    assert len(nudge_posts(fake_slack)) == count
    senders = Counter(r.name for row in await outbox_rows(database) for r in (a, b) if r.owns(row.claimed_by))
    assert sum(senders.values()) == count
    assert senders[a.name] > 0 and senders[b.name] > 0, senders


async def test_a_replica_killed_mid_pass_leaves_nothing_unsent_and_nothing_sent_twice(
    replicas: Replicas, fake_slack: SlowAckSlackApi, database: AsyncEngine
) -> None:
    count = 600
    # Slack takes each message at once and answers 30 ms later: a replica killed in
    # between leaves nudges that Slack has and its outbox does not know were sent.
    fake_slack.ack_delay = 0.03
    a, b, slot = await due_checkins_on_two_replicas(replicas, database, count, concurrency=8, lease=3)

    async def a_is_mid_pass() -> bool:
        # Slack already has some of the nudges A holds: A's own sends are under way. (Slack
        # having any 60 messages was not enough: they could all be B's while A had only
        # just claimed its first batch, and a kill then stranded nothing Slack had.)
        held = set(await claims_of(database, a))
        in_slack = set(fake_slack.keys())
        return any(row.key in in_slack for row in await outbox_rows(database) if row.id in held)

    await wait_until(a_is_mid_pass, seconds=30, what="replica A to be sending")
    assert await stopped(a, signal.SIGKILL) == -signal.SIGKILL
    # Read before A's leases (3 s) run out: until then nobody else may touch its claims.
    stranded = set(await claims_of(database, a))
    in_slack = set(fake_slack.keys())
    history_before = len(fake_slack.calls("conversations.history"))
    at_kill = {row.id: row for row in await outbox_rows(database)}
    unmarked = {n for n in stranded if at_kill[n].key in in_slack}
    assert stranded, "replica A held no claims when it died; nothing was tested"
    assert unmarked, "A died with no message Slack had and A had not marked; reconciliation untested"

    # B takes A's claims over once their lease has run out.
    await all_sent(database, count, seconds=60)

    keys = fake_slack.keys()
    assert set(keys) == nudge_keys(count, slot)
    assert set(keys.values()) == {1}, [k for k, n in keys.items() if n > 1][:5]
    rows = {row.id: row for row in await outbox_rows(database)}
    for nudge in stranded:
        assert b.owns(rows[nudge].claimed_by), rows[nudge]
        assert rows[nudge].attempts >= 2, rows[nudge]
    # Every stranded nudge was looked up on Slack first: found (those in ``unmarked``,
    # each still there once, above) or sent.
    assert len(fake_slack.calls("conversations.history")) - history_before >= len(stranded)


async def test_a_replica_stopped_with_sigterm_finishes_its_sends_and_hands_back_its_other_claims(
    replicas: Replicas, fake_slack: SlowAckSlackApi, database: AsyncEngine
) -> None:
    count = 160
    concurrency = 4
    # Each message is in Slack 100 ms before the sender hears back: a SIGTERM lands while
    # sends are under way.
    fake_slack.ack_delay = 0.1
    # A lease far longer than the test: anything A kept hold of would stay unsent, so
    # "all sent" below can only come from A finishing or handing back every claim.
    a, b, slot = await due_checkins_on_two_replicas(
        replicas, database, count, concurrency=concurrency, lease=600
    )

    held: list[int] = []

    async def a_has_claims_waiting() -> bool:
        # More claims than send slots: some are waiting to start and must be handed back.
        held[:] = await claims_of(database, a)
        return len(held) > concurrency

    await wait_until(a_has_claims_waiting, seconds=30, what="replica A to hold claims not yet started")
    signalled = datetime.now(UTC)
    assert await stopped(a, signal.SIGTERM, seconds=15) == 0
    # With a 600 s lease, no claim left means A wrote an outcome for every one it held.
    assert await claims_of(database, a) == [], "replica A exited still holding claims"
    after_stop = {row.id: row for row in await outbox_rows(database)}
    sent_by_a = [row for row in after_stop.values() if row.status == "sent" and a.owns(row.claimed_by)]
    finished_after_signal = [row for row in sent_by_a if row.sent_at and row.sent_at > signalled]
    handed_back = [n for n in held if n not in {row.id for row in sent_by_a}]
    assert finished_after_signal, "A recorded no send after SIGTERM; no send was under way"
    assert handed_back, "every claim A held was sent by A; none was handed back"

    await all_sent(database, count, seconds=60)

    keys = fake_slack.keys()
    assert set(keys) == nudge_keys(count, slot)
    assert set(keys.values()) == {1}, [k for k, n in keys.items() if n > 1][:5]
    rows = {row.id: row for row in await outbox_rows(database)}
    for nudge in handed_back:
        assert b.owns(rows[nudge].claimed_by), rows[nudge]
    assert b.process.poll() is None, "replica B stopped working"
