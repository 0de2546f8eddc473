"""What ``coach serve`` writes to stderr: JSON lines a collector can parse, and no credentials."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.observability.logging import LEVEL_READ_DIRECTLY, configure_logging, log_handler
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackApi

DISCORD_TOKEN = "MTA4OTk5OTk5OTk5OTk5OTk5OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own writing through the serve handler into a buffer (root stays untouched)."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.observability.serve")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = log_handler(log_format="json", secrets=[SIGNING_SECRET, None], stream=stream)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_line_is_a_json_object_with_level_logger_and_time(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    logger.info("dispatch pass: %d sent", 3, extra={"platform": "slack"})
    logger.warning("owner unreachable")
    first, second = lines(stream)
    assert first["message"] == "dispatch pass: 3 sent"
    assert (first["level"], first["logger"], first["platform"]) == ("INFO", logger.name, "slack")
    assert first["time"].startswith("20")
    assert second["level"] == "WARNING"


def test_tokens_and_configured_secrets_are_redacted_everywhere(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    logger.info("calling Slack with %s", "xoxb-123-abc")
    logger.info("socket mode with xapp-1-A0-42-deadbeef, user token xoxp-9-9-9")
    logger.info("discord login", extra={"token": DISCORD_TOKEN})
    try:
        raise RuntimeError(f"signature check with {SIGNING_SECRET} failed")
    except RuntimeError:
        logger.exception("request refused")

    output = stream.getvalue()
    for secret in ("123-abc", "A0-42-deadbeef", "9-9-9", DISCORD_TOKEN, SIGNING_SECRET):
        assert secret not in output
    slack, socket, discord, refused = lines(stream)
    assert slack["message"] == "calling Slack with xoxb-[redacted]"
    assert "xapp-[redacted]" in socket["message"] and "xoxp-[redacted]" in socket["message"]
    assert discord["token"] == "[redacted]"
    assert "RuntimeError: signature check with [redacted] failed" in refused["exc_info"]


def test_text_format_redacts_too() -> None:
    stream = io.StringIO()
    record = logging.makeLogRecord({"msg": "token %s", "args": ("xoxb-123-abc",), "levelno": logging.INFO})
    log_handler(log_format="text", stream=stream).handle(record)
    assert "xoxb-[redacted]" in stream.getvalue() and "123-abc" not in stream.getvalue()


@pytest.fixture
def root_logging() -> Iterator[None]:
    """``configure_logging`` takes over the root logger; give pytest's handlers back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    chatty = logging.getLogger("apscheduler.executors")
    chatty_level = chatty.level
    guarded = {name: logging.getLogger(name).level for name in LEVEL_READ_DIRECTLY}
    yield
    for name, guarded_level in guarded.items():
        logging.getLogger(name).setLevel(guarded_level)
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    chatty.setLevel(chatty_level)


def test_serve_logging_covers_the_libraries_and_redacts_the_configured_token(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(_env_file=None, discord_token="my-very-own-discord-token")  # type: ignore[call-arg]
    configure_logging(settings)
    logging.getLogger("discord.client").info("logging in using static token my-very-own-discord-token")
    logging.getLogger("apscheduler.executors.default").info('Running job "DispatchRunner._tick"')
    logging.getLogger("bot.serve").debug("not at INFO")

    [line] = [json.loads(text) for text in capsys.readouterr().err.splitlines()]
    assert line["logger"] == "discord.client"
    assert line["message"] == "logging in using static token [redacted]"


async def test_at_info_slack_web_calls_no_longer_build_debug_messages_and_at_debug_they_log_them(
    root_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slack_sdk formats each request and answer whenever its client logger's own level is
    unset, whatever the root's (slackapi/python-slack-sdk#1957)."""
    built: list[str] = []
    with FakeSlackApi() as slack:
        for level, expect_debug in (("INFO", False), ("DEBUG", True)):
            for name in LEVEL_READ_DIRECTLY:
                logging.getLogger(name).setLevel(logging.NOTSET)
            configure_logging(Settings(_env_file=None, coach_log_level=level))  # type: ignore[call-arg]
            client = AsyncWebClient(token=slack.token, base_url=slack.url)
            built.clear()
            monkeypatch.setattr(client._logger, "debug", lambda message, *a, **k: built.append(str(message)))
            await client.chat_postMessage(channel="U1", text="hello")
            monkeypatch.undo()
            assert client._logger.getEffectiveLevel() == getattr(logging, level)
            assert any(m.startswith("Sending a request") for m in built) is expect_debug, (level, built)
