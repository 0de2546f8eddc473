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
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.observability.metrics import Metrics
from bot.scheduling.ports import Compose, OutboundNudge, PermanentSendError, Sender, TransientSendError
from bot.scheduling.retry import RetryPolicy
from bot.scheduling.throttle import ChannelThrottle
from bot.storage import ClaimedNudge, Outbox
from bot.storage.outbox import Failed, Outcome, Released, Retry, Sent, Skipped

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    """``concurrency`` bounds sends in flight; ``lease`` is how long a claim holds a nudge
    before another worker may take it over; ``channel_interval`` spaces messages to one
    channel (seconds, 0 for none)."""

    concurrency: int = 50
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
    """Writes outcomes while sends go on: whatever piled up during one write is the next batch.

    Under load that is one transaction for many nudges; when idle, each outcome is
    written at once, which keeps the window between "sent" and "marked" short.
    """

    def __init__(self, outbox: Outbox, worker: str, clock: Clock) -> None:
        self._outbox = outbox
        self._worker = worker
        self._clock = clock
        self._buffer: list[Outcome] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._run())

    def add(self, outcome: Outcome) -> None:
        self._buffer.append(outcome)
        self._wake.set()

    async def close(self) -> None:
        """Write what is left and stop; raises what a write raised."""
        self._closing = True
        self._wake.set()
        await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._buffer:
                batch, self._buffer = self._buffer, []
                await self._outbox.record(batch, worker=self._worker, now=self._clock())
            if self._closing:
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
        :mod:`bot.observability.metrics`); each platform's label children are taken here,
        once, so counting costs a sent nudge no allocation."""
        self._outbox = outbox
        self._senders = {sender.platform: sender for sender in senders}
        metrics = metrics or Metrics()
        self._pass_duration = metrics.dispatch_pass
        self._nudge_metrics = {platform: metrics.nudges_of(platform) for platform in self._senders}
        self._compose = compose
        self._config = config or DispatchConfig()
        self.worker = worker or worker_name()
        self._monotonic = monotonic
        self._throttle = throttle or ChannelThrottle(self._config.channel_interval, monotonic=monotonic)
        self._stopping = False

    def stop(self) -> None:
        """Finish the sends in flight, release the claimed rest, claim nothing more."""
        self._stopping = True

    async def run_pass(self, now: datetime) -> PassReport:
        """Everything due at ``now``: enqueue check-ins and reminders, then deliver.

        Times written during the pass are ``now`` plus the time the pass has taken, so a
        long pass does not hand out leases that are already running out.
        """
        started = self._monotonic()

        def clock() -> datetime:
            return now + timedelta(seconds=self._monotonic() - started)

        report = PassReport()
        if self._stopping:
            return report
        report.enqueued = await self._outbox.enqueue_due(now)
        report.reminders = await self._outbox.enqueue_reminders(now)
        writer = _OutcomeWriter(self._outbox, self.worker, clock)
        try:
            await self._deliver_all(clock, writer, report)
        finally:
            await writer.close()
            self._throttle.forget_idle()
            self._pass_duration.observe(self._monotonic() - started)
        return report

    async def _deliver_all(self, clock: Clock, writer: _OutcomeWriter, report: PassReport) -> None:
        """Keep about two claims' worth of nudges per send slot in flight, no more.

        Claiming in small batches as slots free up keeps a claimed nudge's wait short
        (well inside its lease) and leaves the rest to other replicas.
        """
        concurrency = self._config.concurrency
        slots = asyncio.Semaphore(concurrency)
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                room = 2 * concurrency - len(in_flight)
                if room < max(1, concurrency // 2) and in_flight:
                    _, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                batch = await self._outbox.claim(
                    now=clock(),
                    limit=room,
                    platforms=tuple(self._senders),
                    worker=self.worker,
                    lease=self._config.lease,
                )
                if not batch:
                    break
                report.claimed += len(batch)
                in_flight |= {
                    asyncio.create_task(self._deliver(nudge, slots, clock, writer, report)) for nudge in batch
                }
        finally:
            if in_flight:
                await asyncio.wait(in_flight)

    async def _deliver(
        self,
        nudge: ClaimedNudge,
        slots: asyncio.Semaphore,
        clock: Clock,
        writer: _OutcomeWriter,
        report: PassReport,
    ) -> None:
        async with slots:
            outcome = Released(nudge.id) if self._stopping else await self._attempt(nudge, clock, report)
        report.count(outcome)
        self._count(nudge.owner.platform, outcome)
        writer.add(outcome)

    def _count(self, platform: str, outcome: Outcome) -> None:
        """Sent (or found sent), and failures by kind: a retry, an unreachable owner, giving up."""
        metrics = self._nudge_metrics[platform]
        match outcome:
            case Sent():
                metrics.sent.inc()
            case Retry():
                metrics.transient.inc()
            case Failed(unreachable=True):
                metrics.permanent.inc()
            case Failed():
                metrics.gave_up.inc()

    async def _attempt(self, nudge: ClaimedNudge, clock: Clock, report: PassReport) -> Outcome:
        sender = self._senders[nudge.owner.platform]
        outbound = OutboundNudge(
            id=nudge.id,
            key=nudge.key,
            owner=nudge.owner,
            kind=nudge.kind,
            week=nudge.week,
            replies=(),
            not_before=nudge.due_at,
        )
        try:
            if nudge.attempts > 1:
                found = await sender.find_sent(outbound)
                if found is not None:
                    report.reconciled += 1
                    return Sent(nudge.id, found)
            replies = await self._compose(nudge.owner, now=clock(), week=nudge.week, kind=nudge.kind)
            if not replies:
                return Skipped(nudge.id, "nothing to ask")
            owner = nudge.owner
            await self._throttle.wait((owner.platform, owner.tenant, owner.subject))
            reference = await sender.send(replace(outbound, replies=tuple(replies)))
            lag = clock() - nudge.due_at
            self._nudge_metrics[owner.platform].lag.observe(lag.total_seconds())
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
