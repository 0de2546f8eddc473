"""Real ``coach serve`` replicas on one private PostgreSQL database, and Slack's side of them.

A replica is the installed ``coach serve`` command in a process of its own, configured
only through the environment as in production (single-workspace Slack over HTTP),
pointed at the fake Slack Web API that runs in the test process on loopback. Its
output goes to a file that is printed when the test fails (captured teardown output).
Every process a test starts is killed at teardown, whatever happened.

Waiting is always for a condition, polled with a deadline: a process answering
``/healthz``, rows reaching a status, messages arriving. Nothing sleeps to decide.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import make_engine, upgrade_database
from bot.storage.models import ConversationRow, NudgeRow, OwnerRow, PlanVersionRow, ScheduleRow
from coaching.document import plan_to_document
from coaching.model import Owner
from tests.adapters.slack.conftest import SECRET, command_body, dm, dm_message, event_body, signed_headers
from tests.bot.scheduling.seed import seed_owners, user_id
from tests.coaching.harness import START, WORKED_EXAMPLE, Conversation
from tests.conftest import PostgresServer, _free_port
from tests.fakes.slack_app_api import SlackAppApi

TEAM = "T1"
TOKEN = f"xoxb-{TEAM}"  # what the fake Web API accepts for workspace T1
SERVE = (str(Path(sys.executable).parent / "coach"), "serve")
READY_SECONDS = 60.0  # two interpreters starting and migrating at once on a busy 2-CPU machine
EXIT_SECONDS = 20.0


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, seconds: float, what: str, every: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` once ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g}s waiting for {what}")
        await asyncio.sleep(every)


# -- processes -----------------------------------------------------------------------------


@dataclass
class Replica:
    """One ``coach serve`` process; ``log`` holds its stdout and stderr."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def owns(self, worker: str | None) -> bool:
        """Whether an outbox ``claimed_by`` names this process (``host:pid:tag``)."""
        return worker is not None and worker.rsplit(":", 2)[-2] == str(self.pid)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Replicas:
    """Starts replicas on one database and one fake Slack Web API; :meth:`close` kills what is left.

    ``token`` is the bot token the fake accepts (also used by ``bench/replicas.py``, whose
    fake runs in a process of its own).
    """

    directory: Path
    database_url: str
    slack_url: str
    token: str = TOKEN
    started: list[Replica] = field(default_factory=list)

    def start(
        self,
        name: str,
        *,
        command: Sequence[str] = SERVE,
        environment: Mapping[str, str] | None = None,
        **settings: str | float,
    ) -> Replica:
        """``coach serve`` (or ``command``) on a free port; ``settings`` are COACH_* variables,
        e.g. ``dispatch_lease=3``; ``environment`` adds any other (``DISCORD_TOKEN``)."""
        port = _free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("COACH_", "SLACK_", "DISCORD_"))
        }
        env |= {
            "COACH_DATABASE_URL": self.database_url,
            "COACH_HOST": "127.0.0.1",
            "COACH_PORT": str(port),
            "SLACK_BOT_TOKEN": self.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.slack_url,
            "COACH_DISPATCH_INTERVAL": "0.5",
            "COACH_CHANNEL_INTERVAL": "0",
            "PYTHONUNBUFFERED": "1",
        }
        env |= {f"COACH_{key.upper()}": str(value) for key, value in settings.items()}
        env |= {"XDG_STATE_HOME": str(self.directory / f"{name}-state"), **(environment or {})}
        log = self.directory / f"{name}.log"
        with log.open("wb") as out:
            # cwd: a directory without a .env file, so only the environment above counts.
            process = subprocess.Popen(
                list(command), cwd=self.directory, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        replica = Replica(name=name, process=process, port=port, log=log)
        self.started.append(replica)
        return replica

    async def ready(self, *replicas: Replica) -> None:
        """Wait until every replica answers ``GET /healthz``; fail at once if one exits."""
        async with aiohttp.ClientSession() as session:
            for replica in replicas:

                async def healthy(replica: Replica = replica) -> bool:
                    if replica.process.poll() is not None:
                        raise AssertionError(
                            f"{replica.name} exited with {replica.process.returncode}:\n{replica.output()}"
                        )
                    try:
                        async with session.get(f"{replica.url}/healthz") as response:
                            return response.status == 200
                    except aiohttp.ClientConnectionError:
                        return False

                await wait_until(healthy, seconds=READY_SECONDS, what=f"{replica.name} to answer /healthz")

    def start_all(
        self, *names: str, command: Sequence[str] = SERVE, **settings: str | float
    ) -> list[Replica]:
        """One replica per name, all starting at once, with the same command and settings."""
        return [self.start(name, command=command, **settings) for name in names]

    def close(self, *, show_output: bool = True) -> None:
        """Kill every replica still running and print each one's output (a test's teardown
        output is shown when the test failed)."""
        for replica in self.started:
            if replica.process.poll() is None:
                replica.process.kill()
            replica.process.wait(EXIT_SECONDS)
            if not show_output:
                continue
            print(f"----- {replica.name} (pid {replica.pid}, exit {replica.process.returncode}) -----")
            print(replica.output())


async def stopped(replica: Replica, signum: signal.Signals, *, seconds: float = EXIT_SECONDS) -> int:
    """Send ``signum`` and wait (without blocking the event loop) for the exit code."""
    replica.process.send_signal(signum)
    code = await asyncio.to_thread(replica.process.wait, seconds)
    return int(code)


# -- the fake Slack Web API, in this process ----------------------------------------------------


class SlowAckSlackApi(SlackAppApi):
    """The app's fake Web API; ``ack_delay`` holds each answer back after the call took effect.

    ``latency`` (the base class's) delays a call before it is handled; ``ack_delay``
    after: the message is in Slack while the sender still waits to hear so. A replica
    killed then leaves nudges Slack has but its outbox does not know were sent, the
    case the metadata lookup (``find_sent``) exists for.
    """

    ack_delay: float = 0.0

    async def _api_route(self, request: web.Request) -> web.Response:
        response = await super()._api_route(request)
        if self.ack_delay:
            await asyncio.sleep(self.ack_delay)
        return response


@pytest.fixture
def fake_slack() -> Iterator[SlowAckSlackApi]:
    fake = SlowAckSlackApi(teams=(TEAM,))
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def pg_database_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database: the replicas migrate it themselves as they start."""
    return postgres_server.create_database()


@pytest.fixture
async def database(pg_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the replicas' database, for seeding and for watching the outbox."""
    engine = make_engine(pg_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def replicas(tmp_path: Path, pg_database_url: str, fake_slack: SlowAckSlackApi) -> Iterator[Replicas]:
    started = Replicas(tmp_path, pg_database_url, fake_slack.url)
    try:
        yield started
    finally:
        started.close()


# -- Slack's requests to a replica ------------------------------------------------------------


@dataclass
class SlackRequests:
    """Signed requests as Slack sends them, to whichever replica the load balancer picks."""

    session: aiohttp.ClientSession
    slack: SlackAppApi
    sequence: int = 0

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    async def _post(self, replica: Replica, body: str, content_type: str, **headers: str) -> None:
        signed = signed_headers(body, content_type=content_type)
        async with self.session.post(
            f"{replica.url}/slack/events", data=body.encode(), headers={**signed, **headers}
        ) as response:
            assert response.status == 200, (replica.name, response.status, await response.text())

    async def command(self, replica: Replica, text: str = "", *, user: str) -> None:
        """``/coach text`` typed in the person's DM with the bot."""
        n = self._next()
        body = command_body(
            text,
            user=user,
            channel=dm(user),
            team=TEAM,
            n=n,
            response_url=self.slack.response_url(f"command-{n}"),
        )
        await self._post(replica, body, "application/x-www-form-urlencoded")

    async def message(
        self, replica: Replica, text: str, *, user: str, event_id: str, retry: int | None = None
    ) -> None:
        """A DM to the bot; ``retry`` marks it as Slack's retry of ``event_id``."""
        body = event_body(dm_message(text, user=user, n=self._next()), team=TEAM, event_id=event_id)
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        await self._post(replica, body, "application/json", **headers)


@pytest.fixture
async def slack_requests(fake_slack: SlowAckSlackApi) -> AsyncIterator[SlackRequests]:
    async with aiohttp.ClientSession() as session:
        yield SlackRequests(session, fake_slack)


# -- owners with a finished plan and a check-in falling due -------------------------------------


def planned_conversation() -> Conversation:
    """The worked example of METHOD.md, finished: a state and plan every seeded owner gets a copy of."""
    convo = Conversation(owner=Owner("slack", TEAM, "template"), now=START, timezone_hint="UTC")
    convo.start()
    for answer in WORKED_EXAMPLE:
        convo.say(answer)
    assert convo.state is not None and convo.state.finished and convo.plan is not None
    return convo


def current_slot() -> datetime:
    """A weekly slot that has just fallen due: the last whole minute."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


async def seed_planned_owners(engine: AsyncEngine, count: int, *, tenant: str = TEAM) -> datetime:
    """``count`` Slack owners (``U00000000``…) with a finished plan; returns their check-in slot.

    The process tests' bulk seeding (:func:`seed_owners`), plus a copy of the worked
    example's conversation and plan for each owner. The check-in is due only a week
    after the slot; :func:`make_due` moves it to the slot in one statement, so replicas
    already running never see a due owner without a plan (the coach would have nothing
    to ask and the nudge would be skipped, not sent). Migrates the database first (the
    replicas starting meanwhile wait on the same migration lock), so it can overlap
    their start-up.
    """
    await upgrade_database(engine)
    convo = planned_conversation()
    assert convo.state is not None and convo.plan is not None
    # Without the "back" snapshots (the conversation's undo history): they would make
    # every nudge's turn load and store several times more JSON, and the subject here
    # is how replicas share the work, not the cost of a turn.
    state, plan = convo.state.to_dict(with_history=False), plan_to_document(convo.plan)
    slot = current_slot()
    ids = await seed_owners(engine, count, due=slot + timedelta(weeks=1), tenant=tenant)
    async with engine.begin() as connection:
        owners = (
            await connection.execute(select(OwnerRow.id, OwnerRow.subject).where(OwnerRow.id.in_(ids)))
        ).all()
        await connection.execute(
            insert(ConversationRow),
            [{"owner_id": i, "state": state, "version": 1, "updated_at": START} for i, _ in owners],
        )
        await connection.execute(
            insert(PlanVersionRow),
            [
                {
                    "owner_id": i,
                    "version": 1,
                    "document": {**plan, "owner": {**plan["owner"], "subject": subject}},
                    "created_at": START,
                }
                for i, subject in owners
            ],
        )
    return slot


async def make_due(engine: AsyncEngine, slot: datetime) -> None:
    """Every seeded owner's check-in falls due at ``slot`` (in the past), all at once."""
    async with engine.begin() as connection:
        await connection.execute(
            update(ScheduleRow)
            .where(ScheduleRow.next_due_at == slot + timedelta(weeks=1))
            .values(next_due_at=slot)
        )


def nudge_keys(count: int, slot: datetime, *, tenant: str = TEAM) -> set[str]:
    """The idempotency keys of the check-ins :func:`seed_planned_owners` and :func:`make_due` make due."""
    return {f"slack/{tenant}/{user_id(i)}/checkin/{slot:%Y-%m-%dT%H:%M:%SZ}" for i in range(count)}


# -- the outbox, as the replicas left it -------------------------------------------------------


@dataclass(frozen=True)
class NudgeState:
    """One outbox row; ``claimed_by`` is kept once sent, so it names the replica that sent it."""

    id: int
    key: str
    status: str
    claimed_by: str | None
    attempts: int
    sent_at: datetime | None


async def outbox_rows(engine: AsyncEngine) -> list[NudgeState]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(
                NudgeRow.id,
                OwnerRow.platform,
                OwnerRow.tenant,
                OwnerRow.subject,
                NudgeRow.kind,
                NudgeRow.slot,
                NudgeRow.status,
                NudgeRow.claimed_by,
                NudgeRow.attempts,
                NudgeRow.sent_at,
            )
            .join(OwnerRow, OwnerRow.id == NudgeRow.owner_id)
            .order_by(NudgeRow.id)
        )
        return [
            NudgeState(
                id=row.id,
                # The idempotency key, as the dispatcher writes it into the message metadata.
                key=f"{row.platform}/{row.tenant}/{row.subject}/{row.kind}/{row.slot:%Y-%m-%dT%H:%M:%SZ}",
                status=row.status,
                claimed_by=row.claimed_by,
                attempts=row.attempts,
                sent_at=row.sent_at,
            )
            for row in rows
        ]


async def statuses(engine: AsyncEngine) -> dict[str, int]:
    """How many outbox rows are in each status."""
    async with engine.connect() as connection:
        rows = await connection.execute(select(NudgeRow.status, func.count()).group_by(NudgeRow.status))
        return {status: int(count) for status, count in rows}


async def all_sent(engine: AsyncEngine, count: int, *, seconds: float) -> None:
    """Wait until the outbox holds ``count`` nudges, every one of them sent."""

    async def done() -> bool:
        return await statuses(engine) == {"sent": count}

    try:
        await wait_until(done, seconds=seconds, what=f"{count} nudges all sent", every=0.1)
    except AssertionError as error:
        raise AssertionError(f"{error}; the outbox holds {await statuses(engine)}") from None


async def claims_of(engine: AsyncEngine, replica: Replica) -> list[int]:
    """The nudges ``replica`` holds claimed right now (sends under way or waiting for a slot)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(NudgeRow.id).where(
                NudgeRow.status == "claimed", NudgeRow.claimed_by.like(f"%:{replica.pid}:%")
            )
        )
        return [int(nudge_id) for nudge_id in rows.scalars()]


def nudge_posts(slack: SlackAppApi) -> list[dict[str, Any]]:
    """The metadata of every ``chat.postMessage`` call that carried a nudge."""
    posts = []
    for call in slack.calls("chat.postMessage"):
        metadata = call.params.get("metadata")
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
        if metadata and metadata.get("event_type") == "coach_nudge":
            posts.append(metadata)
    return posts
