"""What ``GET /healthz`` checks: the database answers, and each configured adapter is connected.

A check is an async callable returning ``None`` when healthy or a short reason when
not. All checks run at once, each under :data:`CHECK_TIMEOUT`, so a database that hangs
(rather than refuses) still gets an answer to the probe before the probe times out. A
check that raises counts as failed with the exception's class name only: the answer may
be seen by whoever reaches the port, and error messages can carry host names or URLs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CHECK_TIMEOUT = 2.0

Check = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class HealthReport:
    """``checks`` maps each check to ``"ok"`` or what is wrong."""

    checks: dict[str, str]

    @property
    def healthy(self) -> bool:
        return all(result == "ok" for result in self.checks.values())

    def as_json(self) -> dict[str, object]:
        """``{"status": "ok"|"unavailable", "checks": {...}}``; a server given nothing to
        check (a bare HTTP server in a test or a benchmark) answers ``{"status": "ok"}``."""
        status: dict[str, object] = {"status": "ok" if self.healthy else "unavailable"}
        return {**status, "checks": self.checks} if self.checks else status


class Health:
    def __init__(self, checks: Mapping[str, Check], *, timeout: float = CHECK_TIMEOUT) -> None:
        self._checks = dict(checks)
        self._timeout = timeout

    async def report(self) -> HealthReport:
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(self._checks[name]) for name in names))
        return HealthReport(dict(zip(names, results, strict=True)))

    async def _run(self, check: Check) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                problem = await check()
        except TimeoutError:
            return f"no answer within {self._timeout:g}s"
        except Exception as error:  # any failure is an unhealthy answer, not a 500
            return f"failed: {type(error).__name__}"
        return problem or "ok"


def database_check(engine: AsyncEngine) -> Check:
    """``SELECT 1`` on a pooled connection: the database is reachable and answers."""

    async def check() -> str | None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return None

    return check
