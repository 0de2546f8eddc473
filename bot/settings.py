"""Settings from the environment or a ``.env`` file (the public contract in DESIGN.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from platformdirs import user_data_path
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def data_directory() -> Path:
    """The user's data dir for this app: the default database and saved exports live here."""
    return user_data_path("popt-coach", appauthor=False, ensure_exists=True)


def default_database_url() -> str:
    """An SQLite file in the user's data dir, so a first run needs no server at all."""
    return f"sqlite+aiosqlite:///{data_directory() / 'coach.db'}"


def default_export_directory(user: str) -> Path:
    """Where ``coach chat`` saves what ``export`` attaches, one folder per console user
    (the name made safe for a path: a user id is free text)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", user).lstrip(".") or "_"
    return data_directory() / "exports" / safe


class Settings(BaseSettings):
    # An empty variable counts as unset: compose files and Kubernetes Secrets pass
    # ``SLACK_SIGNING_SECRET=`` through when the host has none, and an empty secret must
    # not switch on a mode (or verify requests against "").
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    coach_database_url: str = Field(default_factory=default_database_url)
    coach_host: str = "127.0.0.1"
    coach_port: int = 3000
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    discord_token: str | None = None
    discord_api_url: str | None = None
    # How `coach serve` logs to stderr: JSON lines (for a log collector) or plain text,
    # from this level up (bot/observability/logging.py).
    coach_log_format: Literal["json", "text"] = "json"
    coach_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # The nudge scheduler (bot/scheduling): seconds between dispatch passes, sends in
    # flight at once, seconds a claim holds a nudge before another replica may take it
    # over, seconds between two messages to one channel, attempts before giving up.
    coach_dispatch_interval: float = Field(default=30.0, gt=0)
    coach_dispatch_concurrency: int = Field(default=50, ge=1)
    coach_dispatch_lease: float = Field(default=300.0, gt=0)
    coach_channel_interval: float = Field(default=1.0, ge=0)
    coach_dispatch_max_attempts: int = Field(default=8, ge=1)
    # Seconds between a standby replica's tries for the Discord gateway (bot/gateway.py):
    # how long Discord goes without a gateway after the replica holding it dies.
    coach_gateway_retry: float = Field(default=15.0, gt=0)
    # Retention (bot/storage/retention.py, pruned daily by `coach serve` and by
    # `coach db prune`): days check-in answers and finished nudges are kept (two years
    # shows a year-on-year trend, far past the 26 weeks the coach reads; "none" keeps
    # them for ever; at least 28, see MIN_CHECKIN_DAYS), and hours a handled platform
    # event id is kept to recognise a retry (platforms retry within minutes).
    coach_checkin_retention_days: int | None = Field(default=730, ge=28)
    coach_event_retention_hours: float = Field(default=48.0, gt=0)

    @field_validator("coach_checkin_retention_days", mode="before")
    @classmethod
    def _forever(cls, value: object) -> object:
        """``none`` or ``forever`` in the environment mean: never prune answers."""
        if isinstance(value, str) and value.strip().casefold() in {"none", "forever"}:
            return None
        return value
