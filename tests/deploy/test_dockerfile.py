"""The image: built from the lock, runs ``coach serve`` unprivileged, and checks itself
through ``/healthz``. Parsed, not built: there is no Docker engine where the tests run."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
import typer

from tests.deploy.dockerfile import (
    Dockerfile,
    copy_of,
    env_pairs,
    exec_form,
    healthcheck_of,
    parse,
    split_flags,
)
from tests.deploy.files import DOCKERFILE, DOCKERIGNORE, REPO_ROOT, setting_names

CREDENTIAL = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|_KEY$|DATABASE_URL|CLIENT_ID", re.IGNORECASE)


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse(DOCKERFILE)


def image_env(dockerfile: Dockerfile) -> dict[str, str]:
    environment: dict[str, str] = {}
    for instruction in dockerfile.final.all("ENV"):
        environment.update(env_pairs(instruction.value))
    return environment


def final_uid(dockerfile: Dockerfile) -> str:
    user = dockerfile.final.last("USER")
    assert user is not None, "the final stage sets no USER, so the container runs as root"
    return user.value.partition(":")[0]


def repo_copies(dockerfile: Dockerfile) -> list[str]:
    """Sources of every COPY that reads the build context (not another stage)."""
    return [
        source
        for stage in dockerfile.stages
        for instruction in stage.all("COPY")
        if "from" not in (copy := copy_of(instruction)).flags
        for source in copy.sources
    ]


def ignore_patterns() -> list[str]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text("utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_stages_build_on_python_311_slim(dockerfile: Dockerfile) -> None:
    assert len(dockerfile.stages) >= 2, "multi-stage: the build tools stay out of the runtime image"
    for stage in dockerfile.stages:
        assert re.fullmatch(r"python:3\.11-slim(-\w+)?", stage.base), stage.base


def test_final_stage_runs_as_a_non_root_numeric_user(dockerfile: Dockerfile) -> None:
    uid = final_uid(dockerfile)
    # Numeric, so the kubelet can enforce runAsNonRoot without resolving a name.
    assert uid.isdigit() and int(uid) != 0
    created = " ".join(instruction.value for instruction in dockerfile.final.all("RUN"))
    assert f"--uid {uid}" in created, "the uid has no account in the image (no home directory)"


def test_dependencies_come_from_the_lock_file(dockerfile: Dockerfile) -> None:
    build = dockerfile.stage("build")
    syncs = [split_flags(run.value)[1] for run in build.all("RUN") if "uv sync" in run.value]
    assert syncs, "the build stage never runs uv sync"
    for words in syncs:
        assert "--locked" in words, f"uv sync may re-resolve instead of using uv.lock: {words}"
        assert "--no-dev" in words, f"development tools would ship in the image: {words}"
    first_sync = next(i for i, x in enumerate(build.instructions) if "uv sync" in x.value)
    copied_before = [
        source
        for instruction in build.instructions[:first_sync]
        if instruction.keyword == "COPY"
        for source in copy_of(instruction).sources
    ]
    assert {"pyproject.toml", "uv.lock"} <= set(copied_before)


def test_every_package_of_the_wheel_is_copied(dockerfile: Dockerfile) -> None:
    """A new top-level package added to pyproject but not to the Dockerfile would be missing
    from the image only, and fail there at import time."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = {source.rstrip("/") for source in repo_copies(dockerfile)}
    assert set(packages) | {"pyproject.toml", "uv.lock", project["project"]["readme"]} <= copied


def test_every_copy_source_exists_and_is_in_the_build_context(dockerfile: Dockerfile) -> None:
    patterns = ignore_patterns()
    for source in repo_copies(dockerfile):
        assert (REPO_ROOT / source).exists(), f"COPY {source}: no such path in the repository"
        excluded = [p for p in patterns if fnmatch.fnmatch(source.rstrip("/"), p.rstrip("/"))]
        assert not excluded, f"COPY {source} is excluded from the build context by {excluded}"


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    patterns = set(ignore_patterns())
    assert {".env", ".venv", ".git"} <= patterns


def test_no_credentials_are_baked_into_the_image(dockerfile: Dockerfile) -> None:
    for stage in dockerfile.stages:
        for instruction in stage.all("ENV"):
            named = [name for name in env_pairs(instruction.value) if CREDENTIAL.search(name)]
            assert not named, f"line {instruction.line}: ENV sets {named}; pass them at run time"
        for instruction in stage.all("ARG"):
            name = instruction.value.partition("=")[0]
            assert not CREDENTIAL.search(name), f"line {instruction.line}: build argument {name}"
    for name in dockerfile.global_args:
        assert not CREDENTIAL.search(name), f"build argument {name}"


def test_credential_pattern_recognises_every_secret_setting() -> None:
    """The check above is only as good as its pattern: each secret the coach reads must match."""
    secrets = {"COACH_DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}
    secrets |= {"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "DISCORD_TOKEN"}
    assert secrets <= setting_names()
    assert all(CREDENTIAL.search(name) for name in secrets)
    assert not CREDENTIAL.search("COACH_PORT")


def test_image_environment_uses_only_real_settings(dockerfile: Dockerfile) -> None:
    coach_variables = {
        name for name in image_env(dockerfile) if name.startswith(("COACH_", "SLACK_", "DISCORD_"))
    }
    assert coach_variables <= setting_names()


def test_serves_on_all_interfaces_on_the_exposed_port(dockerfile: Dockerfile) -> None:
    environment = image_env(dockerfile)
    assert environment["COACH_HOST"] == "0.0.0.0"
    exposed = dockerfile.final.last("EXPOSE")
    assert exposed is not None
    assert exposed.value.split("/")[0] == environment.get("COACH_PORT", "3000") == "3000"


def test_runs_coach_serve(dockerfile: Dockerfile) -> None:
    from bot.cli import app

    entrypoint, command = dockerfile.final.last("ENTRYPOINT"), dockerfile.final.last("CMD")
    assert entrypoint is not None and command is not None
    assert exec_form(entrypoint.value) == ["coach"]
    assert exec_form(command.value) == ["serve"]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
    assert "coach" in project["project"]["scripts"]
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert "serve" in commands
    assert "upgrade" in commands["db"].commands, "compose and the migration Job run `coach db upgrade`"


def test_healthcheck_asks_healthz_with_the_standard_library(dockerfile: Dockerfile) -> None:
    instruction = dockerfile.final.last("HEALTHCHECK")
    assert instruction is not None
    check = healthcheck_of(instruction)
    assert check.command[:2] == ["python", "-c"]
    assert "/healthz" in check.command[2]
    assert "urllib.request" in check.command[2], "slim images have no curl or wget"
    seconds = {
        name: int(value.removesuffix("s")) for name, value in check.options.items() if value.endswith("s")
    }
    assert seconds["timeout"] < seconds["interval"]


def test_venv_is_copied_from_the_build_stage(dockerfile: Dockerfile) -> None:
    copies = [copy_of(instruction) for instruction in dockerfile.final.all("COPY")]
    from_stages = {copy.flags["from"] for copy in copies if "from" in copy.flags}
    assert from_stages <= {stage.name for stage in dockerfile.stages[:-1]}
    path_entries = image_env(dockerfile)["PATH"].split(":")
    venv_bins = [Path(copy.destination) / "bin" for copy in copies if "from" in copy.flags]
    assert str(venv_bins[0]) == path_entries[0], "`coach` and `python` must come from the copied venv"
