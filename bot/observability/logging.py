"""How ``coach serve`` logs: JSON lines (or plain text) on stderr, with secrets redacted.

One handler on the root logger, so the libraries' records (discord.py, slack_bolt,
aiohttp, APScheduler, SQLAlchemy) come out in the same shape as ours. Its
:class:`Redact` filter rewrites every record before any formatter sees it: Slack tokens
(``xoxb-``, ``xoxp-``, ``xapp-``, ...), anything shaped like a Discord bot token, and the
secrets configured in the settings, wherever they appear: the message and its
arguments, string extras, the rendered traceback and stack. A filter on the handler
(not on a logger) is the one place every record passes, whichever logger it came from.

Message texts are the other thing that must not reach the logs at INFO; no filter can
tell a person's words from ours, so that rule is kept by our own log calls (they log
ids, counts and error codes, never what someone wrote). Libraries log payloads only at
DEBUG, which is for a developer's machine.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.settings import Settings

REDACTED = "[redacted]"

#: Slack tokens keep their prefix (which kind leaked is worth knowing), never the rest.
SLACK_TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
#: A Discord bot token: the bot's id in base64, a timestamp, an HMAC, dot-separated.
DISCORD_TOKEN = re.compile(r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}")

#: The attributes every LogRecord has; anything else on a record came in through ``extra``.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_SHORTEST_SECRET = 8


class Redact(logging.Filter):
    """Removes tokens and the given secrets from every record; never drops a record."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole. Very short
        # values would blank out ordinary words and are not real credentials.
        self._secrets = sorted(
            {s for s in secrets if s and len(s) >= _SHORTEST_SECRET}, key=len, reverse=True
        )
        self._traceback = logging.Formatter()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = SLACK_TOKEN.sub(lambda match: f"{match.group(1)}-{REDACTED}", text)
        return DISCORD_TOKEN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            # Rendered here so the formatter uses this text instead of rendering its own.
            record.exc_text = self._traceback.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


def formatter(log_format: Literal["json", "text"]) -> logging.Formatter:
    """JSON: one object a line with ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, any extras, and ``exc_info`` for a traceback."""
    if log_format == "json":
        return JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def log_handler(
    *,
    log_format: Literal["json", "text"],
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """A handler writing to ``stream`` (default stderr) in ``log_format``, redacting as it goes."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(Redact(secrets))
    return handler


def configured_secrets(settings: Settings) -> tuple[str | None, ...]:
    return (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_client_secret,
        settings.discord_token,
    )


#: Loggers that say at INFO what only matters when debugging: APScheduler's executor
#: announces every tick twice (the runner logs the passes that did something).
CHATTY = ("apscheduler.executors",)

#: Loggers whose library builds its debug messages unless the level set on that very
#: logger is above DEBUG: slack_sdk's guards read ``logger.level``, not the effective
#: level (slackapi/python-slack-sdk#1957), so with only the root configured every Web
#: API call formatted its whole request and answer, blocks included, to throw them
#: away: a fifth of the CPU of a check-in's ``chat.postMessage`` (``bench/README.md``).
#: Each gets the root's level, which changes nothing about what is logged.
LEVEL_READ_DIRECTLY = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.web.legacy_base_client",
)


def configure_logging(settings: Settings) -> logging.Handler:
    """Route every logger through one redacting handler on stderr, at ``COACH_LOG_LEVEL``.

    Replaces the root logger's handlers (a process configures its logging once); returns
    the handler.
    """
    handler = log_handler(log_format=settings.coach_log_format, secrets=configured_secrets(settings))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.coach_log_level)
    if root.level > logging.DEBUG:
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
    skip_unlogged_debug_messages(root.level)
    return handler


def skip_unlogged_debug_messages(level: int) -> None:
    """Give the :data:`LEVEL_READ_DIRECTLY` loggers ``level`` (the root's), unless they have
    one of their own, so their libraries stop building debug messages nobody logs."""
    if level <= logging.DEBUG:
        return
    for name in LEVEL_READ_DIRECTLY:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)
