"""How long a nudge waits after a transient failure: exponential backoff with jitter.

Jitter spreads the retries of many nudges that failed together (a platform outage), so
they do not all come back in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempt ``n`` (1-based) waits between half and all of ``base * 2**(n-1)``, capped."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 8
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        """The wait after failed attempt number ``attempts``; never shorter than ``retry_after``."""
        doublings = min(max(attempts - 1, 0), 30)  # 2**30 × base is past any sane cap
        ceiling = min(self.cap, self.base * (1 << doublings))
        wait = ceiling * (0.5 + self.rng.random() / 2)
        if retry_after is not None:
            wait = max(wait, timedelta(seconds=retry_after))
        return wait
