"""One dispatch pass: enqueue what fell due, then claim, compose, send and record.

A pass is driven by an instant (``run_pass(now)``), never by a sleeping timer, so tests
move a clock instead of waiting, and ``coach dispatch --now`` replays any moment.

Delivery is at least once by construction and exactly once where the platform lets us
check: a claim is committed before anything is sent, an outcome is written after, and
a nudge claimed again after its worker vanished (lease expired) or after a failure is
first looked up on the platform (:meth:`~bot.scheduling.ports.Sender.find_sent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.observability.metrics import Metrics
from bot.scheduling.ports import Compose, OutboundNudge, PermanentSendError, Sender, TransientSendError
from bot.scheduling.retry import RetryPolicy
from bot.scheduling.throttle import ChannelThrottle
from bot.storage import Claimant, ClaimedNudge, Outbox
from bot.storage.outbox import Failed, Outcome, Released, Retry, Sent, Skipped
from coaching.replies import Reply

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    """``concurrency`` bounds sends in flight; ``lease`` is how long a claim holds a nudge
    before another worker may take it over; ``channel_interval`` spaces messages to one
    channel (seconds, 0 for none). A pass claims up to ``claim_ahead`` nudges per send
    slot at a time, and marks them sent in batches as large, at most ``write_delay``
    seconds after the send: every transaction costs round trips to the database, so
    fewer, larger ones leave more of the time to the sends. A claimed nudge whose send
    has not started before the last tenth of its lease is handed back instead (sends
    slowed down, say by rate limits): by the time it went out, another worker could have
    taken it over and sent it too."""

    concurrency: int = 50
    claim_ahead: int = 32
    write_delay: float = 0.05
    lease: timedelta = timedelta(minutes=5)
    channel_interval: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(slots=True)
class PassReport:
    """What one pass did; ``reconciled`` nudges were found already delivered, not resent."""

    enqueued: int = 0
    reminders: int = 0
    claimed: int = 0
    sent: int = 0
    reconciled: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    released: int = 0

    def count(self, outcome: Outcome) -> None:
        match outcome:
            case Sent():
                self.sent += 1
            case Skipped():
                self.skipped += 1
            case Retry():
                self.retried += 1
            case Failed(unreachable=unreachable):
                self.failed += 1
                self.unreachable += unreachable
            case Released():
                self.released += 1


def worker_name() -> str:
    """Unique per process and start: host, pid and a random tag (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class _OutcomeWriter:
    """Writes outcomes in batches while sends go on.

    A batch is written once ``batch`` outcomes are waiting, ``delay`` seconds after the
    first of them, or when the pass ends, so a busy pass marks its nudges in a few
    transactions rather than one per handful (each costs the database's round trips),
    and a quiet one marks each nudge a moment after it was sent.
    """

    def __init__(self, outbox: Outbox, worker: str, clock: Clock, *, batch: int, delay: float) -> None:
        self._outbox = outbox
        self._worker = worker
        self._clock = clock
        self._batch = batch
        self._delay = delay
        self._buffer: list[Outcome] = []
        self._waiting = asyncio.Event()
        self._full = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._run())

    def add(self, outcome: Outcome) -> None:
        self._buffer.append(outcome)
        self._waiting.set()
        if len(self._buffer) >= self._batch:
            self._full.set()

    async def close(self) -> None:
        """Write what is left and stop; raises what a write raised."""
        self._closing = True
        self._waiting.set()
        self._full.set()
        await self._task

    async def _run(self) -> None:
        while True:
            await self._waiting.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._delay)
            self._waiting.clear()
            if not self._closing:
                self._full.clear()
            batch, self._buffer = self._buffer, []
            if batch:
                await self._outbox.record(batch, worker=self._worker, now=self._clock())
            if self._closing and not self._buffer:
                return


class Dispatcher:
    """Runs passes over the outbox for the platforms it has senders for."""

    def __init__(
        self,
        outbox: Outbox,
        senders: Iterable[Sender],
        compose: Compose,
        *,
        config: DispatchConfig | None = None,
        worker: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        throttle: ChannelThrottle | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """``metrics`` counts outcomes per platform and times passes (see
        :mod:`bot.observability.metrics`); each platform's tally is taken here, once, so
        counting a sent nudge is two additions and a bisect."""
        self._outbox = outbox
        self._senders = {sender.platform: sender for sender in senders}
        metrics = metrics or Metrics()
        self._pass_duration = metrics.dispatch_pass
        self._nudge_tallies = {platform: metrics.nudges_of(platform) for platform in self._senders}
        self._compose = compose
        self._config = config or DispatchConfig()
        self.worker = worker or worker_name()
        self._monotonic = monotonic
        self._throttle = throttle or ChannelThrottle(self._config.channel_interval, monotonic=monotonic)
        self._send_margin = self._config.lease / 10
        self._stopping = False

    @property
    def config(self) -> DispatchConfig:
        return self._config

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Finish the sends in flight, release the claimed rest, claim nothing more."""
        self._stopping = True

    async def claim(self, now: datetime, limit: int) -> list[ClaimedNudge]:
        """Claim up to ``limit`` due nudges of this dispatcher's platforms."""
        return await self._outbox.claim(
            now=now, limit=limit, platforms=tuple(self._senders), worker=self.worker, lease=self._config.lease
        )

    async def run_pass(self, now: datetime) -> PassReport:
        """Everything due at ``now``: enqueue check-ins and reminders, and deliver.

        Check-ins are enqueued in batches while the first ones are already being sent,
        so a large pass starts sending at once. Times written during the pass are
        ``now`` plus the time the pass has taken, so a long pass does not hand out
        leases that are already running out.
        """
        started = self._monotonic()

        def clock() -> datetime:
            return now + timedelta(seconds=self._monotonic() - started)

        report = PassReport()
        if self._stopping:
            return report
        report.reminders = await self._outbox.enqueue_reminders(now)
        config = self._config
        batch = config.claim_ahead * config.concurrency
        writer = _OutcomeWriter(self._outbox, self.worker, clock, batch=batch, delay=config.write_delay)
        delivery = _Delivery(self, clock, writer, report)
        claimant = Claimant(
            worker=self.worker,
            platforms=frozenset(self._senders),
            lease=config.lease,
            clock=clock,
            room=delivery.room,
            ready=delivery.ready,
        )
        enqueue = self._outbox.enqueue_due(now, claimant=claimant, on_batch=delivery.take)
        enqueuing = asyncio.create_task(enqueue)
        enqueuing.add_done_callback(lambda _: delivery.enqueued())
        try:
            await delivery.run()
            report.enqueued = await enqueuing
        finally:
            if not enqueuing.done():
                enqueuing.cancel()
            await asyncio.gather(enqueuing, return_exceptions=True)
            await writer.close()
            self._throttle.forget_idle()
            self._pass_duration.observe(self._monotonic() - started)
        return report

    def count(self, platform: str, outcome: Outcome) -> None:
        """Sent (or found sent), and failures by kind: a retry, an unreachable owner, giving up."""
        tally = self._nudge_tallies[platform]
        match outcome:
            case Sent():
                tally.sent += 1
            case Retry():
                tally.transient += 1
            case Failed(unreachable=True):
                tally.permanent += 1
            case Failed():
                tally.gave_up += 1

    async def attempt(self, nudge: ClaimedNudge, clock: Clock, report: PassReport) -> Outcome:
        """Compose and send one claimed nudge (after checking the platform, if it was claimed before)."""
        owner = nudge.owner
        sender = self._senders[owner.platform]
        began = self._monotonic()
        now = clock()
        if now >= nudge.lease_ends - self._send_margin:
            return Released(nudge.id)  # held too long: due again, for whoever claims it next
        try:
            if nudge.attempts > 1:
                found = await sender.find_sent(_outbound(nudge, ()))
                if found is not None:
                    report.reconciled += 1
                    return Sent(nudge.id, found)
            replies = await self._compose(owner, now=now, week=nudge.week, kind=nudge.kind)
            if not replies:
                return Skipped(nudge.id, "nothing to ask")
            await self._throttle.wait((owner.platform, owner.tenant, owner.subject))
            reference = await sender.send(_outbound(nudge, tuple(replies)))
            # Not clock() again: a datetime built per nudge costs more than this sum.
            lag = (now - nudge.due_at).total_seconds() + (self._monotonic() - began)
            self._nudge_tallies[owner.platform].observe_lag(lag)
            return Sent(nudge.id, reference)
        except TransientSendError as error:
            return self._retry(nudge, clock(), str(error), error.retry_after)
        except PermanentSendError as error:
            log.warning("owner unreachable, nudge %s failed: %s", nudge.key, error.reason)
            return Failed(nudge.id, error.reason, unreachable=True)
        except Exception as error:  # a bug for one owner must not stop the pass for the others
            log.exception("nudge %s failed unexpectedly", nudge.key)
            return self._retry(nudge, clock(), f"{type(error).__name__}: {error}", None)

    def _retry(self, nudge: ClaimedNudge, now: datetime, error: str, retry_after: float | None) -> Outcome:
        policy = self._config.retry
        if policy.gives_up(nudge.attempts):
            return Failed(nudge.id, f"gave up after {nudge.attempts} attempts: {error}", unreachable=False)
        return Retry(nudge.id, now + policy.delay(nudge.attempts, retry_after), error)


def _outbound(nudge: ClaimedNudge, replies: tuple[Reply, ...]) -> OutboundNudge:
    return OutboundNudge(nudge.id, nudge.key, nudge.owner, nudge.kind, nudge.week, replies, nudge.due_at)


class _Delivery:
    """One pass's senders: ``concurrency`` workers taking claimed nudges off one queue.

    While check-ins are being enqueued, the enqueue feeds the queue: it inserts them
    already claimed (:class:`~bot.storage.Claimant`), a batch each time the queue is
    down to half of ``claim_ahead`` nudges per worker (``ready``). So workers rarely
    wait for the database, a claimed nudge waits only a few sends' time (well inside
    its lease), and no claim transaction competes with the enqueue's. Once the enqueue
    has ended, workers claim what is left (reminders, retries, other replicas' leftovers
    and expired leases) in batches, whenever the queue runs below that mark.
    """

    def __init__(
        self, dispatcher: Dispatcher, clock: Clock, writer: _OutcomeWriter, report: PassReport
    ) -> None:
        self._dispatcher = dispatcher
        self._clock = clock
        self._writer = writer
        self._report = report
        config = dispatcher.config
        self._concurrency = config.concurrency
        self._ahead = max(1, config.claim_ahead) * config.concurrency
        self._low_water = self._ahead // 2
        self._queue: deque[ClaimedNudge] = deque()
        self._claiming: asyncio.Task[None] | None = None
        self._enqueuing = True
        self._arrived = asyncio.Event()  # the queue got nudges, or there will be none
        self._room = asyncio.Event()  # the queue is down to the low-water mark, or sending ended
        self._exhausted = False
        self._finished = False

    @property
    def _closed(self) -> bool:
        """Sending has ended, or is ending: the queue takes nothing more."""
        return self._finished or self._dispatcher.stopping

    def room(self) -> int:
        """How many more nudges the queue takes now (none once the pass stops sending)."""
        if self._closed:
            return 0
        return self._ahead - len(self._queue)

    async def ready(self) -> bool:
        """Wait until the queue has room for another batch; False once sending has ended."""
        while not self._closed:
            if len(self._queue) <= self._low_water:
                return True
            self._room.clear()
            await self._room.wait()
        return False

    def take(self, claimed: list[ClaimedNudge]) -> None:
        """Nudges the enqueue claimed for this pass; given back if sending has ended."""
        if self._finished:
            for nudge in claimed:
                self._settle(nudge, None)
            return
        self._report.claimed += len(claimed)
        self._queue.extend(claimed)
        self._wake()

    def enqueued(self) -> None:
        """The enqueue has ended: workers claim from now on."""
        self._enqueuing = False
        self._wake()

    def _wake(self) -> None:
        """Wake the workers waiting for nudges (each waits on the event current when it began)."""
        self._arrived.set()
        self._arrived = asyncio.Event()

    async def run(self) -> None:
        try:
            await asyncio.gather(*(self._work() for _ in range(self._concurrency)))
        finally:
            self._finished = True
            self._room.set()
            if self._claiming is not None:
                await asyncio.gather(self._claiming, return_exceptions=True)
            # Stopping: what was claimed but not started goes back, the claim not counted.
            while self._queue:
                self._settle(self._queue.popleft(), None)

    async def _work(self) -> None:
        dispatcher = self._dispatcher
        while not dispatcher.stopping:
            claiming = self._claiming
            if claiming is None or claiming.done():
                if claiming is not None:
                    claiming.result()  # a failed claim ends the pass with its error
                if len(self._queue) < self._low_water and not (self._exhausted or self._enqueuing):
                    self._claiming = asyncio.create_task(self._claim())
            if not self._queue:
                if self._exhausted:
                    return
                await self._arrived.wait()
                continue
            nudge = self._queue.popleft()
            if len(self._queue) <= self._low_water:
                self._room.set()
            self._settle(nudge, await dispatcher.attempt(nudge, self._clock, self._report))

    async def _claim(self) -> None:
        """Claim a batch; none left means the pass is done once the queue is."""
        try:
            batch = await self._dispatcher.claim(self._clock(), self._ahead - len(self._queue))
            if batch:
                self._report.claimed += len(batch)
                self._queue.extend(batch)
            else:
                self._exhausted = True
        finally:
            self._wake()

    def _settle(self, nudge: ClaimedNudge, outcome: Outcome | None) -> None:
        outcome = outcome or Released(nudge.id)
        self._report.count(outcome)
        self._dispatcher.count(nudge.owner.platform, outcome)
        self._writer.add(outcome)
