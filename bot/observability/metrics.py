"""The coach's Prometheus metrics, in one registry per :class:`~bot.app.App`.

Why a registry of our own instead of prometheus_client's global default: metric objects
register themselves by name, so a second ``build_app`` in one process (every test, a
benchmark building several apps, a replica test) would raise "Duplicated timeseries" or,
worse, add up counts of apps that have nothing to do with each other. A
:class:`Metrics` is made by ``build_app`` and handed to what counts (the service, the
dispatcher, the platform clients) and to the HTTP server that serves it at
``GET /metrics``; whoever is not given one counts into a private instance nobody reads,
which keeps the hot paths free of ``if metrics is not None``.

The hot paths (a turn, a nudge of the fan-out) use label children looked up once per
platform and kept (:meth:`Metrics.turns_of`, :meth:`Metrics.nudges_of`): an increment is
then about a microsecond, with no label tuple built per call. API errors are rare and
use ``labels()`` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

#: Due to sent: a pass every 30 s puts most nudges in the first buckets; retries and
#: catch-ups after downtime land in minutes to hours.
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0)
#: A pass with nothing due takes milliseconds; a fan-out of thousands, tens of seconds.
PASS_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

#: What ``GET /metrics`` answers with.
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True, slots=True)
class TurnCounters:
    """One platform's turn counters."""

    ok: Counter
    error: Counter


@dataclass(frozen=True, slots=True)
class NudgeMetrics:
    """One platform's nudge outcomes and dispatch lag, for the dispatcher's hot path."""

    sent: Counter
    transient: Counter
    permanent: Counter
    gave_up: Counter
    lag: Histogram


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
        self.nudges_sent = Counter(
            "coach_nudges_sent",
            "Check-ins and reminders delivered (or found already delivered after a crash), by platform.",
            ("platform",),
            registry=self.registry,
        )
        self.nudges_failed = Counter(
            "coach_nudges_failed",
            "Failed nudge attempts, by platform and reason: transient (retried later), "
            "permanent (owner unreachable), gave_up (retries exhausted).",
            ("platform", "reason"),
            registry=self.registry,
        )
        self.dispatch_lag = Histogram(
            "coach_dispatch_lag_seconds",
            "Time from a nudge falling due to it being sent, by platform.",
            ("platform",),
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
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

    def nudges_of(self, platform: str) -> NudgeMetrics:
        """The nudge metrics of one platform; the dispatcher takes them once per sender."""
        return NudgeMetrics(
            sent=self.nudges_sent.labels(platform),
            transient=self.nudges_failed.labels(platform, "transient"),
            permanent=self.nudges_failed.labels(platform, "permanent"),
            gave_up=self.nudges_failed.labels(platform, "gave_up"),
            lag=self.dispatch_lag.labels(platform),
        )

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
