"""``coach dispatch`` and ``coach serve`` as real processes, after the METHOD.md worked example."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.coaching.harness import WORKED_EXAMPLE

COACH = str(Path(sys.executable).parent / "coach")
pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "COACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}",
        "PYTHONUNBUFFERED": "1",
        "TZ": "UTC",  # the console owner's timezone comes from the machine
    }
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_APP_TOKEN"):
        environment.pop(name, None)
    chat = subprocess.run(
        [COACH, "chat", "--user", "alice"],
        input="\n".join(WORKED_EXAMPLE) + "\n",
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Traceback" not in chat.stdout + chat.stderr
    return environment


def coach(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COACH, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def next_monday_at(clock: str) -> str:
    """A local (TZ=UTC) time on the day of the plan's first check-in: Monday 09:00 by default."""
    now = datetime.now(UTC)
    monday = now.date() + timedelta(days=(7 - now.weekday()) % 7)
    if monday == now.date() and now.hour >= 9:
        monday += timedelta(weeks=1)
    return f"{monday.isoformat()}T{clock}"


def test_dispatch_sends_the_worked_example_check_in_once(env: dict[str, str]) -> None:
    early = coach(env, "dispatch", "--now", next_monday_at("08:59"))
    assert (early.returncode, early.stdout) == (0, ""), early.stderr

    first = coach(env, "dispatch", "--now", next_monday_at("10:00"))
    assert first.returncode == 0, first.stderr
    assert "Check-in for alice" in first.stdout
    assert "Is Twitter still serving your support goal?" in first.stdout
    assert "Is Email still serving your sales goal?" in first.stdout
    assert "traffic" not in first.stdout.lower()
    assert "1 sent" in first.stderr

    again = coach(env, "dispatch", "--now", next_monday_at("10:00"))
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert "0 sent" in again.stderr


def test_dispatch_refuses_a_time_it_cannot_read(env: dict[str, str]) -> None:
    refused = coach(env, "dispatch", "--now", "next monday")
    assert refused.returncode == 2
    assert "ISO-8601" in refused.stderr


def test_serve_sends_what_is_due_and_stops_cleanly_on_sigterm(env: dict[str, str], tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "coach.db") as db:  # the check-in fell due an hour ago
        due = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        assert db.execute("UPDATE schedules SET next_due_at = ?", (due,)).rowcount == 1
    server = subprocess.Popen(
        [COACH, "serve"],
        env={**env, "COACH_DISPATCH_INTERVAL": "3600", "COACH_PORT": "0"},  # any free port for HTTP
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        seen = ""
        while "Is Twitter still serving your support goal?" not in seen:
            line = server.stdout.readline()
            assert line, f"serve ended early: {server.stderr.read() if server.stderr else ''}"
            seen += line
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, err
    assert "scheduler stopped" in err
    with sqlite3.connect(tmp_path / "coach.db") as db:
        assert db.execute("SELECT kind, status FROM nudges").fetchall() == [("checkin", "sent")]
