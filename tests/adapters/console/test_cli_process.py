"""The terminal coach as a newcomer meets it: the real `coach` executable in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.coaching.harness import WORKED_EXAMPLE

COACH = str(Path(sys.executable).parent / "coach")
pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "COACH_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }


def coach(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COACH, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_worked_example_piped_through_coach_chat_is_stored(env: dict[str, str], tmp_path: Path) -> None:
    script = [*WORKED_EXAMPLE, "checkin", "yes", "yes", "yes", "72%", "25", "2", "skip", "export"]
    saved = tmp_path / "saved"
    chat = coach(env, "chat", "--user", "alice", "--save-to", str(saved), stdin="\n".join(script) + "\n")
    assert chat.returncode == 0, chat.stderr
    assert "Is Twitter still serving your support goal?" in chat.stdout
    assert "Traceback" not in chat.stdout + chat.stderr
    # A terminal can't show the chart, so the export's files are saved where it says.
    assert f"(a picture: open {saved / 'progress.png'})" in chat.stdout
    assert (saved / "progress.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((saved / "plan.json").read_text())["owner"]["subject"] == "alice"

    shown = coach(env, "plan", "--user", "alice")
    assert shown.returncode == 0
    assert "Drinks with industry friends" in shown.stdout
    assert "Nothing for traffic (would use YouTube, SlideShare" in shown.stdout

    document = json.loads(coach(env, "plan", "--user", "alice", "--format", "json").stdout)
    tactics = {t["channel"]: t for t in document["tactics"]}
    objectives = {o["id"]: o for o in document["objectives"]}
    assert objectives[tactics["twitter"]["objective"]]["job"] == "support"
    assert objectives[tactics["email"]["objective"]]["job"] == "traffic"
    assert objectives[tactics["drinks with industry friends"]["objective"]]["job"] == "trends"
    assert document["not_doing"][0]["would_use"] == ["youtube", "slideshare"]
    assert all(date.fromisoformat(o["deadline"]) > date.today() for o in objectives.values())


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"never saw {marker!r}; got:\n{seen[-2000:]}"
        line = process.stdout.readline()
        assert line, f"process ended before {marker!r}; got:\n{seen[-2000:]}"
        seen += line
    return seen


def test_killed_mid_conversation_resumes_at_the_same_question(env: dict[str, str]) -> None:
    first = subprocess.Popen(
        [COACH, "chat", "--user", "bob"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert first.stdin is not None
    for answer in WORKED_EXAMPLE[:7]:
        first.stdin.write(answer + "\n")
    first.stdin.flush()
    read_until(first, "Next objective?")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    second = coach(env, "chat", "--user", "bob", stdin="")
    assert "Welcome back" in second.stdout
    assert "Next objective?" in second.stdout, "the same question is asked again"

    rest = coach(env, "chat", "--user", "bob", stdin="\n".join(WORKED_EXAMPLE[7:]) + "\n")
    assert "Is Twitter still serving your support goal?" in rest.stdout
    document = json.loads(coach(env, "plan", "--user", "bob", "--format", "json").stdout)
    assert document["purpose"]["audience"] == WORKED_EXAMPLE[0]
    assert len(document["objectives"]) == 3 and len(document["tactics"]) == 3


def test_import_forget_and_plan_history(env: dict[str, str], tmp_path: Path) -> None:
    coach(env, "chat", "--user", "carol", stdin="\n".join(WORKED_EXAMPLE) + "\n")
    exported = coach(env, "plan", "--user", "carol", "--format", "json").stdout
    path = tmp_path / "plan.json"
    path.write_text(exported)

    imported = coach(env, "import", str(path), "--user", "dave")
    assert imported.returncode == 0 and "console/local/dave" in imported.stdout
    dave = json.loads(coach(env, "plan", "--user", "dave", "--format", "json").stdout)
    carol = json.loads(exported)
    assert dave["tactics"] == carol["tactics"] and dave["owner"]["subject"] == "dave"

    early = coach(env, "plan", "--user", "carol", "--as-of", "2000-01-01")
    assert early.returncode == 1 and "No plan stored" in early.stderr

    forgotten = coach(env, "forget", "--user", "carol")
    assert forgotten.returncode == 0 and "rows deleted" in forgotten.stdout
    assert coach(env, "plan", "--user", "carol").returncode == 1
    assert coach(env, "plan", "--user", "dave").returncode == 0, "forgetting one owner leaves others"


def test_import_of_a_broken_file_says_why(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": 1, "owner": {"platform": "console"')
    result = coach(env, "import", str(path))
    assert result.returncode == 2 and "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
