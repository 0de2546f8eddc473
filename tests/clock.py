"""The clock tests hand to the app: it stands still until a test moves it, so nothing sleeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.coaching.harness import START


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
