"""Just enough of Dockerfile syntax for the tests: line continuations, comments, stages,
and the exec (JSON) and shell forms of the instructions the deploy Dockerfile uses."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [instruction for instruction in self.instructions if instruction.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        return next(stage for stage in self.stages if stage.name == name)


def instructions(text: str) -> list[Instruction]:
    """Logical instructions: comment lines dropped (also inside a continuation, as Docker
    does), lines ending in a backslash joined to the next."""
    result: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        keyword, _, value = " ".join(pending).partition(" ")
        result.append(Instruction(keyword.upper(), value.strip(), start))
        pending = []
    if pending:
        raise ValueError(f"line {start}: continuation runs past the end of the file")
    return result


_FROM = re.compile(r"^(?:--\S+\s+)*(?P<image>\S+)(?:\s+AS\s+(?P<name>\S+))?$", re.IGNORECASE)


def parse(path: Path) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in instructions(path.read_text("utf-8")):
        if instruction.keyword == "FROM":
            match = _FROM.match(instruction.value)
            if match is None:
                raise ValueError(f"line {instruction.line}: cannot read FROM {instruction.value!r}")
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), match["image"])
            stages.append(Stage(base=base, name=match["name"]))
        elif not stages:
            if instruction.keyword != "ARG":
                raise ValueError(f"line {instruction.line}: only ARG may come before the first FROM")
            name, _, default = instruction.value.partition("=")
            global_args[name] = default
        else:
            stages[-1].instructions.append(instruction)
    return Dockerfile(global_args=global_args, stages=stages)


def exec_form(value: str) -> list[str]:
    """The JSON array of an exec-form instruction (CMD, ENTRYPOINT, HEALTHCHECK's CMD)."""
    parsed = json.loads(value)
    if not isinstance(parsed, list) or not all(isinstance(part, str) for part in parsed):
        raise ValueError(f"not an exec form: {value!r}")
    return parsed


def env_pairs(value: str) -> dict[str, str]:
    """``ENV A=1 B="two words"``; the legacy ``ENV A 1`` form is rejected as ambiguous."""
    pairs: dict[str, str] = {}
    for token in shlex.split(value):
        name, equals, setting = token.partition("=")
        if not equals:
            raise ValueError(f"ENV without '=': {value!r}")
        pairs[name] = setting
    return pairs


def split_flags(value: str) -> tuple[dict[str, str], list[str]]:
    """Leading ``--flag=value`` options of COPY, RUN or HEALTHCHECK, and the words after them."""
    words = shlex.split(value)
    flags: dict[str, str] = {}
    while words and words[0].startswith("--"):
        name, _, setting = words.pop(0)[2:].partition("=")
        flags[name] = setting
    return flags, words


@dataclass(frozen=True)
class Copy:
    flags: dict[str, str]
    sources: list[str]
    destination: str


def copy_of(instruction: Instruction) -> Copy:
    flags, words = split_flags(instruction.value)
    if words and words[0].startswith("["):
        words = exec_form(" ".join(words))
    if len(words) < 2:
        raise ValueError(f"line {instruction.line}: COPY needs a source and a destination")
    return Copy(flags=flags, sources=words[:-1], destination=words[-1])


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]
    command: list[str]


def healthcheck_of(instruction: Instruction) -> Healthcheck:
    match = re.match(r"^(?P<options>(?:--\S+\s+)*)CMD\s+(?P<command>\[.*\])$", instruction.value)
    if match is None:
        raise ValueError(f"line {instruction.line}: expected HEALTHCHECK [OPTIONS] CMD [exec form]")
    options, _ = split_flags(match["options"])
    return Healthcheck(options=options, command=exec_form(match["command"]))
