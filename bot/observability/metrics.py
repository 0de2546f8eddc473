"""The coach's Prometheus metrics, in one registry per :class:`~bot.app.App`.

Why a registry of our own instead of prometheus_client's global default: metric objects
register themselves by name, so a second ``build_app`` in one process (every test, a
benchmark building several apps, a replica test) would raise "Duplicated timeseries" or,
worse, add up counts of apps that have nothing to do with each other. A
:class:`Metrics` is made by ``build_app`` and handed to what counts (the service, the
dispatcher, the platform clients) and to the HTTP server that serves it at
``GET /metrics``; whoever is not given one counts into a private instance nobody reads,
which keeps the hot paths free of ``if metrics is not None``.

A turn uses label children looked up once per platform and kept
(:meth:`Metrics.turns_of`): an increment is then about a microsecond, with no label
tuple built per call. API errors are rare and use ``labels()`` directly. A nudge of the
fan-out is cheaper still: its outcome and lag are plain numbers (:class:`NudgeTally`)
that Prometheus reads when it scrapes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

#: Due to sent: a pass every 30 s puts most nudges in the first buckets; retries and
#: catch-ups after downtime land in minutes to hours.
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0)
#: The buckets' ``le`` labels as prometheus_client writes them ("1.0" ... "+Inf").
_LAG_BOUNDS = tuple(floatToGoString(bound) for bound in (*LAG_BUCKETS, float("inf")))  # type: ignore[no-untyped-call]
#: A pass with nothing due takes milliseconds; a fan-out of thousands, tens of seconds.
PASS_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

#: What ``GET /metrics`` answers with.
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True, slots=True)
class TurnCounters:
    """One platform's turn counters."""

    ok: Counter
    error: Counter


class NudgeTally:
    """One platform's nudge outcomes and dispatch lag, as plain numbers.

    Why not prometheus_client's ``Counter`` and ``Histogram``: each of their updates
    takes a lock, and the histogram's walks its buckets, on the event loop's thread that
    every send of a fan-out needs too. Two such updates per nudge cost 4–8 % of a
    10,000-nudge pass (paired rounds with and without them); an addition and a bisect
    cost a fraction of that. :class:`_NudgeCollector` turns the numbers into the same
    metric families when Prometheus scrapes. The dispatcher and the ``/metrics`` handler
    share the event loop, so no lock is needed; a scrape from another thread could at
    worst see a lag's count one ahead of its sum.
    """

    __slots__ = ("gave_up", "lag_buckets", "lag_sum", "permanent", "sent", "transient")

    def __init__(self) -> None:
        self.sent = 0
        self.transient = 0
        self.permanent = 0
        self.gave_up = 0
        self.lag_buckets = [0] * (len(LAG_BUCKETS) + 1)  # the last one is +Inf
        self.lag_sum = 0.0

    def observe_lag(self, seconds: float) -> None:
        """Count one due → sent lag into the first bucket whose bound is at least ``seconds``."""
        self.lag_buckets[bisect_left(LAG_BUCKETS, seconds)] += 1
        self.lag_sum += seconds


class _NudgeCollector(Collector):
    """Exposes the :class:`NudgeTally` of every platform as Prometheus metric families."""

    def __init__(self, tallies: dict[str, NudgeTally]) -> None:
        self._tallies = tallies

    def collect(self) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            "coach_nudges_sent",
            "Check-ins and reminders delivered (or found already delivered after a crash), by platform.",
            labels=("platform",),
        )
        failed = CounterMetricFamily(
            "coach_nudges_failed",
            "Failed nudge attempts, by platform and reason: transient (retried later), "
            "permanent (owner unreachable), gave_up (retries exhausted).",
            labels=("platform", "reason"),
        )
        lag = HistogramMetricFamily(
            "coach_dispatch_lag_seconds",
            "Time from a nudge falling due to it being sent, by platform.",
            labels=("platform",),
        )
        for platform, tally in sorted(self._tallies.items()):
            sent.add_metric((platform,), tally.sent)
            failed.add_metric((platform, "transient"), tally.transient)
            failed.add_metric((platform, "permanent"), tally.permanent)
            failed.add_metric((platform, "gave_up"), tally.gave_up)
            cumulative = list(zip(_LAG_BOUNDS, accumulate(tally.lag_buckets), strict=True))
            lag.add_metric((platform,), cumulative, sum_value=tally.lag_sum)
        yield from (sent, failed, lag)


class Metrics:
    """Every metric the coach exports, registered in :attr:`registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter(
            "coach_turns",
            "Conversation turns handled, by platform and outcome (ok, or error when the turn raised); "
            "a platform's retry of an event already answered is not a turn.",
            ("platform", "outcome"),
            registry=self.registry,
        )
        self._nudges: dict[str, NudgeTally] = {}
        self.registry.register(_NudgeCollector(self._nudges))
        self.dispatch_pass = Histogram(
            "coach_dispatch_pass_duration_seconds",
            "Wall time of one dispatch pass (enqueue, claim, send, record).",
            buckets=PASS_BUCKETS,
            registry=self.registry,
        )
        self.platform_api_errors = Counter(
            "coach_platform_api_errors",
            "Error answers from a platform API, by platform and code: Slack's error string "
            "(or the HTTP status when there is none), Discord's JSON error code (or the HTTP status).",
            ("platform", "code"),
            registry=self.registry,
        )
        self._turns: dict[str, TurnCounters] = {}

    def turns_of(self, platform: str) -> TurnCounters:
        """The turn counters of one platform, made once and kept."""
        counters = self._turns.get(platform)
        if counters is None:
            counters = TurnCounters(
                ok=self.turns.labels(platform, "ok"), error=self.turns.labels(platform, "error")
            )
            self._turns[platform] = counters
        return counters

    def nudges_of(self, platform: str) -> NudgeTally:
        """The nudge tally of one platform, made once and shared by every dispatcher of the app."""
        return self._nudges.setdefault(platform, NudgeTally())

    def api_errors_of(self, platform: str) -> Callable[[str], None]:
        """A callback counting one error answer of ``platform`` by its code, for the adapters
        (which know their platform's errors, not Prometheus)."""
        counter = self.platform_api_errors

        def count(code: str) -> None:
            counter.labels(platform, code).inc()

        return count

    def exposition(self) -> bytes:
        """Everything in the Prometheus text format, as ``GET /metrics`` serves it."""
        return generate_latest(self.registry)
