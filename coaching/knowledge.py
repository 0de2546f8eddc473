"""Channel and job knowledge, loaded from data files a marketer can edit.

The coach's opinions about channels (which job each one serves well, and why) live
in ``content/channels.toml`` rather than in code, so they can be reviewed and
changed without a programmer.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from coaching.model import Job

FitLevel = Literal["good", "ok", "poor"]


@dataclass(frozen=True, slots=True)
class Fit:
    level: FitLevel
    reason: str
    figure: str | None = None


@dataclass(frozen=True, slots=True)
class Channel:
    key: str
    name: str
    aliases: tuple[str, ...]
    offline: bool
    fits: Mapping[Job, Fit]

    def fit(self, job: Job) -> Fit | None:
        return self.fits.get(job)


@dataclass(frozen=True, slots=True)
class JobInfo:
    job: Job
    name: str
    goal: str
    keywords: tuple[str, ...]
    explanation: str


@dataclass(frozen=True, slots=True)
class Knowledge:
    channels: Mapping[str, Channel]
    jobs: Mapping[Job, JobInfo]

    def channel(self, key: str) -> Channel | None:
        return self.channels.get(key)

    def better_fits(self, job: Job, *, exclude: str | None = None) -> tuple[Channel, ...]:
        """Channels the knowledge file rates good for a job, in file order."""
        return tuple(
            c
            for c in self.channels.values()
            if c.key != exclude and (fit := c.fit(job)) is not None and fit.level == "good"
        )


def _parse_channels(raw: Mapping[str, object]) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise ValueError(f"channel {key!r} must be a table")
        fits = {
            Job(job): Fit(level=f["level"], reason=f["reason"], figure=f.get("figure"))
            for job, f in entry.get("fit", {}).items()
        }
        channels[key] = Channel(
            key=key,
            name=entry["name"],
            aliases=tuple(entry.get("aliases", ())),
            offline=bool(entry.get("offline", False)),
            fits=fits,
        )
    return channels


def _parse_jobs(raw: Mapping[str, object]) -> dict[Job, JobInfo]:
    jobs: dict[Job, JobInfo] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise ValueError(f"job {key!r} must be a table")
        job = Job(key)
        jobs[job] = JobInfo(
            job=job,
            name=entry["name"],
            goal=entry["goal"],
            keywords=tuple(entry["keywords"]),
            explanation=entry["explanation"],
        )
    missing = set(Job) - set(jobs)
    if missing:
        raise ValueError(f"jobs.toml lacks {sorted(missing)}")
    return jobs


def load_knowledge(directory: Path | None = None) -> Knowledge:
    """Read ``channels.toml`` and ``jobs.toml`` from a directory (the packaged content by default)."""
    if directory is None:
        return default_knowledge()
    with (directory / "channels.toml").open("rb") as f:
        channels = _parse_channels(tomllib.load(f))
    with (directory / "jobs.toml").open("rb") as f:
        jobs = _parse_jobs(tomllib.load(f))
    return Knowledge(channels=channels, jobs=jobs)


@cache
def default_knowledge() -> Knowledge:
    content = resources.files("coaching") / "content"
    channels = _parse_channels(tomllib.loads((content / "channels.toml").read_text("utf-8")))
    jobs = _parse_jobs(tomllib.loads((content / "jobs.toml").read_text("utf-8")))
    return Knowledge(channels=channels, jobs=jobs)
